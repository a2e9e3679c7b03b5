/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * `row` with every field that JSON.stringify cannot write (a jsonb value
 * stored before the nesting limit, thousands of levels deep) replaced by a
 * note saying so, so one such row never takes down a whole page.
 */
export function encodable<T extends object>(row: T): T {
  try {
    JSON.stringify(row);
    return row;
  } catch {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      try {
        JSON.stringify(v);
        out[k] = v;
      } catch {
        out[k] = { unencodable: `This ${k} value is nested too deep to be sent as JSON; read it in SQL.` };
      }
    }
    return out as T;
  }
}
