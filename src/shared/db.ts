// The queue's operations as TypeScript calls of its SQL functions (see
// supabase/migrations). No INSERT/UPDATE is assembled here: each function is
// one named SQL call with explicit casts, and a mapping of its rows.
import postgres from 'postgres';
import type { EnqueuedOf, EventRowOf, HandlerRowOf, MinuteStatsOf, RunRowOf, ScheduleRowOf, StatsRow } from './rows.ts';
import { encodable, type Json } from './json.ts';
import type { EventState, HandlerKind, HeartbeatStatus } from './states.ts';
import type { BulkInput, EnqueueItem, HandlerInput, ListQuery, RescheduleInput, ScheduleInput } from './validate.ts';

export type Sql = postgres.Sql<{ bigint: number }>;
/** What a query runs on: the pool, or a transaction of it (sql.begin). */
export type Queryable = Sql | postgres.TransactionSql<{ bigint: number }>;

/** Loopback hosts are reached without TLS (the local stack); every other host requires it. */
function tlsFor(url: string): false | 'require' {
  const host = new URL(url.replace(/^postgres(ql)?:/, 'http:')).hostname;
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || /^\/|^$/.test(host) ? false : 'require';
}

/**
 * A postgres.js client for the queue. bigint ids come back as numbers (safe
 * up to 2^53). Prepared statements are off and no session state is used, so
 * the same code runs through Supavisor's transaction pooler (port 6543) as
 * through the direct connection; LISTEN (listen() below) needs the direct
 * one. TLS is required for every host but loopback. Pools stay small: every
 * edge-function worker holds its own, and they all count against the
 * project's max_connections (60 on the smallest plans). (Default pool: 2
 * connections; application_name 'supaqueue')
 */
export function connect(url: string, options: { max?: number; name?: string } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 2,
    ssl: tlsFor(url),
    // Shown in pg_stat_activity, so an operator can tell the queue's connections apart.
    connection: { application_name: options.name ?? 'supaqueue' },
    prepare: false,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    // postgres.js reads the catalog's array types as the first query of each
    // new connection, in a promise nobody awaits: a backend terminated at that
    // moment is an unhandled rejection, which ends an edge-function worker
    // with every request in flight (porsager/postgres#1192, #1223). So it is
    // off, and the array types the queue and its tests pass are declared here.
    fetch_types: false,
    types: {
      bigint: { to: 20, from: [20], serialize: (n: number) => String(n), parse: (s: string) => Number(s) },
      bigints: arrayType(1016, Number),
      integers: arrayType(1007, Number),
      texts: arrayType(1009),
      names: arrayType(1003),
    },
  }) as unknown as Sql;
}

/** A one-dimensional array type by its oid, its elements read by `element` (text as it is). */
function arrayType(oid: number, element: (text: string) => string | number = String) {
  return {
    to: oid, from: [oid], serialize: arrayLiteral,
    parse: (s: string) => parseArray(s).map((x) => (x === null ? null : element(x))),
  };
}

/** A one-dimensional array literal: numbers as they are, strings quoted, null as NULL: '{1,"a\\"b",NULL}'. */
function arrayLiteral(xs: Array<string | number | null>): string {
  return `{${xs.map((x) => {
    if (x === null) return 'NULL';
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new TypeError(`not a finite number: ${x}`);
      return String(x);
    }
    return `"${x.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }).join(',')}}`;
}

/** A one-dimensional array as Postgres prints it: elements bare or double-quoted (with backslash escapes), NULL unquoted. */
function parseArray(s: string): Array<string | null> {
  const out: Array<string | null> = [];
  if (s === '{}') return out;
  let i = 1;
  while (i < s.length - 1) {
    if (s[i] === '"') {
      let v = '';
      for (i++; i < s.length && s[i] !== '"'; i++) v += s[i] === '\\' ? s[++i] : s[i];
      out.push(v);
      i += 2; // the closing quote and the comma (or the closing brace)
    } else {
      const comma = s.indexOf(',', i);
      const end = comma === -1 ? s.length - 1 : comma;
      const v = s.slice(i, end);
      out.push(v === 'NULL' ? null : v);
      i = end + 1;
    }
  }
  return out;
}

/**
 * The URL a function's queries use: Supavisor's transaction pooler when
 * QUEUE_DB_URL is set (a function secret), else the direct SUPABASE_DB_URL
 * the platform injects. LISTEN needs the direct one (dispatch's listener).
 */
export function queryUrl(env: (name: string) => string | undefined): string {
  const url = env('QUEUE_DB_URL') || env('SUPABASE_DB_URL');
  if (!url) throw new Error('SUPABASE_DB_URL is not set');
  return url;
}

