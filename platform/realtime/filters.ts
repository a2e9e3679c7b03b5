// LOCAL ONLY. The `postgres_changes` binding a client joins with, parsed as
// Supabase Realtime parses it (Extensions.PostgresCdcRls.Subscriptions
// .parse_subscription_params), and each filter rendered as the SQL condition
// walrus evaluates (realtime.check_equality_op: both sides cast to the
// column's type, so `id=gt.9` compares numbers and `run_at=lt.…` timestamps).

export const OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'like', 'ilike', 'is', 'match', 'imatch', 'isdistinct'] as const;
export type Op = (typeof OPS)[number];
export type ChangeEvent = '*' | 'INSERT' | 'UPDATE' | 'DELETE';

export interface Filter {
  column: string;
  op: Op;
  /** The value as text; for `in`, a Postgres array literal ("{a,b}"). */
  value: string;
  negate: boolean;
}

export interface ChangesParams {
  event: ChangeEvent;
  schema: string;
  table: string;
  filters: Filter[];
}

type Parsed = { ok: true; params: ChangesParams } | { ok: false; error: string };

/** An unknown `event` means all events, as in Realtime's action_filter/1. */
function eventOf(event: unknown): ChangeEvent {
  const upper = typeof event === 'string' ? event.toUpperCase() : '*';
  return upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*';
}

export function parseParams(raw: Record<string, unknown>): Parsed {
  const event = eventOf(raw.event);
  const { schema, table, filter } = raw;
  const has = (k: string) => Object.hasOwn(raw, k);
  if (typeof schema === 'string' && typeof table === 'string' && typeof filter === 'string') {
    const filters = parseFilters(filter);
    return 'error' in filters ? { ok: false, error: `Error parsing \`filter\` params: ${filters.error}` }
      : { ok: true, params: { event, schema, table, filters } };
  }
  if (typeof schema === 'string' && typeof table === 'string' && !has('filter')) return { ok: true, params: { event, schema, table, filters: [] } };
  if (typeof schema === 'string' && !has('table') && !has('filter')) return { ok: true, params: { event, schema, table: '*', filters: [] } };
  if (typeof table === 'string' && !has('schema') && !has('filter')) return { ok: true, params: { event, schema: 'public', table, filters: [] } };
  return { ok: false, error: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${JSON.stringify(raw)}` };
}

function parseFilters(filter: string): Filter[] | { error: string } {
  if (filter.trim() === '') return [];
  const out: Filter[] = [];
  for (const segment of splitTopLevel(filter.trim())) {
    const trimmed = segment.trim();
    if (trimmed === '') return { error: 'filter must not contain empty segments (check for extra commas)' };
    const eq = trimmed.indexOf('=');
    if (eq < 0) return { error: JSON.stringify([trimmed]) };
    const column = trimmed.slice(0, eq);
    let rest = trimmed.slice(eq + 1);
    const negate = rest.startsWith('not.');
    if (negate) rest = rest.slice(4);
    const dot = rest.indexOf('.');
    if (dot < 0) return { error: JSON.stringify([rest]) };
    const op = rest.slice(0, dot);
    const value = rest.slice(dot + 1);
    if (!(OPS as readonly string[]).includes(op)) return { error: JSON.stringify([op, value]).replace(/","/g, '", "') };
    if (op === 'in') {
      if (!(value.length >= 2 && value.startsWith('(') && value.endsWith(')'))) return { error: '`in` filter value must be wrapped by parentheses' };
      out.push({ column, op, value: `{${value.slice(1, -1)}}`, negate });
    } else {
      out.push({ column, op: op as Op, value: unquote(value), negate });
    }
  }
  return out;
}

/** Splits on commas outside parentheses and double quotes (`a=in.(1,2),b=eq.x`). */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0, quoted = false, current = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted && ch === '\\' && i + 1 < s.length) { current += ch + s[++i]; continue; }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ',') { parts.push(current); current = ''; continue; }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/** `"a,b"` → `a,b` (the builder quotes reserved characters); anything else as is. */
function unquote(value: string): string {
  if (!value.startsWith('"') || !value.endsWith('"') || value.length < 2) return value;
  let out = '';
  for (let i = 1; i < value.length - 1; i++) {
    if (value[i] === '\\' && i + 1 < value.length - 1) out += value[++i];
    else if (value[i] === '"') return value;
    else out += value[i];
  }
  return out;
}

/** A SQL string literal; standard_conforming_strings is on, so only quotes need doubling. */
export const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * The filter as a boolean SQL expression over `column` (an expression of the
 * column's type, `type` a name from format_type). A NULL result never
 * matches, as in walrus ("if null, filter does not match").
 */
export function filterSql(f: Filter, column: string, type: string): string {
  const v = literal(f.value);
  const cond = (() => {
    switch (f.op) {
      case 'eq': return `${column} = ${v}::${type}`;
      case 'neq': return `${column} <> ${v}::${type}`;
      case 'lt': return `${column} < ${v}::${type}`;
      case 'lte': return `${column} <= ${v}::${type}`;
      case 'gt': return `${column} > ${v}::${type}`;
      case 'gte': return `${column} >= ${v}::${type}`;
      case 'in': return `${column} = any(${v}::${type}[])`;
      case 'like': return `${column}::text like ${v}`;
      case 'ilike': return `${column}::text ilike ${v}`;
      case 'match': return `${column}::text ~ ${v}`;
      case 'imatch': return `${column}::text ~* ${v}`;
      case 'isdistinct': return `${column} is distinct from ${v}::${type}`;
      case 'is': {
        const what = f.value.toLowerCase();
        if (!['null', 'true', 'false', 'unknown'].includes(what)) throw new Error(`invalid value for \`is\` filter: ${f.value}`);
        return `${column} is ${what}`;
      }
    }
  })();
  return f.negate ? `coalesce(not (${cond}), false)` : `coalesce(${cond}, false)`;
}
