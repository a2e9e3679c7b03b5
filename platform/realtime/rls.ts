// LOCAL ONLY. The database side of delivering a batch of changes, as walrus
// (realtime.apply_rls) decides it, but one query per table, filter set or
// subscriber identity for the whole batch instead of one per change:
//   - which columns each role may SELECT (has_column_privilege): the others
//     are left out of `columns`, `record` and `old_record`;
//   - whether a change passes a subscriber's filters, with both sides cast to
//     the column's type;
//   - whether row-level security lets a subscriber see the row: as walrus
//     does, `exists(select 1 from <table> where <pk> = <pk of the change>)`
//     run under the subscriber's role and JWT claims (request.jwt.claims).
import type postgres from 'postgres';
import type { Table } from './wal-reader.ts';
import { filterSql, ident, type Filter } from './filters.ts';

export interface Column {
  name: string;
  /** pg_type.typname, what Realtime reports in `columns` ("int8", "timestamptz", …). */
  type: string;
  /** format_type(), usable in a cast. */
  sqlType: string;
  /** Roles that may SELECT the column. */
  readers: Set<string>;
}

export interface TableInfo extends Table {
  rls: boolean;
  /** In attnum order. */
  columns: Column[];
}

export const tableKey = (schema: string, table: string) => `${schema}.${table}`;

/** Columns, privileges and RLS flags of `tables` for `roles` (roles that do not exist may read nothing). */
export async function loadTables(sql: postgres.Sql, tables: Table[], roles: string[]): Promise<Map<string, TableInfo>> {
  const rows = await sql<{ schema: string; table: string; rls: boolean; name: string; type: string; sql_type: string; readers: string[] }[]>`
    select n.nspname as schema, c.relname as table, c.relrowsecurity as rls, a.attname as name,
           t.typname as type, format_type(a.atttypid, null) as sql_type,
           array(select r from unnest(${roles}::text[]) r
                  where to_regrole(r) is not null and has_column_privilege(r, c.oid, a.attname, 'SELECT')) as readers
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_type t on t.oid = a.atttypid
      join unnest(${tables.map((t) => t.schema)}::text[], ${tables.map((t) => t.table)}::text[]) as want(s, r)
        on want.s = n.nspname and want.r = c.relname
     order by n.nspname, c.relname, a.attnum`;
  const out = new Map<string, TableInfo>();
  for (const r of rows) {
    const key = tableKey(r.schema, r.table);
    if (!out.has(key)) out.set(key, { schema: r.schema, table: r.table, rls: r.rls, columns: [] });
    out.get(key)!.columns.push({ name: r.name, type: r.type, sqlType: r.sql_type, readers: new Set(r.readers) });
  }
  return out;
}

type Item = { i: number; row: Record<string, unknown> };
const relation = (t: Table) => `${ident(t.schema)}.${ident(t.table)}`;

/** For each item (a row as text, see WalReader), whether it passes each filter. */
/** The items with only the columns a query needs: the rest (a large or deeply nested jsonb) need not travel, nor be encoded. */
const only = (items: Item[], columns: string[]): Item[] =>
  items.map(({ i, row }) => ({ i, row: Object.fromEntries(columns.filter((c) => Object.hasOwn(row, c)).map((c) => [c, row[c]])) }));

export async function evaluateFilters(
  sql: postgres.Sql, info: TableInfo, items: Item[], filters: Filter[],
): Promise<Map<number, boolean[]>> {
  const out = new Map<number, boolean[]>();
  if (items.length === 0 || filters.length === 0) return out;
  const types = new Map(info.columns.map((c) => [c.name, c.sqlType]));
  // Joins check the columns; one missing here was dropped since (or the table joined the publication later).
  const conds = filters.map((f) => (types.has(f.column) ? filterSql(f, `t.${ident(f.column)}`, types.get(f.column)!) : 'false'));
  const rows = await sql.unsafe(`
    select x.i, array[${conds.join(', ')}]::bool[] as r
      from jsonb_to_recordset($1::text::jsonb) as x(i int, row jsonb),
           lateral jsonb_populate_record(null::${relation(info)}, x.row) as t`, [JSON.stringify(only(items, filters.map((f) => f.column)))]);
  for (const r of rows) out.set(r.i, r.r);
  return out;
}

/**
 * The items (rows as text, primary key columns at least) that `role` with
 * `claims` can SELECT right now: walrus's RLS check. It runs when the batch
 * is delivered, not at commit, so a row deleted meanwhile is seen by no one.
 */
export async function visibleTo(
  sql: postgres.Sql, info: TableInfo, pk: string[], role: string, claims: string, items: Item[],
): Promise<Set<number>> {
  if (items.length === 0) return new Set();
  const match = pk.map((c) => `t.${ident(c)} = p.${ident(c)}`).join(' and ');
  const rows = await sql.begin(async (tx) => {
    await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${claims}, true)`;
    return tx.unsafe(`
      select x.i
        from jsonb_to_recordset($1::text::jsonb) as x(i int, row jsonb),
             lateral jsonb_populate_record(null::${relation(info)}, x.row) as p
       where exists (select 1 from ${relation(info)} t where ${match})`, [JSON.stringify(only(items, pk))]);
  });
  return new Set(rows.map((r) => r.i as number));
}