export type Handler = HandlerRowOf<Date>;
export type Schedule = ScheduleRowOf<Date>;
export type NameStats = StatsRow;
export type MinuteStats = MinuteStatsOf<Date>;
export type QueueEvent = EventRowOf<Date>;
export type Run = RunRowOf<Date>;
/** What enqueue answers per event, run_at already the string JSON carries (see enqueueMany); the SDK's Enqueued, which functions/ may not import. */
export type Enqueued = EnqueuedOf<string>;

/** One claimed event with its handler, as claim() returns it and tick posts it: the unit dispatch runs. */
export interface Claimed {
  id: number;
  run_id: number;
  name: string;
  props: Record<string, Json>;
  attempt: number;
  priority: number;
  run_at: string | Date;
  lease_until: string | Date;
  owner: string | null;
  kind: HandlerKind;
  target: string;
  timeout_ms: number;
}


/**
 * One attempt's outcome as settle() takes it: `outcome` is the run's outcome
 * (queue.run_outcome), the one discriminant; a success carries its result,
 * anything else its error.
 */
export type Outcome =
  | { run_id: number; outcome: 'succeeded'; result: Json }
  | { run_id: number; outcome: 'failed' | 'timed_out' | 'cancelled'; error: { message: string; [k: string]: Json } };

/** numeric columns arrive as strings; these are small enough for a JS number. */
const numeric = (h: Handler): Handler => ({ ...h, backoff_factor: Number(h.backoff_factor), backoff_jitter: Number(h.backoff_jitter) });

/**
 * A statement's answer that is not its own: postgres.js keeps a dead
 * backend's query and error state when it reuses the connection
 * (porsager/postgres#1215, #1223), and under terminated connections an
 * enqueue was once answered with the ids of another enqueue's events (in
 * test/faults.test.ts). Whether this statement committed is unknown, so it
 * fails as a lost connection does.
 */
export class MisdeliveredAnswer extends Error {
  override name = 'MisdeliveredAnswer';
}

export async function enqueueMany(sql: Sql, items: EnqueueItem[], owner: string | null): Promise<Enqueued[]> {
  // Each statement carries a nonce that its answer echoes: an enqueue answers
  // with the ids its own events got, or not at all.
  const nonce = crypto.randomUUID();
  // One JSON array, as claim() answers, in input order; run_at is written as
  // Date.prototype.toISOString writes it (UTC, milliseconds, "Z").
  const [answer] = await sql<{ nonce: string; events: Enqueued[] }[]>`
    select ${nonce}::text as nonce,
           coalesce(json_agg(json_build_object(
             'id', e.id, 'name', e.name, 'state', e.state,
             'run_at', to_char(e.run_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'created', e.created
           ) order by e.ordinal), '[]') as events
      from queue.enqueue_many(${sql.json(items as unknown as Json)}::jsonb, ${owner}::uuid) e`;
  if (answer?.nonce !== nonce || answer.events.length !== items.length) {
    throw new MisdeliveredAnswer(`The database's answer to an enqueue of ${items.length} event(s) was not its own (${answer?.events.length ?? 0} event(s)); whether the events were written is unknown.`);
  }
  return answer.events;
}

export async function createHandler(sql: Sql, h: HandlerInput): Promise<Handler> {
  const [row] = await sql<Handler[]>`select * from queue.create_handler(${sql.json(h as Json)}::jsonb)`;
  return numeric(row);
}

export async function updateHandler(sql: Sql, name: string, patch: HandlerInput): Promise<Handler> {
  const [row] = await sql<Handler[]>`select * from queue.update_handler(${name}::text, ${sql.json(patch as Json)}::jsonb)`;
  return numeric(row);
}

export async function deleteHandler(sql: Sql, name: string): Promise<Handler> {
  const [row] = await sql<Handler[]>`select * from queue.delete_handler(${name}::text)`;
  return numeric(row);
}

export async function listHandlers(sql: Sql): Promise<Handler[]> {
  return (await sql<Handler[]>`select * from queue.handlers order by name`).map(numeric);
}

export async function getHandler(sql: Sql, name: string): Promise<Handler | undefined> {
  const [row] = await sql<Handler[]>`select * from queue.handlers where name = ${name}::text`;
  return row && numeric(row);
}

export async function listEvents(sql: Sql, q: ListQuery, owner: string | null): Promise<QueueEvent[]> {
  return (await sql<QueueEvent[]>`
    select * from queue.list_events(
      ${q.state ?? null}::queue.event_state, ${q.name ?? null}::text, ${q.schedule ?? null}::text,
      ${q.created_after ?? null}::timestamptz, ${q.created_before ?? null}::timestamptz,
      ${q.before_id ?? null}::bigint, ${q.limit}::integer, ${owner}::uuid)`).map(encodable);
}

