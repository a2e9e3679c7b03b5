// Realtime: an unmodified supabase-js client against the local stand-in
// (platform/realtime). Every assertion is on what the client's callbacks
// receive: postgres_changes from the WAL with RLS, filters, both serializer
// versions, several channels per socket, unsubscribe, broadcast, presence,
// heartbeats, token errors, a burst of 1,000 updates, and a restart of the
// stand-in (on a stack of this file's own, so it can restart it freely).
import { randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signJwt } from '../platform/keys/keys.ts';
import type { Stack } from '../platform/stack.ts';
import { connect, type Sql } from '../src/shared/db.ts';
import { call, client, db, registerHandler, stack, tickUntil, tokenFor } from './support/queue.ts';
import { ownStack, type OwnStack } from './support/own-stack.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
const clients: SupabaseClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Vsn = '1.0.0' | '2.0.0';
type Change = { eventType: string; new: any; old: any; commit_timestamp: string; schema: string; table: string; errors: unknown; receivedAt: number };

/** A client signed in as `token` (a user's JWT), as an app using its own auth would be. */
async function userClient(token: string, vsn?: Vsn, url = stack.apiUrl, anonKey = stack.anonKey): Promise<SupabaseClient> {
  const sb = createClient(url, anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket as any, ...(vsn ? { vsn } : {}) },
  });
  await sb.realtime.setAuth(token);
  clients.push(sb);
  return sb;
}

/** A client with an API key only (service_role by default, or anon). */
function keyClient(vsn?: Vsn, url = stack.apiUrl, key = stack.serviceRoleKey): SupabaseClient {
  const sb = vsn || url !== stack.apiUrl || key !== stack.serviceRoleKey
    ? createClient(url, key, { auth: { persistSession: false }, realtime: { transport: WebSocket as any, ...(vsn ? { vsn } : {}) } })
    : client();
  clients.push(sb);
  return sb;
}

/** Subscribes and resolves on SUBSCRIBED; rejects with the error realtime-js reports. */
function subscribed(channel: RealtimeChannel): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status !== 'CLOSED') reject(err ?? new Error(status));
    });
  });
}

/** Every postgres_changes payload the binding receives, stamped with when it arrived. */
function changes(channel: RealtimeChannel, filter: { event?: '*' | 'INSERT' | 'UPDATE' | 'DELETE'; table?: string; filter?: string } = {}): Change[] {
  const got: Change[] = [];
  channel.on('postgres_changes' as any, { event: '*', schema: 'queue', table: 'events', ...filter },
    (p: any) => got.push({ ...p, receivedAt: Date.now() }));
  return got;
}

/** Waits until `check()` holds (the changes a callback collected, say). */
const until = (check: () => boolean, what: string, ms = 10_000) => waitFor(what, check, ms, 20);

async function enqueue(body: Record<string, unknown>, key?: string): Promise<number> {
  const res = await call('enqueue', { method: 'POST', json: body, key });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

const of = (got: Change[], id: number) => got.filter((c) => (c.new?.id ?? c.old?.id) === id);
/** The states an event went through, consecutive repeats folded. */
const states = (got: Change[]) => got.map((c) => c.new.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);

beforeAll(async () => {
  for (const name of ['Addition', 'Subtraction', 'Multiplication']) {
    await registerHandler(sql, { name, kind: 'code', target: name });
  }
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((sb) => sb.removeAllChannels()));
});
afterAll(async () => {
  await sql.end();
});

