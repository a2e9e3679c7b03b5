/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Nesting depth of a JSON value, counted without recursion (so a hostile
 * 10,000-deep value cannot overflow the stack); stops counting past `limit`.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Deepest value sent as JSON. JSON.stringify recurses, and how deep it gets
 * depends on how deep the call stack already is, so whether a value "fits"
 * cannot be found out by trying: anything deeper than this is not sent.
 */
const MAX_ENCODED_DEPTH = 1000;

/**
 * `row` with every field nested deeper than MAX_ENCODED_DEPTH (a jsonb value
 * stored before enqueue limited nesting) replaced by a note saying so, so one
 * such row never takes down a whole page.
 */
export function encodable<T extends object>(row: T): T {
  if (jsonDepth(row, MAX_ENCODED_DEPTH + 1) <= MAX_ENCODED_DEPTH + 1) return row;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = jsonDepth(v, MAX_ENCODED_DEPTH) > MAX_ENCODED_DEPTH
      ? { unencodable: `This ${k} value is nested too deep to be sent as JSON; read it in SQL.` }
      : v;
  }
  return out as T;
}