/** Timestamps inside jsonb come as '…+00:00' strings; as Dates they serialize like every other route's. */
function dates<T extends object>(row: T, keys: readonly string[]): T {
  const out = { ...row } as Record<string, unknown>;
  for (const k of keys) if (typeof out[k] === 'string') out[k] = new Date(out[k] as string);
  return out as T;
}
const EVENT_TIMES = ['run_at', 'lease_until', 'cancel_requested_at', 'created_at', 'updated_at', 'finished_at'] as const;
const RUN_TIMES = ['started_at', 'finished_at'] as const;

export async function getEvent(sql: Sql, id: number, owner: string | null): Promise<(QueueEvent & { runs: Run[] }) | null> {
  const [row] = await sql<{ event: (QueueEvent & { runs: Run[] }) | null }[]>`
    select queue.get_event(${id}::bigint, ${owner}::uuid) as event`;
  if (!row.event) return null;
  return encodable({ ...dates(row.event, EVENT_TIMES), runs: row.event.runs.map((r) => encodable(dates(r, RUN_TIMES))) });
}

export async function cancel(sql: Sql, id: number, owner: string | null): Promise<QueueEvent> {
  const [row] = await sql<QueueEvent[]>`select * from queue.cancel(${id}::bigint, ${owner}::uuid)`;
  return row;
}

export async function retry(sql: Sql, id: number, owner: string | null): Promise<QueueEvent> {
  const [row] = await sql<QueueEvent[]>`select * from queue.retry(${id}::bigint, ${owner}::uuid)`;
  return row;
}

export async function reschedule(sql: Sql, id: number, change: RescheduleInput, owner: string | null): Promise<QueueEvent> {
  const [row] = await sql<QueueEvent[]>`
    select * from queue.reschedule(${id}::bigint, ${change.run_at ?? null}::timestamptz, ${change.priority ?? null}::integer, ${owner}::uuid)`;
  return row;
}

/** The deleted row, encodable: it cannot be read again, so it must not fail to encode after the delete. */
export async function deleteEvent(sql: Sql, id: number, owner: string | null): Promise<QueueEvent> {
  const [row] = await sql<QueueEvent[]>`select * from queue.delete_event(${id}::bigint, ${owner}::uuid)`;
  return encodable(row);
}

/** The verbs that act on every event a filter matches: queue.cancel_many, retry_many, delete_many. */
export const BULK_VERBS = ['cancel', 'retry', 'delete'] as const;
export type BulkVerb = (typeof BULK_VERBS)[number];

/** What a bulk verb did to one batch: how many events, and the before_id of the next batch (null: none). */
export interface BulkResult {
  count: number;
  next_before_id: number | null;
}

/** One batch of a bulk verb (queue.<verb>_many), or with dry_run the count of every event it would act on. */
export async function bulk(sql: Sql, verb: BulkVerb, { filter, dry_run }: BulkInput, owner: string | null): Promise<BulkResult> {
  const [row] = await sql<BulkResult[]>`
    select count, next_before_id
      from ${sql(`queue.${verb}_many`)}(${sql.json(filter as Json)}::jsonb, ${owner}::uuid, ${dry_run}::boolean)`;
  return row;
}

/** What claim() accepts as a worker name, as it writes the name into its statement. */
const WORKER_NAME = /^[\w.:-]{1,200}$/;

/**
 * Claims up to `limit` due events; `delivered`: the caller runs them itself
 * (a drainer), so no first heartbeat is needed.
 *
 * Its values are written into the statement, each checked first (a worker
 * name of WORKER_NAME, an integer, a boolean), so it goes by the simple
 * protocol in one round trip. With parameters, postgres.js (which prepares
 * nothing here, see connect) first has Postgres describe the statement: a
 * round trip of its own on the way from an enqueue's commit to its handler's
 * start (README, Performance: pickup).
 */
export async function claim(sql: Queryable, worker: string, limit: number, { delivered = false } = {}): Promise<Claimed[]> {
  if (!WORKER_NAME.test(worker)) throw new TypeError(`claim: worker name ${JSON.stringify(worker)} is not of ${WORKER_NAME}`);
  if (!Number.isSafeInteger(limit)) throw new TypeError(`claim: limit ${limit} is not an integer`);
  // One JSON array, not a row per event: postgres.js decodes every column of
  // every row in JavaScript, which a fresh worker runs unoptimised; JSON.parse
  // of one value is native. Claim's order is kept: json_agg takes the rows as
  // the function returns them.
  const [{ rows }] = await sql.unsafe<{ rows: Claimed[] }[]>(
    `select coalesce(json_agg(c), '[]') as rows from queue.claim('${worker}'::text, ${limit}::integer, ${delivered === true}) c`);
  return rows;
}

