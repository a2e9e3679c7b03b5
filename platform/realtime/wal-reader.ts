// LOCAL ONLY. The database's change stream, read the way Supabase Realtime's
// walrus does: a logical replication slot with the wal2json plugin
// (format-version 2), polled over a normal connection, limited to the tables
// of the `supabase_realtime` publication.
//
// Unlike Realtime's temporary slot, this slot is permanent and is only
// *peeked*: the server advances it (pg_replication_slot_advance) past a
// transaction once every subscriber has been sent its changes. A restart of
// the stand-in therefore resumes where delivery stopped, and nothing
// committed in between is lost to the subscriptions that rejoin. While no
// one subscribes there is no slot (dropSlot), as hosted Realtime reads
// nothing for a project without postgres_changes subscribers: advancing a
// slot decodes every WAL record it passes, which cost the database about a
// tenth of its CPU under load. The first subscriber creates it again
// (ensureSlot), so it gets the changes from its join on.
//
// Column values are typed in SQL, as walrus does (realtime.cast): the text
// wal2json gives is loaded into the table's row type with
// jsonb_populate_record and turned back into JSON with to_jsonb, so numbers,
// booleans, jsonb, arrays and timestamps come out exactly as Realtime sends them.
import type postgres from 'postgres';
import { ident, literal } from './filters.ts';

export type Action = 'INSERT' | 'UPDATE' | 'DELETE';
type Row = Record<string, unknown>;

export interface Change {
  action: Action;
  schema: string;
  table: string;
  /** ISO 8601, UTC, millisecond precision, as walrus formats it. */
  commitTimestamp: string;
  /** Column values as text, the input of jsonb_populate_record (INSERT/UPDATE: new row; unchanged TOAST filled from the old). */
  newText: Row | null;
  /** The replica identity (old row) as text (UPDATE with REPLICA IDENTITY FULL, DELETE). */
  oldText: Row | null;
  /** The same rows, typed as to_jsonb gives them. */
  newRecord: Row | null;
  oldRecord: Row | null;
  /** Primary key column names. */
  pk: string[];
}

export interface Batch {
  changes: Change[];
  /** Where the slot may be advanced to once the batch is delivered (the last commit read), or null. */
  advanceTo: string | null;
  /** True when the peek stopped at its row limit, so more is waiting. */
  full: boolean;
}

export interface Table { schema: string; table: string }

