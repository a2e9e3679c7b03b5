// ISO 8601 timestamps, strictly.

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * Parses an ISO 8601 date-time with a time zone. Date.parse alone accepts too
 * much (it rolls 2026-02-30 over to March 2), so every field is range-checked.
 */
export function parseTimestamp(v: unknown): Date | undefined {
  if (typeof v !== 'string' || v.length > 40) return undefined;
  const m = TIMESTAMP_RE.exec(v);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = 0, , offH = 0, offM = 0] = [
    m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9],
  ].map((x) => (x === undefined || x === 'Z' ? undefined : Number(x))) as number[];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
