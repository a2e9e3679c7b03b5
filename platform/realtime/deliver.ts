// LOCAL ONLY. Turns a batch of changes into the `postgres_changes` messages
// each subscriber receives, in commit order, shaped as Supabase Realtime
// sends them (walrus output wrapped by PostgresCdcRls.MessageDispatcher):
//
//   { ids: [<binding ids of this channel that match>],
//     data: { schema, table, commit_timestamp, type, columns: [{name, type}],
//             record (INSERT/UPDATE), old_record (UPDATE/DELETE), errors: null } }
//
// realtime-js turns that into { eventType, new, old, commit_timestamp, schema,
// table, errors } and picks the callbacks by `ids`.
//
// Who gets what follows walrus: a binding matches on schema, table and event
// (server side, as Realtime's action_filter); its filters are checked
// against the new row (the old row for DELETE); a role that may not SELECT
// the primary key gets nothing (walrus sends it a data-less payload with
// errors: ["Error 401: Unauthorized"]; here a role without access to a table,
// like anon on queue.events, hears nothing at all); RLS is checked per
// subscriber for INSERT and UPDATE; DELETE is not checked against RLS (the row
// is gone), so on an RLS table its old_record carries the primary key only.
import type postgres from 'postgres';
// The product's runtime-neutral JSON helper; the other way round, product importing platform/, is forbidden.
import { jsonDepth } from '../../src/shared/json.ts';
import type { ChangesParams, Filter } from './filters.ts';
import { evaluateFilters, loadTables, tableKey, visibleTo, type TableInfo } from './rls.ts';
import type { Change } from './wal-reader.ts';

export interface Binding { id: number; params: ChangesParams }

/** A joined channel with postgres_changes bindings, as the dispatcher sees it. */
export interface ChangesSubscriber {
  role: string;
  /** The JWT claims as JSON, set as request.jwt.claims for the RLS check. */
  claims: string;
  bindings: Binding[];
  send(payload: { ids: number[]; data: Record<string, unknown> }): void;
}

type Row = Record<string, unknown>;
type Candidate = { sub: ChangesSubscriber; bindings: Binding[] };

const matches = (p: ChangesParams, c: Change) =>
  (p.schema === '*' || p.schema === c.schema) && (p.table === '*' || p.table === c.table) &&
  (p.event === '*' || p.event === c.action);

/** The row's present columns the role may read, in column order; null when there is none (as jsonb_object_agg). */
function pick(record: Row | null, text: Row | null, info: TableInfo, allow: (name: string) => boolean): Row | null {
  if (!record || !text) return null;
  const out: Row = {};
  for (const col of info.columns) if (Object.hasOwn(text, col.name) && allow(col.name)) out[col.name] = record[col.name];
  return Object.keys(out).length ? out : null;
}

function payloadData(c: Change, info: TableInfo, role: string): Row {
  if (c.pk.length === 0 && c.action !== 'DELETE') {
    return { schema: c.schema, table: c.table, type: c.action, commit_timestamp: null, columns: [], record: {},
      errors: ['Error 400: Bad Request, no primary key'] };
  }
  const readable = (name: string) => info.columns.some((col) => col.name === name && col.readers.has(role));
  const data: Row = {
    schema: c.schema, table: c.table, commit_timestamp: c.commitTimestamp, type: c.action,
    columns: info.columns.filter((col) => col.readers.has(role)).map((col) => ({ name: col.name, type: col.type })),
    errors: null,
  };
  if (c.action !== 'DELETE') data.record = pick(c.newRecord, c.newText, info, readable);
  if (c.action === 'UPDATE') data.old_record = pick(c.oldRecord, c.oldText, info, readable);
  if (c.action === 'DELETE') {
    data.old_record = pick(c.oldRecord, c.oldText, info, (n) => readable(n) && (!info.rls || c.pk.includes(n)));
  }
  return encodable(data);
}

/** Deepest field value sent: JSON.stringify recurses, and a row stored thousands of levels deep would overflow it. */
const MAX_FIELD_DEPTH = 1000;

/**
 * A row already stored can hold a value no JSON encoder here can write (a
 * jsonb nested thousands deep). Such a value must not stall the stream for
 * everyone, nor be dropped silently: the change is still sent, without the
 * fields too deep to encode, and `errors` says so (as hosted Realtime drops
 * fields from a payload over its size limit).
 */
