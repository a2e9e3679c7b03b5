// Helpers the tests share: clients of the running test stack and waits that
// poll the database (the only truth about where an event is).
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { inject } from 'vitest';
import WebSocket from 'ws';
import type { AuthConfig } from '../../src/shared/auth.ts';
import { claim, connect, release, type Claimed, type QueueEvent, type Run, type Sql } from '../../src/shared/db.ts';
import { FINAL_STATES, type EventState } from '../../src/shared/states.ts';
import { MAX_BATCH } from '../../src/shared/validate.ts';
import { localJwks, userJwt } from '../../platform/keys/keys.ts';

export const stack = inject('stack');

export const db = (): Sql => connect(stack.dbUrl, { max: 4 });

/** A supabase-js client with an API key: the secret key unless told otherwise (publishable, a legacy key). */
export const client = (key = stack.secretKey): SupabaseClient =>
  createClient(stack.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no global WebSocket; supabase-js takes one (Node 22+ needs none).
    realtime: { transport: WebSocket as any },
  });

/** An access token for a user, signed with the stack's signing key (with its kid) as Supabase Auth would. */
export const tokenFor = (userId: string, expiresInSeconds?: number) => userJwt(stack.jwtSecret, userId, expiresInSeconds);

/**
 * The AuthConfig a function gets on this stack (what authConfigFromEnv reads
 * from the env the stack injects), for apps created in-process with createApp.
 */
export const testAuth = (): AuthConfig => ({
  url: stack.apiUrl,
  publishableKeys: { default: stack.publishableKey },
  secretKeys: { default: stack.secretKey },
  jwks: localJwks(stack.jwtSecret),
  legacyAnonKey: stack.anonKey,
  legacyServiceRoleKey: stack.serviceRoleKey,
});

/**
 * The headers a client sends with `key`, as supabase-js does: an `sb_` API
 * key as `apikey` (it is not a JWT), a JWT (legacy key, user token, or
 * anything else) as `Authorization: Bearer`.
 */
export function keyHeaders(key: string | null | undefined, headers = new Headers()): Headers {
  if (!key) return headers;
  if (key.startsWith('sb_')) headers.set('apikey', key);
  else headers.set('authorization', `Bearer ${key}`);
  return headers;
}

