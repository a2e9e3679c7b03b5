// LOCAL ONLY. Turning a channel's postgres_changes params into active
// bindings, with the checks Realtime makes when it inserts them into
// realtime.subscription (and its subscription_check_filters trigger):
// the table must be in the publication, the claimed role must exist, a
// filter's column must be one the role may SELECT, and its value must cast
// to the column's type. A join is all or nothing, as Realtime's subscription
// transaction is; errors carry Realtime's wording.
import { createHash } from 'node:crypto';
import type { Binding } from './deliver.ts';
import { literal, parseParams, type ChangesParams } from './filters.ts';
import type { Context } from './registry.ts';

/** Condition names of the SQLSTATEs these checks can raise, as Postgrex prints them. */
const CONDITIONS: Record<string, string> = {
  P0001: 'raise_exception', '22P02': 'invalid_text_representation', '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow', '22003': 'numeric_value_out_of_range', '42704': 'undefined_object',
};

class CheckFailed extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}

/**
 * The id the server gives a binding, echoed in the join reply and in every
 * message's `ids` (Realtime uses :erlang.phash2(params), a 27-bit integer).
 */
export function bindingId(raw: unknown): number {
  return createHash('sha1').update(JSON.stringify(raw)).digest().readUInt32BE(0) & 0x7ffffff;
}

function paramsToLog(p: ChangesParams): string {
  const filters = `[${p.filters.map((f) => `{${JSON.stringify(f.column)}, ${JSON.stringify(f.op)}, ${JSON.stringify(f.value)}, ${f.negate}}`).join(', ')}]`;
  return `event: ${p.event}, schema: ${p.schema}, table: ${p.table}, filters: ${filters}, select: nil`;
}

async function check(ctx: Context, role: string, p: ChangesParams): Promise<string | null> {
  const like = (v: string) => (v === '*' ? '%' : v);
  const tables = await ctx.sql<{ schema: string; table: string }[]>`
    select schemaname as schema, tablename as table from pg_publication_tables
     where pubname = ${ctx.publication}
       and schemaname like ${like(p.schema)} escape '' and tablename like ${like(p.table)} escape ''`;
  if (tables.length === 0) {
    return `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${paramsToLog(p)}]`;
  }
  try {
    const [{ exists }] = await ctx.sql`select to_regrole(${role}) is not null as exists`;
    if (!exists) throw new CheckFailed('42704', `role "${role}" does not exist`);
    for (const t of tables) {
      for (const f of p.filters) {
        const [col] = await ctx.sql<{ readable: boolean; type: string }[]>`
          select has_column_privilege(${role}, c.oid, a.attname, 'SELECT') as readable, format_type(a.atttypid, null) as type
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
           where n.nspname = ${t.schema} and c.relname = ${t.table} and a.attname = ${f.column}`;
        if (!col?.readable) throw new CheckFailed('P0001', `invalid column for filter ${f.column}`);
        if (f.op === 'is') {
          if (!['null', 'true', 'false', 'unknown'].includes(f.value.toLowerCase())) {
            throw new CheckFailed('P0001', `invalid value for \`is\` filter: ${f.value}`);
          }
        } else if (!['like', 'ilike', 'match', 'imatch'].includes(f.op)) {
          await ctx.sql.unsafe(`select ${literal(f.value)}::${col.type}${f.op === 'in' ? '[]' : ''}`).catch((err) => {
            throw new CheckFailed(err.code ?? 'XX000', err.message);
          });
        }
      }
    }
    return null;
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    const code = CONDITIONS[err.code] ? `${err.code} (${CONDITIONS[err.code]})` : err.code;
    return 'Unable to subscribe to changes with given parameters. An exception happened so please check your ' +
      `connect parameters: [${paramsToLog(p)}]. Exception: ERROR ${code} ${err.message}`;
  }
}

/** The bindings for `raws`, or the error Realtime would report for the first one that fails. */
export async function subscribe(ctx: Context, role: string, raws: unknown[]): Promise<{ bindings: Binding[] } | { error: string }> {
  const bindings: Binding[] = [];
  for (const raw of raws) {
    const parsed = parseParams((raw ?? {}) as Record<string, unknown>);
    if (!parsed.ok) return { error: parsed.error };
    const error = await check(ctx, role, parsed.params);
    if (error) return { error };
    bindings.push({ id: bindingId(raw), params: parsed.params });
  }
  return { bindings };
}