describe('postgres_changes', () => {
  for (const vsn of ['2.0.0', '1.0.0'] as const) {
    it(`shows a user queued → processing → succeeded for an event they enqueued, in commit order, promptly (vsn ${vsn})`, async () => {
      const user = randomUUID();
      const token = await tokenFor(user);
      const sb = await userClient(token, vsn);
      const channel = sb.channel(`own-${vsn}`);
      const got = changes(channel);
      await subscribed(channel);

      const id = await enqueue({ name: 'Addition', props: { x: 2, y: 3 } }, token);
      await tickUntil(sql, [id]);
      await until(() => of(got, id).some((c) => c.new.state === 'succeeded'), 'succeeded');

      const mine = of(got, id);
      expect(states(mine)).toEqual(['queued', 'processing', 'succeeded']);
      expect(mine[0]).toMatchObject({ eventType: 'INSERT', schema: 'queue', table: 'events', errors: null, old: {} });
      expect(mine[0].new).toMatchObject({ id, name: 'Addition', props: { x: 2, y: 3 }, owner: user, state: 'queued' });
      const done = mine.at(-1)!;
      expect(done).toMatchObject({ eventType: 'UPDATE', new: { state: 'succeeded', result: 5 } });
      // REPLICA IDENTITY FULL: the old row is complete.
      expect(done.old).toMatchObject({ id, name: 'Addition', state: 'processing', owner: user });
      expect(done.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const latencies = mine.map((c) => c.receivedAt - Date.parse(c.commit_timestamp));
      // The 500 ms target is measured by `npm run bench` (timed tests flake
      // on a loaded machine); here only a gross bound guards against batching
      // changes up or delivering them at the next poll of something slow.
      for (const ms of latencies) expect(ms).toBeLessThan(2000);
      const stamps = mine.map((c) => Date.parse(c.commit_timestamp));
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    });
  }

  it('sends a new subscriber only what commits after it joined, as hosted does', async () => {
    const before = await enqueue({ name: 'Addition', props: { x: 1, y: 0 }, delay_ms: 3_600_000 });
    await sleep(200);
    const sb = keyClient();
    const channel = sb.channel('joined-late');
    const got = changes(channel);
    await subscribed(channel);
    const after = await enqueue({ name: 'Addition', props: { x: 2, y: 0 }, delay_ms: 3_600_000 });
    await until(() => of(got, after).length > 0, 'the change after the join');
    await sleep(300); // one more poll, for a change it must not get
    expect(of(got, before)).toEqual([]);
  });

  it('sends a filtered binding only the rows its filter matches (eq, neq, lt, lte, gt, gte, in)', async () => {
    const sb = keyClient();
    const channel = sb.channel('filters');
    const run = randomUUID();
    const inserts = (filter: string) => changes(channel, { event: 'INSERT', filter });
    const got = {
      eq: inserts('name=eq.Subtraction'),
      neq: inserts('name=neq.Subtraction'),
      in: inserts('name=in.(Subtraction,Multiplication)'),
      // Compared as numbers, not text ("10" < "9" as text).
      lt: inserts('priority=lt.10'),
      lte: inserts('priority=lte.10'),
      gt: inserts('priority=gt.9'),
      gte: inserts('priority=gte.10'),
    };
    await subscribed(channel);

    const later = { delay_ms: 3_600_000, props: { run } };
    const a = await enqueue({ name: 'Addition', priority: 9, ...later });
    const s = await enqueue({ name: 'Subtraction', priority: 10, ...later });
    const m = await enqueue({ name: 'Multiplication', priority: 40, ...later });
    await until(() => got.neq.length >= 2 && got.gte.length >= 2, 'the filtered inserts');
    await sleep(300); // nothing else is on its way

    const ids = (list: Change[]) => list.filter((c) => c.new.props.run === run).map((c) => c.new.id);
    expect(ids(got.eq)).toEqual([s]);
    expect(ids(got.neq)).toEqual([a, m]);
    expect(ids(got.in)).toEqual([s, m]);
    expect(ids(got.lt)).toEqual([a]);
    expect(ids(got.lte)).toEqual([a, s]);
    expect(ids(got.gt)).toEqual([s, m]);
    expect(ids(got.gte)).toEqual([s, m]);
  });

  it('never sends user A the events of user B; the service role sees both, anon neither', async () => {
    const [userA, userB] = [randomUUID(), randomUUID()];
    const [tokenA, tokenB] = await Promise.all([tokenFor(userA), tokenFor(userB)]);
    const channels = {
      a: (await userClient(tokenA)).channel('rls'),
      b: (await userClient(tokenB, '1.0.0')).channel('rls'),
      service: keyClient().channel('rls'),
      anon: keyClient(undefined, stack.apiUrl, stack.anonKey).channel('rls'),
    };
    const got = Object.fromEntries(Object.entries(channels).map(([k, ch]) => [k, changes(ch)])) as Record<keyof typeof channels, Change[]>;
    const runsOfA = changes(channels.a, { table: 'runs' });
    await Promise.all(Object.values(channels).map(subscribed));

    const ofA = await enqueue({ name: 'Addition', props: { x: 1, y: 1 } }, tokenA);
    const ofB = await enqueue({ name: 'Addition', props: { x: 2, y: 2 } }, tokenB);
    await tickUntil(sql, [ofA, ofB]);
    await until(() => of(got.service, ofA).length >= 3 && of(got.service, ofB).length >= 3, 'both events at the service role');
    await until(() => of(got.a, ofA).length >= 3 && of(got.b, ofB).length >= 3, 'each user their own');
    await sleep(300);

    expect(got.a.every((c) => c.new.owner === userA)).toBe(true);
    expect(got.b.every((c) => c.new.owner === userB)).toBe(true);
    expect(of(got.a, ofB)).toEqual([]);
    expect(of(got.b, ofA)).toEqual([]);
    expect(got.anon).toEqual([]);
    // queue.runs follows its policy too: the runs of A's event only.
    expect(runsOfA.length).toBeGreaterThan(0);
    expect(runsOfA.every((c) => c.table === 'runs' && c.new.event_id === ofA)).toBe(true);
  });

  it('sends a DELETE with only the primary key in `old`, as Realtime does on an RLS table', async () => {
    const channel = keyClient().channel('deletes');
    const got = changes(channel, { event: 'DELETE' });
    await subscribed(channel);
    const id = await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    await sql`delete from queue.events where id = ${id}`;
    await until(() => got.length > 0, 'the delete');
    expect(got[0]).toMatchObject({ eventType: 'DELETE', new: {}, old: { id }, errors: null });
    expect(Object.keys(got[0].old)).toEqual(['id']);
  });

  it('refuses a filter on a column the role may not read, with a system error', async () => {
    const channel = keyClient(undefined, stack.apiUrl, stack.anonKey).channel('anon-filter');
    const system: any[] = [];
    changes(channel, { filter: 'name=eq.Addition' });
    channel.on('system', {}, (p) => system.push(p));
    await subscribed(channel);
    await until(() => system.length > 0, 'the system message');
    expect(system[0]).toMatchObject({ extension: 'postgres_changes', status: 'error', channel: 'anon-filter' });
    expect(system[0].message).toContain('invalid column for filter name');
  });

  it('keeps streaming past a stored row too deep to encode: its change arrives without that field, with an error, and nothing else is lost', async () => {
    const channel = keyClient().channel('too-deep');
    const got = changes(channel);
    await subscribed(channel);
    const nested = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const before = await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    // Stored straight in SQL, as a row from before the 64-level limit would be.
    const [{ id: deep }] = await sql`
      select id from queue.enqueue_many(jsonb_build_array(jsonb_build_object('name', 'Addition',
        'props', ${nested}::text::jsonb, 'run_at', now() + interval '1 hour')))`;
    const after = await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    await until(() => of(got, after).length > 0 && of(got, deep).length > 0, 'the changes around the deep row');
    expect(of(got, before)).toHaveLength(1);
    const [change] = of(got, deep);
    expect(change).toMatchObject({ eventType: 'INSERT', new: { id: deep, name: 'Addition', state: 'scheduled' } });
    expect(change.new.props).toBeUndefined();
    expect(String(change.errors)).toContain('props');
    expect(of(got, after)[0].new).toMatchObject({ id: after, props: {} });
    await sql`select queue.cancel(${deep}::bigint)`;
  });

  it('delivers 1,000 updates committed in a burst, all of them, in order', async () => {
    const channel = keyClient().channel('burst');
    const id = await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    const got = changes(channel, { event: 'UPDATE', filter: `id=eq.${id}` });
    await subscribed(channel);
    const writer = connect(stack.dbUrl, { max: 1 });
    const started = Date.now();
    let committed = 0;
    try {
      await Promise.all(Array.from({ length: 1000 }, (_, n) =>
        writer`update queue.events set props = ${writer.json({ n })} where id = ${id}`));
      committed = Date.now();
    } finally {
      await writer.end();
    }
    await until(() => got.length >= 1000, '1,000 updates', 30_000);
    await sleep(200);
    expect(got.map((c) => c.new.props.n)).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect(got.map((c) => c.old.props.n ?? -1)).toEqual(Array.from({ length: 1000 }, (_, n) => n - 1));
    console.log(`1,000 updates: committed within ${committed - started} ms, the last delivered ${got.at(-1)!.receivedAt - committed} ms later`);
  });
});

describe('channels and sockets', () => {
  it('serves several channels on one socket, each with its own bindings', async () => {
    const sb = keyClient();
    const adds = sb.channel('adds');
    const subs = sb.channel('subs');
    const gotAdds = changes(adds, { event: 'INSERT', filter: 'name=eq.Addition' });
    const gotSubs = changes(subs, { event: 'INSERT', filter: 'name=eq.Subtraction' });
    await Promise.all([subscribed(adds), subscribed(subs)]);
    const a = await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    const s = await enqueue({ name: 'Subtraction', delay_ms: 3_600_000 });
    await until(() => gotAdds.length > 0 && gotSubs.length > 0, 'both channels');
    await sleep(200);
    expect(gotAdds.map((c) => c.new.id)).toEqual([a]);
    expect(gotSubs.map((c) => c.new.id)).toEqual([s]);
    expect(sb.realtime.getChannels()).toHaveLength(2);
  });

  it('stops delivering to a channel after it unsubscribes', async () => {
    const channel = keyClient().channel('leaving');
    const got = changes(channel, { event: 'INSERT' });
    await subscribed(channel);
    const before = await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    await until(() => of(got, before).length > 0, 'the first insert');
    expect(await channel.unsubscribe()).toBe('ok');
    await enqueue({ name: 'Addition', delay_ms: 3_600_000 });
    await sleep(500);
    expect(got.map((c) => c.new.id)).toEqual([before]);
  });

  it('answers heartbeats', async () => {
    const statuses: string[] = [];
    const sb = createClient(stack.apiUrl, stack.serviceRoleKey, {
      realtime: { transport: WebSocket as any, heartbeatCallback: (status: string) => statuses.push(status) } as any,
    });
    clients.push(sb);
    await subscribed(sb.channel('beat'));
    await sb.realtime.sendHeartbeat();
    await until(() => statuses.includes('ok'), 'a heartbeat reply');
  });

  it('refuses a join whose token is forged or expired, with Realtime\'s reasons', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = await signJwt('not-the-project-secret-not-the-project-secret', { role: 'authenticated', sub: randomUUID(), exp: now + 3600 });
    const expired = await signJwt(stack.jwtSecret, { role: 'authenticated', sub: randomUUID(), exp: now - 60 });
    await expect(subscribed((await userClient(forged)).channel('forged')))
      .rejects.toThrow('JwtSignatureError: Failed to validate JWT signature');
    await expect(subscribed((await userClient(expired)).channel('expired')))
      .rejects.toThrow(/^InvalidJWTToken: Token has expired 6\d seconds ago$/);
  });

  it('starts sending a user their rows when the client signs in on a joined channel (access_token)', async () => {
    const user = randomUUID();
    const token = await tokenFor(user);
    const sb = keyClient(undefined, stack.apiUrl, stack.anonKey);
    const channel = sb.channel('sign-in');
    const got = changes(channel);
    const system: any[] = [];
    channel.on('system', {}, (p) => system.push(p));
    await subscribed(channel);
    const before = await enqueue({ name: 'Addition', delay_ms: 3_600_000 }, token);
    await sleep(300);
    expect(of(got, before)).toEqual([]); // anon

    await sb.realtime.setAuth(token);
    await until(() => system.length === 2, 'the new subscription');
    expect(system[1]).toMatchObject({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' });
    const after = await enqueue({ name: 'Addition', delay_ms: 3_600_000 }, token);
    await until(() => of(got, after).length > 0, 'the insert after signing in');
    expect(got.map((c) => c.new.owner)).toEqual([user]);
  });

  it('relays broadcasts between clients, across serializer versions, to the sender only with self', async () => {
    const config = (self: boolean) => ({ config: { broadcast: { self, ack: true } } });
    const sender = keyClient('2.0.0').channel('room', config(true));
    const listenerV1 = keyClient('1.0.0').channel('room', config(false));
    const listenerV2 = keyClient('2.0.0').channel('room', config(false));
    const heard = { sender: [] as any[], v1: [] as any[], v2: [] as any[] };
    sender.on('broadcast', { event: 'moved' }, (m) => heard.sender.push(m));
    listenerV1.on('broadcast', { event: 'moved' }, (m) => heard.v1.push(m));
    listenerV2.on('broadcast', { event: '*' }, (m) => heard.v2.push(m));
    await Promise.all([subscribed(sender), subscribed(listenerV1), subscribed(listenerV2)]);

    expect(await sender.send({ type: 'broadcast', event: 'moved', payload: { x: 1 } })).toBe('ok');
    expect(await listenerV1.send({ type: 'broadcast', event: 'moved', payload: { x: 2 } })).toBe('ok');
    await until(() => heard.sender.length === 2 && heard.v2.length === 2 && heard.v1.length === 1, 'the broadcasts');
    await sleep(200);

    const payloads = (list: any[]) => list.map((m) => [m.type, m.event, m.payload.x]);
    expect(payloads(heard.sender)).toEqual([['broadcast', 'moved', 1], ['broadcast', 'moved', 2]]);
    expect(payloads(heard.v2)).toEqual([['broadcast', 'moved', 1], ['broadcast', 'moved', 2]]);
    expect(payloads(heard.v1)).toEqual([['broadcast', 'moved', 1]]); // not its own
  });

  it('keeps presence for clients that track', async () => {
    const first = keyClient().channel('lobby', { config: { presence: { key: 'first' } } });
    const second = keyClient('1.0.0').channel('lobby', { config: { presence: { key: 'second' } } });
    for (const ch of [first, second]) ch.on('presence', { event: 'sync' }, () => {});
    await Promise.all([subscribed(first), subscribed(second)]);
    expect(await first.track({ online_at: 1 })).toBe('ok');
    expect(await second.track({ online_at: 2 })).toBe('ok');
    await until(() => Object.keys(first.presenceState()).length === 2, 'both present');
    expect(second.presenceState().first).toMatchObject([{ online_at: 1 }]);
    await second.untrack();
    await until(() => Object.keys(first.presenceState()).length === 1, 'second gone');
  });
});

describe('restarting the Realtime stand-in', () => {
  let handle: OwnStack | undefined;
  let own: Stack | undefined;
  let ownSql: Sql | undefined;

  beforeAll(async () => {
    handle = await ownStack();
    ({ stack: own, sql: ownSql } = handle);
  }, 180_000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((sb) => sb.removeAllChannels()));
    await handle?.close();
  });

  it('keeps a client receiving after a restart, with nothing committed meanwhile lost or repeated', { timeout: 60_000 }, async () => {
    const sb = keyClient(undefined, own!.apiUrl, own!.serviceRoleKey);
    const channel = sb.channel('survivor');
    const got = changes(channel, { event: 'INSERT' });
    await subscribed(channel);
    const later = (n: number) => ownSql!<{ id: number }[]>`
      select id from queue.enqueue('Addition', ${ownSql!.json({ n })}::jsonb, now() + interval '1 hour')`.then(([r]) => r.id);

    const first = await later(1);
    await until(() => got.length === 1, 'the first insert');
    // Committed, then the stand-in restarts at once: delivered before the stop or after the restart, once.
    const second = await later(2);
    await own!.restartRealtime();
    // Committed while the client is still reconnecting (realtime-js waits a second before it retries).
    const third = await later(3);
    await until(() => got.length >= 3, 'the inserts committed around the restart');
    const fourth = await later(4);
    await until(() => got.length >= 4, 'an insert after the rejoin');
    await sleep(300);
    expect(got.map((c) => c.new.id)).toEqual([first, second, third, fourth]);
  });

  it('holds no replication slot while no one subscribes (nothing is decoded, as hosted reads nothing); the next subscriber gets what commits after its join', { timeout: 60_000 }, async () => {
    const slots = async () => (await ownSql!`select slot_name from pg_replication_slots where slot_type = 'logical'`).map((r) => r.slot_name);
    const later = (n: number) => ownSql!<{ id: number }[]>`
      select id from queue.enqueue('Addition', ${ownSql!.json({ n })}::jsonb, now() + interval '1 hour')`.then(([r]) => r.id);
    await Promise.all(clients.splice(0).map((sb) => sb.removeAllChannels()));
    await waitFor('the slot to be dropped', async () => (await slots()).length === 0, 10_000, 100);
    const unheard = await later(1);

    const sb = keyClient(undefined, own!.apiUrl, own!.serviceRoleKey);
    const channel = sb.channel('after-no-one');
    const got = changes(channel, { event: 'INSERT' });
    await subscribed(channel);
    expect(await slots()).toEqual(['supabase_realtime_local']);
    const heard = await later(2);
    await until(() => got.length >= 1, 'the insert after the join');
    await sleep(300);
    expect(got.map((c) => c.new.id)).toEqual([heard]);
    expect(got.map((c) => c.new.id)).not.toContain(unheard);
  });
});