/** fetch against a function through the gateway, with the secret key unless told otherwise (`key: null`: none). */
export async function call(path: string, init: RequestInit & { key?: string | null; json?: unknown } = {}) {
  const { key = stack.secretKey, json, ...rest } = init;
  const headers = keyHeaders(key, new Headers(rest.headers));
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(`${stack.functionsUrl}/${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  const text = await res.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body };
}

/** Registers (or replaces) a handler straight in SQL through queue.create_handler. */
export async function registerHandler(sql: Sql, handler: Record<string, unknown> & { name: string }) {
  await sql`delete from queue.handlers where name = ${handler.name}`;
  await sql`select queue.create_handler(${sql.json(handler as any)}::jsonb)`;
}

/** Enqueues n events of `name` (props plus their index `i`) through queue.enqueue_many, MAX_BATCH per call (as POST /enqueue takes them); their ids. */
export async function enqueueMany(sql: Sql, name: string, n: number, props: object = {}): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i += MAX_BATCH) {
    const events = Array.from({ length: Math.min(MAX_BATCH, n - i) }, (_, j) => ({ name, props: { ...props, i: i + j } }));
    ids.push(...(await sql<{ id: number }[]>`select id from queue.enqueue_many(${sql.json(events as any)}::jsonb)`).map((r) => r.id));
  }
  return ids;
}

/**
 * An event due `dueMsAgo` ago that nothing will claim: `name`'s handler is
 * enabled only for the enqueue (enqueue refuses a disabled name) and disabled
 * again in the same transaction. Its id.
 */
export async function enqueueUnclaimed(sql: Sql, name: string, dueMsAgo: number): Promise<number> {
  await registerHandler(sql, { name, kind: 'code', target: 'Addition', enabled: false });
  return sql.begin(async (tx) => {
    await tx`update queue.handlers set enabled = true where name = ${name}`;
    const [row] = await tx<{ id: number }[]>`
      select id from queue.enqueue(${name}::text, '{"x": 1, "y": 1}'::jsonb, now() - make_interval(secs => ${dueMsAgo / 1000}))`;
    await tx`update queue.handlers set enabled = false where name = ${name}`;
    return row.id;
  });
}

/**
 * Claims the events `eventIds` (queue.claim, as `worker`) and nothing else:
 * whatever else was due and got claimed with them is handed straight back,
 * unspent (queue.release of an undelivered attempt). Fails if one of them
 * was not claimed (not due, or another claimer has it).
 */
export async function claimOnly(sql: Sql, eventIds: number[], worker: string): Promise<Claimed[]> {
  const mine: Claimed[] = [];
  // An earlier file may have left more than one claim's worth due before them
  // (kicks off, so no drainer ran them): claim again until they come up. What
  // was handed back is due from now on, after them.
  for (let round = 0; round < 10 && mine.length < eventIds.length; round++) {
    const rows = await claim(sql, worker, 1000);
    if (rows.length === 0) break;
    const others = rows.filter((r) => !eventIds.includes(r.id));
    if (others.length) await release(sql, others.map((r) => r.run_id));
    mine.push(...rows.filter((r) => eventIds.includes(r.id)));
  }
  if (mine.length !== eventIds.length) throw new Error(`claimed ${mine.length} of events ${eventIds.join(', ')}`);
  return mine;
}

/**
 * Makes the leases of `eventIds` run out now, as if their dispatcher had
 * stopped heartbeating; with `{ reclaim: true }` queue.reclaim() runs in the
 * same transaction, so a dispatcher's heartbeat cannot renew a lease in
 * between, and its count is returned (else 0). The one place the tests
 * name the lease column.
 */
export async function expireLeases(sql: Sql, eventIds: number[], opts: { reclaim?: boolean } = {}): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`update queue.events set lease_until = now() - interval '1 second' where id = any(${eventIds}::bigint[])`;
    if (!opts.reclaim) return 0;
    const [{ reclaimed }] = await tx<{ reclaimed: number }[]>`select queue.reclaim() as reclaimed`;
    return reclaimed;
  });
}

export async function eventsById(sql: Sql, ids: number[]): Promise<QueueEvent[]> {
  return sql<QueueEvent[]>`select * from queue.events where id = any(${ids}::bigint[]) order by id`;
}

export async function runsOf(sql: Sql, id: number): Promise<Run[]> {
  return sql<Run[]>`select * from queue.runs where event_id = ${id} order by id`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs queue.tick() (as the cron job would, without waiting for the minute)
 * until every event in `ids` is in one of `states`, or fails after `timeoutMs`.
 */
export async function tickUntil(
  sql: Sql, ids: number[], states: readonly EventState[] = FINAL_STATES, timeoutMs = 30_000,
): Promise<QueueEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sql`select * from queue.tick()`;
    for (let i = 0; i < 10; i++) {
      const events = await eventsById(sql, ids);
      if (events.length === ids.length && events.every((e) => states.includes(e.state))) return events;
      await sleep(50);
    }
    if (Date.now() > deadline) {
      const events = await eventsById(sql, ids);
      const counts = events.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.state]: (acc[e.state] ?? 0) + 1 }), {});
      throw new Error(`events did not reach ${states.join('/')} within ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
  }
}

/**
 * Row counts of what a request could write (events, handlers, schedules), to
 * prove a refused request changed nothing. Runs are left out: earlier events
 * may still be running in the background while a test compares.
 */
export async function rowCounts(sql: Sql) {
  const [row] = await sql<{ events: number; handlers: number; schedules: number }[]>`
    select (select count(*) from queue.events)::int as events,
           (select count(*) from queue.handlers)::int as handlers,
           (select count(*) from queue.schedules)::int as schedules`;
  return row;
}

/**
 * Turns kicks off (settings.kicks) and waits until no drainer is running, so
 * a test that claims or ticks by hand is not raced by a kicked drainer.
 * `setKicks(sql, true)` turns them back on.
 */
export async function setKicks(sql: Sql, on: boolean, timeoutMs = 90_000): Promise<void> {
  await sql`update queue.settings set kicks = ${on}`;
  if (on) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ idle }] = await sql`select active_until < clock_timestamp() as idle from queue._drainer`;
    if (idle) return;
    if (Date.now() > deadline) throw new Error('a drainer is still running');
    await sleep(200);
  }
}