function encodable(data: Row): Row {
  const dropped: string[] = [];
  const strip = (record: unknown) => {
    if (!record || typeof record !== 'object') return record;
    const out: Row = {};
    for (const [k, v] of Object.entries(record)) {
      if (jsonDepth(v, MAX_FIELD_DEPTH) > MAX_FIELD_DEPTH) dropped.push(k);
      else out[k] = v;
    }
    return out;
  };
  const record = strip(data.record);
  const old = strip(data.old_record);
  if (dropped.length === 0) return data;
  return {
    ...data, record, ...(data.old_record !== undefined && { old_record: old }),
    errors: [`Error 413: Payload Too Large: fields ${[...new Set(dropped)].join(', ')} are nested too deep to encode and were left out`],
  };
}

/** Sends every subscriber its messages for `changes`. Throws (sending nothing) if a query fails. */
export async function deliver(sql: postgres.Sql, changes: Change[], subs: ChangesSubscriber[]): Promise<number> {
  const candidates: Candidate[][] = changes.map((c) => subs
    .map((sub) => ({ sub, bindings: sub.bindings.filter((b) => matches(b.params, c)) }))
    .filter((x) => x.bindings.length > 0));
  const touched = changes.filter((_, i) => candidates[i].length > 0);
  if (touched.length === 0) return 0;

  const tables = [...new Map(touched.map((c) => [tableKey(c.schema, c.table), { schema: c.schema, table: c.table }])).values()];
  const roles = [...new Set(candidates.flat().map((x) => x.sub.role))];
  const infos = await loadTables(sql, tables, roles);

  // Filters, one query per table for the whole batch.
  const filterIndex = new Map<string, number>();
  const filterResults = new Map<number, boolean[]>();
  for (const [key, info] of infos) {
    const distinct = new Map<string, Filter>();
    const items: Array<{ i: number; row: Row }> = [];
    changes.forEach((c, i) => {
      if (tableKey(c.schema, c.table) !== key || candidates[i].length === 0) return;
      const fs = candidates[i].flatMap((x) => x.bindings.flatMap((b) => b.params.filters));
      for (const f of fs) distinct.set(`${key} ${JSON.stringify(f)}`, f);
      if (fs.length) items.push({ i, row: (c.action === 'DELETE' ? c.oldText : c.newText) ?? {} });
    });
    [...distinct.keys()].forEach((k, n) => filterIndex.set(k, n));
    for (const [i, r] of await evaluateFilters(sql, info, items, [...distinct.values()])) filterResults.set(i, r);
  }
  const passes = (b: Binding, i: number, key: string) =>
    b.params.filters.every((f) => filterResults.get(i)?.[filterIndex.get(`${key} ${JSON.stringify(f)}`)!] === true);

  // What survives filters and column privileges.
  const survivors = changes.map((c, i) => {
    const key = tableKey(c.schema, c.table);
    const info = infos.get(key);
    if (!info) return [];
    return candidates[i].flatMap(({ sub, bindings }) => {
      const pkReadable = c.pk.every((n) => info.columns.some((col) => col.name === n && col.readers.has(sub.role)));
      if (!pkReadable) return [];
      const ids = bindings.filter((b) => passes(b, i, key)).map((b) => b.id);
      return ids.length ? [{ sub, ids }] : [];
    });
  });

  // RLS: one query per table and subscriber identity (role + claims), for INSERT/UPDATE on RLS tables.
  const visible = new Map<string, Set<number>>();
  const groupKey = (table: string, sub: ChangesSubscriber) => `${table}\n${sub.role}\n${sub.claims}`;
  const groups = new Map<string, { info: TableInfo; pk: string[]; sub: ChangesSubscriber; items: Array<{ i: number; row: Row }> }>();
  changes.forEach((c, i) => {
    const info = infos.get(tableKey(c.schema, c.table));
    if (!info?.rls || c.action === 'DELETE' || c.pk.length === 0) return;
    for (const { sub } of survivors[i]) {
      const k = groupKey(tableKey(c.schema, c.table), sub);
      if (!groups.has(k)) groups.set(k, { info, pk: c.pk, sub, items: [] });
      const items = groups.get(k)!.items;
      if (items.at(-1)?.i !== i) items.push({ i, row: c.newText ?? {} });
    }
  });
  for (const [k, g] of groups) visible.set(k, await visibleTo(sql, g.info, g.pk, g.sub.role, g.sub.claims, g.items));

  let sent = 0;
  changes.forEach((c, i) => {
    const key = tableKey(c.schema, c.table);
    const info = infos.get(key)!;
    const byRole = new Map<string, Row>();
    for (const { sub, ids } of survivors[i]) {
      const rlsChecked = info.rls && c.action !== 'DELETE' && c.pk.length > 0;
      if (rlsChecked && !visible.get(groupKey(key, sub))?.has(i)) continue;
      if (!byRole.has(sub.role)) byRole.set(sub.role, payloadData(c, info, sub.role));
      sub.send({ ids, data: byRole.get(sub.role)! });
      sent++;
    }
  });
  return sent;
}