/** wal2json's add-tables syntax: schema.table, with its special characters escaped. */
const w2jName = (s: string) => s.replace(/[\\ ',.*]/g, (c) => `\\${c}`);

/** A text value of the WAL, or the JSON itself for json/jsonb columns (which jsonb_populate_record copies as is). */
const TEXT_ROW = (arr: string) => `(select jsonb_object_agg(c->>'name',
  case when (c->>'typeoid')::oid in (114, 3802) then (c->>'value')::jsonb else to_jsonb(c->>'value') end)
  from jsonb_array_elements(${arr}) c)`;

export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export class WalReader {
  private tables: Table[] = [];
  private query = '';
  private tablesAt = 0;

  constructor(
    private readonly sql: postgres.Sql,
    readonly slot: string,
    private readonly publication: string,
    /** Rows per peek; a transaction is never split, so a peek may return more. (Default: 5000) */
    private readonly maxRows = 5000,
  ) {}

  /** Creates the slot unless it exists. Changes committed before it exists are not streamed. */
  async ensureSlot(): Promise<void> {
    const [found] = await this.sql`select 1 from pg_replication_slots where slot_name = ${this.slot}`;
    if (!found) await this.sql`select pg_create_logical_replication_slot(${this.slot}, 'wal2json')`;
  }

  /** Drops the slot if it exists: what it has not delivered is never streamed. */
  async dropSlot(): Promise<void> {
    await this.sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${this.slot}`;
  }

  /** The publication's tables, re-read at most once a second (a table may be added at any time). */
  private async refreshTables(): Promise<void> {
    if (Date.now() - this.tablesAt < 1000 && this.query) return;
    const rows = await this.sql<Table[]>`
      select schemaname as schema, tablename as table from pg_publication_tables
       where pubname = ${this.publication} order by 1, 2`;
    this.tablesAt = Date.now();
    if (this.query && JSON.stringify(rows) === JSON.stringify(this.tables)) return;
    this.tables = rows;
    this.query = this.buildQuery(rows);
  }

  private buildQuery(tables: Table[]): string {
    const typed = (arg: string) => {
      const branches = tables.map((t) =>
        `when ${literal(t.schema)} = d->>'schema' and ${literal(t.table)} = d->>'table'
           then to_jsonb(jsonb_populate_record(null::${ident(t.schema)}.${ident(t.table)}, ${arg}))`);
      return `case ${branches.join('\n') || 'when false then null::jsonb'} end`;
    };
    // With no table published, a filter naming no real table still yields the B/C rows the slot advances by.
    const addTables = tables.map((t) => `${w2jName(t.schema)}.${w2jName(t.table)}`).join(',') || '_realtime_none._none';
    return `
      with w as (
        select w.lsn, w.data::jsonb as d, w.n
          from pg_logical_slot_peek_changes($1, null, $2,
                 'format-version', '2', 'include-timestamp', 'true', 'include-type-oids', 'true',
                 'include-pk', 'true', 'include-transaction', 'true', 'actions', 'insert,update,delete',
                 'add-tables', ${literal(addTables)}) with ordinality as w(lsn, xid, data, n)
      ), x as (
        select w.*, ${TEXT_ROW(`d->'identity'`)} as old_text,
               coalesce(${TEXT_ROW(`d->'identity'`)}, '{}'::jsonb) || ${TEXT_ROW(`d->'columns'`)} as new_text
          from w
      )
      select lsn::text, d->>'action' as action, d->>'schema' as schema, d->>'table' as tbl,
             to_char((d->>'timestamp')::timestamptz at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts,
             new_text, old_text,
             case when d->>'action' in ('I', 'U', 'D') then ${typed('new_text')} end as new_record,
             case when d->>'action' in ('I', 'U', 'D') then ${typed('old_text')} end as old_record,
             (select coalesce(array_agg(p->>'name'), '{}') from jsonb_array_elements(d->'pk') p) as pk
        from x order by n`;
  }

  /** The complete transactions committed since the slot's position, in commit order. */
  async peek(): Promise<Batch> {
    await this.refreshTables();
    const rows = await this.sql.unsafe(this.query, [this.slot, this.maxRows]);
    const changes: Change[] = [];
    let pending: Change[] = [];
    let advanceTo: string | null = null;
    for (const r of rows) {
      if (r.action === 'B') { pending = []; continue; }
      if (r.action === 'C') {
        changes.push(...pending);
        pending = [];
        advanceTo = r.lsn;
        continue;
      }
      const action = ({ I: 'INSERT', U: 'UPDATE', D: 'DELETE' } as const)[r.action as 'I' | 'U' | 'D'];
      if (!action) continue;
      pending.push({
        action, schema: r.schema, table: r.tbl, commitTimestamp: r.ts,
        newText: action === 'DELETE' ? null : r.new_text, oldText: r.old_text,
        newRecord: action === 'DELETE' ? null : r.new_record, oldRecord: r.old_text ? r.old_record : null,
        pk: r.pk,
      });
    }
    return { changes, advanceTo, full: rows.length >= this.maxRows };
  }

  /**
   * Confirms everything written so far without decoding it into rows: the
   * first subscriber to join a slot that still holds changes (no one
   * subscribed for less than the time the slot is kept) gets only what
   * commits after its join, as on hosted. `stillNoOne` is asked after the
   * position is read: a subscriber that joined before it keeps what follows.
   */
  async skipToNow(stillNoOne: () => boolean): Promise<void> {
    const [{ lsn }] = await this.sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
    // The poll loop and a joining subscriber may both skip: the slot is busy
    // for a moment, or already past `lsn` (Postgres refuses to go back).
    for (let attempt = 1; stillNoOne(); attempt++) {
      try {
        await this.advance(lsn);
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/minimum is/.test(message)) return;
        if (!/is active for PID/.test(message) || attempt === 20) throw err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  /** Confirms everything up to `lsn` (a commit end), so it is never read again. */
  async advance(lsn: string): Promise<void> {
    await this.sql`select pg_replication_slot_advance(${this.slot}, ${lsn}::pg_lsn)`;
  }
}
