// One timestamp format in everything the SDK returns: toISOString() (UTC,
// milliseconds, `Z`). The routes answer some rows through postgres.js
// (`…08.312Z`) and some as SQL-built JSON (`…08.31295+00:00`), and Realtime
// sends Postgres' own rendering; without this, equal times compare unequal.

const TIMESTAMP = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/;
/** Row fields that hold times: created_at, run_at, lease_until, … */
const isTimeField = (key: string) => key.endsWith('_at') || key.endsWith('_until');
/** Lists of rows inside an answer ({ events }, an event's runs, …); other nested values are user data and left alone. */
const ROW_LISTS = new Set(['events', 'runs', 'handlers', 'schedules', 'stats']);

export function isoTimestamp(v: string): string {
  const d = new Date(v.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/** `value` with the timestamps of its rows in toISOString() form; props, result and errors untouched. */
export function isoTimestamps<T>(value: T): T {
  if (Array.isArray(value)) return value.map(isoTimestamps) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, v] of Object.entries(out)) {
    if (typeof v === 'string' && isTimeField(key) && TIMESTAMP.test(v)) out[key] = isoTimestamp(v);
    else if (Array.isArray(v) && ROW_LISTS.has(key)) out[key] = v.map(isoTimestamps);
  }
  return out as T;
}