/**
 * claim() for a drainer that has marked itself stopped (queue.drain_stop) and
 * claims on: its last look before it ends, or its claims while it hands over
 * in overtime. Only while kicks are on, checked in the claim's transaction
 * with the settings row held FOR SHARE: turning kicks off waits for a claim
 * under way, and no claim follows it. So once kicks are off and no drainer is
 * marked running, no drainer claims (the tick alone dispatches). null when
 * kicks are off.
 */
export async function claimWhileKicksOn(sql: Sql, worker: string, limit: number): Promise<Claimed[] | null> {
  return sql.begin(async (tx) => {
    const [{ kicks }] = await tx<{ kicks: boolean }[]>`select kicks from queue.settings for share`;
    return kicks ? claim(tx, worker, limit, { delivered: true }) : null;
  });
}

export async function heartbeat(sql: Sql, runIds: number[]): Promise<Map<number, HeartbeatStatus>> {
  const rows = await sql<{ run_id: number; status: HeartbeatStatus }[]>`
    select run_id, status from queue.heartbeat(${runIds}::bigint[])`;
  return new Map(rows.map((r) => [r.run_id, r.status]));
}

/** Returns false when kicks are turned off: the drainer should stop. */
export async function drainAlive(sql: Sql, seconds: number): Promise<boolean> {
  const [row] = await sql<{ go: boolean }[]>`select queue.drain_alive(${seconds}::integer) as go`;
  return row.go;
}

/** With `send` false the caller sends the kick itself (see queue.kick). */
export async function kickIfDue(sql: Sql, send = true): Promise<boolean> {
  const [row] = await sql<{ kicked: boolean }[]>`select queue.kick_if_due(${send}::boolean) as kicked`;
  return row.kicked;
}

export async function release(sql: Sql, runIds: number[]): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select queue.release(${runIds}::bigint[]) as n`;
  return row.n;
}

/** Channel the insert trigger notifies when events come due soon (delivered at commit). */
export const EVENTS_CHANNEL = 'queue_events';

export async function drainStop(sql: Sql): Promise<void> {
  await sql`select queue.drain_stop()`;
}

export async function nextDueAt(sql: Sql): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`select queue.next_due_at() as at`;
  return row.at;
}

export async function redrive(sql: Sql, name: string, owner: string | null): Promise<number> {
  const [row] = await sql<{ count: number }[]>`select queue.redrive(${name}::text, ${owner}::uuid) as count`;
  return row.count;
}

export async function stats(sql: Sql): Promise<NameStats[]> {
  return sql<NameStats[]>`select * from queue.stats`;
}

/** The last hour, a row a minute, oldest first (queue.stats_by_minute). */
export async function statsByMinute(sql: Sql): Promise<MinuteStats[]> {
  return sql<MinuteStats[]>`select minute, runs, failures, oldest_due_age_ms from queue.stats_by_minute`;
}

export async function createSchedule(sql: Sql, s: ScheduleInput): Promise<Schedule> {
  const [row] = await sql<Schedule[]>`select * from queue.create_schedule(${sql.json(s as unknown as Json)}::jsonb)`;
  return row;
}

export async function deleteSchedule(sql: Sql, name: string): Promise<Schedule> {
  const [row] = await sql<Schedule[]>`select * from queue.delete_schedule(${name}::text)`;
  return row;
}

export async function listSchedules(sql: Sql): Promise<Schedule[]> {
  return sql<Schedule[]>`select * from queue.schedules order by name`;
}

export async function getSchedule(sql: Sql, name: string): Promise<Schedule | undefined> {
  const [row] = await sql<Schedule[]>`select * from queue.schedules where name = ${name}::text`;
  return row;
}

/** settle()'s answer per outcome: the event's new state, or nulls for a stale outcome. */
export interface Settled {
  run_id: number;
  event_id: number | null;
  state: EventState | null;
}

export async function settle(sql: Queryable, outcomes: Outcome[]): Promise<Settled[]> {
  // One JSON array, as claim() answers.
  const [{ rows }] = await sql<{ rows: Settled[] }[]>`
    select coalesce(json_agg(s), '[]') as rows from queue.settle(${sql.json(outcomes as unknown as Json)}::jsonb) s`;
  return rows;
}
