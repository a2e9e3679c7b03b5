// Who may call what: every route of every function, against every kind of
// credential a client can send, sent the way clients send it (sb_ keys as
// `apikey`, JWTs as `Authorization: Bearer`), through the gateway to the real
// Deno functions (verify_jwt = false: the functions verify everything). Then
// supabase-js and the SDK with each key, user isolation, and Realtime.
//
// The rules (README.md, "## API"):
//   no / garbage / forged / expired credentials        401 unauthorized, everywhere
//   publishable key, legacy anon key (role anon)       403 forbidden, everywhere
//   a signed-in user's access token (authenticated)    enqueue and events (own events only); 403 on
//                                                      events/stats(/minutes), handlers, schedules, dispatch
//   secret key, legacy service_role key                every route
import { randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { jwtKid, signJwt } from '../platform/keys/keys.ts';
import { createQueue, QueueError } from '../src/sdk/index.ts';
import { call, client, db, registerHandler, rowCounts, stack, tokenFor } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
const clients: SupabaseClient[] = [];
const track = <T extends SupabaseClient>(sb: T) => { clients.push(sb); return sb; };
const OTHER_SECRET = 'not-the-project-secret-not-the-project-secret';
const now = () => Math.floor(Date.now() / 1000);

/** The owner of every event this file enqueues as a user. */
const owner = randomUUID();
let userToken: string;

beforeAll(async () => {
  await registerHandler(sql, { name: 'Addition', kind: 'code', target: 'Addition' });
  userToken = await tokenFor(owner);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((sb) => sb.removeAllChannels()));
});
afterAll(() => sql.end());

/** A scheduled event (an hour out, so no tick takes it) owned by `owner`; its id. */
async function ownedEvent(): Promise<number> {
  const res = await call('enqueue', { method: 'POST', key: userToken, json: { name: 'Addition', props: { x: 1, y: 2 }, delay_ms: 3_600_000 } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A JWT with no signature at all (`alg: none`, empty third part). */
const unsigned = (header: object, payload: object) => `${b64url(header)}.${b64url(payload)}.`;

/** Every kind of credential, as a client sends it. */
const credentials: Record<string, () => Promise<Record<string, string>>> = {
  'no credentials': async () => ({}),
  'garbage bearer token': async () => bearer('garbage'),
  'garbage apikey': async () => ({ apikey: 'garbage' }),
  'an unknown sb_secret_ key': async () => ({ apikey: 'sb_secret_not0this0project0key000000000' }),
  'a token signed with another secret (the project kid)': async () =>
    bearer(await signJwt(OTHER_SECRET, { role: 'service_role', sub: randomUUID(), exp: now() + 3600 }, jwtKid(stack.jwtSecret))),
  'a token signed with another secret (no kid)': async () =>
    bearer(await signJwt(OTHER_SECRET, { role: 'service_role', exp: now() + 3600 })),
  'an HS256 token signed with the project secret but without kid': async () =>
    bearer(await signJwt(stack.jwtSecret, { role: 'authenticated', sub: owner, exp: now() + 3600 })),
  'an expired user token': async () => bearer(await tokenFor(owner, -60)),
  'an unsigned token (alg none) claiming service_role, with the project kid': async () => bearer(unsigned(
    { alg: 'none', typ: 'JWT', kid: jwtKid(stack.jwtSecret) }, { role: 'service_role', sub: randomUUID(), exp: now() + 3600 })),
  'the secret key as a Bearer token': async () => bearer(stack.secretKey),
  'publishable key': async () => ({ apikey: stack.publishableKey }),
  'legacy anon key': async () => ({ apikey: stack.anonKey, ...bearer(stack.anonKey) }),
  'signed-in user': async () => ({ apikey: stack.publishableKey, ...bearer(userToken) }),
  'secret key': async () => ({ apikey: stack.secretKey }),
  'legacy service_role key': async () => ({ apikey: stack.serviceRoleKey, ...bearer(stack.serviceRoleKey) }),
  'legacy service_role key, as Bearer only (pg_net, old SQL)': async () => bearer(stack.serviceRoleKey),
  'legacy service_role key, as apikey only': async () => ({ apikey: stack.serviceRoleKey }),
};

const UNAUTHORIZED = [
  'no credentials', 'garbage bearer token', 'garbage apikey', 'an unknown sb_secret_ key',
  'a token signed with another secret (the project kid)', 'a token signed with another secret (no kid)',
  'an HS256 token signed with the project secret but without kid', 'an expired user token',
  'an unsigned token (alg none) claiming service_role, with the project kid', 'the secret key as a Bearer token',
];
const ANON = ['publishable key', 'legacy anon key'];
const SERVICE = ['secret key', 'legacy service_role key', 'legacy service_role key, as Bearer only (pg_net, old SQL)', 'legacy service_role key, as apikey only'];

/** One request of the matrix: path, method, body, and the status it gets when allowed. */
interface Route {
  label: string;
  /** Builds the request; runs just before it is sent (ids and names are made fresh). */
  make: () => Promise<{ path: string; method: string; json?: unknown }>;
  ok: number;
  /** Who is allowed: 'service' (secret keys only) or 'user' (users and secret keys). */
  who: 'service' | 'user';
}

const uniq = () => `AuthMatrix_${randomUUID().slice(0, 8)}`;
let createdName = '';
let scheduled = '';
const routes: Route[] = [
  { label: 'POST enqueue', who: 'user', ok: 201, make: async () => ({ path: 'enqueue', method: 'POST', json: { name: 'Addition', props: { x: 1, y: 1 }, delay_ms: 3_600_000 } }) },
  { label: 'GET events', who: 'user', ok: 200, make: async () => ({ path: 'events?limit=5', method: 'GET' }) },
  { label: 'GET events/:id', who: 'user', ok: 200, make: async () => ({ path: `events/${await ownedEvent()}`, method: 'GET' }) },
  { label: 'POST events/:id/cancel', who: 'user', ok: 200, make: async () => ({ path: `events/${await ownedEvent()}/cancel`, method: 'POST' }) },
  {
    label: 'POST events/:id/retry', who: 'user', ok: 200,
    make: async () => {
      const id = await ownedEvent();
      await sql`select queue.cancel(${id}, null)`;
      return { path: `events/${id}/retry`, method: 'POST' };
    },
  },
  { label: 'POST events/:id/reschedule', who: 'user', ok: 200, make: async () => ({ path: `events/${await ownedEvent()}/reschedule`, method: 'POST', json: { priority: 3 } }) },
  { label: 'DELETE events/:id', who: 'user', ok: 200, make: async () => ({ path: `events/${await ownedEvent()}`, method: 'DELETE' }) },
  { label: 'POST events/redrive', who: 'user', ok: 200, make: async () => ({ path: 'events/redrive', method: 'POST', json: { name: uniq() } }) },
  // A fresh name: the bulk verbs match nothing, so the matrix changes no other row.
  ...(['cancel', 'retry', 'delete'] as const).map((verb): Route => ({
    label: `POST events/${verb}`, who: 'user', ok: 200, make: async () => ({ path: `events/${verb}`, method: 'POST', json: { name: uniq() } }),
  })),
  { label: 'GET events/stats', who: 'service', ok: 200, make: async () => ({ path: 'events/stats', method: 'GET' }) },
  { label: 'GET events/stats/minutes', who: 'service', ok: 200, make: async () => ({ path: 'events/stats/minutes', method: 'GET' }) },
  { label: 'GET handlers', who: 'service', ok: 200, make: async () => ({ path: 'handlers', method: 'GET' }) },
  {
    label: 'POST handlers', who: 'service', ok: 201,
    make: async () => ({ path: 'handlers', method: 'POST', json: { name: (createdName = uniq()), kind: 'code', target: 'Addition' } }),
  },
  { label: 'GET handlers/:name', who: 'service', ok: 200, make: async () => ({ path: 'handlers/Addition', method: 'GET' }) },
  {
    label: 'PATCH handlers/:name', who: 'service', ok: 200,
    make: async () => ({ path: `handlers/${createdName || 'Addition'}`, method: 'PATCH', json: { max_attempts: 4 } }),
  },
  { label: 'DELETE handlers/:name', who: 'service', ok: 200, make: async () => ({ path: `handlers/${createdName || 'Nope'}`, method: 'DELETE' }) },
  { label: 'GET schedules', who: 'service', ok: 200, make: async () => ({ path: 'schedules', method: 'GET' }) },
  {
    label: 'POST schedules', who: 'service', ok: 201,
    make: async () => ({ path: 'schedules', method: 'POST', json: { name: (scheduled = uniq()), event_name: 'Addition', cron: '0 3 * * *' } }),
  },
  { label: 'GET schedules/:name', who: 'service', ok: 200, make: async () => ({ path: `schedules/${scheduled || 'nope'}`, method: 'GET' }) },
  { label: 'DELETE schedules/:name', who: 'service', ok: 200, make: async () => ({ path: `schedules/${scheduled || 'nope'}`, method: 'DELETE' }) },
  { label: 'POST dispatch', who: 'service', ok: 202, make: async () => ({ path: 'dispatch', method: 'POST', json: { worker: 'auth-matrix', events: [] } }) },
  { label: 'POST dispatch/drain', who: 'service', ok: 202, make: async () => ({ path: 'dispatch/drain', method: 'POST' }) },
];

function expected(credential: string, route: Route): number {
  if (UNAUTHORIZED.includes(credential)) return 401;
  if (ANON.includes(credential)) return 403;
  if (SERVICE.includes(credential)) return route.ok;
  return route.who === 'user' ? route.ok : 403; // signed-in user
}

describe('the auth matrix: every credential × every route', () => {
  for (const credential of Object.keys(credentials)) {
    it(`${credential}: ${[...new Set(routes.map((r) => expected(credential, r)))].join('/')}`, async () => {
      const refusedEverywhere = UNAUTHORIZED.includes(credential) || ANON.includes(credential);
      const before = refusedEverywhere ? await rowCounts(sql) : undefined;
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const route of routes) {
        // For a credential refused everywhere nothing is created first (that would write rows).
        const { path, method, json } = refusedEverywhere ? await staticRequest(route) : await route.make();
        const res = await call(path, { method, json, key: null, headers: await credentials[credential]() });
        got[route.label] = res.status;
        want[route.label] = expected(credential, route);
        if (res.status === 401) {
          expect(res.body.error.code, route.label).toBe('unauthorized');
          expect(res.body.error.message.length, route.label).toBeGreaterThan(20);
        }
        if (res.status === 403) expect(res.body.error.code, route.label).toBe('forbidden');
      }
      expect(got).toEqual(want);
      if (before) expect(await rowCounts(sql)).toEqual(before);
    });
  }
});

/** The request of a route without creating anything first (for credentials refused everywhere). */
async function staticRequest(route: Route): Promise<{ path: string; method: string; json?: unknown }> {
  const [{ id }] = await sql<{ id: number }[]>`select coalesce(max(id), 1)::int as id from queue.events`;
  const byLabel: Record<string, { path: string; method: string; json?: unknown }> = {
    'GET events/:id': { path: `events/${id}`, method: 'GET' },
    'POST events/:id/cancel': { path: `events/${id}/cancel`, method: 'POST' },
    'POST events/:id/retry': { path: `events/${id}/retry`, method: 'POST' },
    'POST events/:id/reschedule': { path: `events/${id}/reschedule`, method: 'POST', json: { priority: 1 } },
    'DELETE events/:id': { path: `events/${id}`, method: 'DELETE' },
    'PATCH handlers/:name': { path: 'handlers/Addition', method: 'PATCH', json: { max_attempts: 1 } },
    'DELETE handlers/:name': { path: 'handlers/Addition', method: 'DELETE' },
    'POST handlers': { path: 'handlers', method: 'POST', json: { name: uniq(), kind: 'code', target: 'Addition' } },
    'POST schedules': { path: 'schedules', method: 'POST', json: { name: uniq(), event_name: 'Addition', cron: '0 3 * * *' } },
    'GET schedules/:name': { path: 'schedules/nope', method: 'GET' },
    'DELETE schedules/:name': { path: 'schedules/nope', method: 'DELETE' },
  };
  return byLabel[route.label] ?? route.make();
}

describe('what a refused caller is told', () => {
  it('401 without credentials says what to send', async () => {
    const enqueue = await call('enqueue', { method: 'POST', key: null, json: {} });
    expect(enqueue).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: expect.stringContaining('"apikey: sb_secret_…"') } } });
    expect(enqueue.body.error.message).toContain('"Authorization: Bearer <token>"');
    const handlers = await call('handlers', { key: null });
    expect(handlers.body.error.message).toContain('This route needs the service role');
  });

  it('401 for an expired token says to refresh the session', async () => {
    const res = await call('events', { key: await tokenFor(owner, -60) });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired.*refreshSession/);
  });

  it('401 for an sb_ key sent as a Bearer token says it goes in apikey', async () => {
    const res = await call('handlers', { key: null, headers: bearer(stack.secretKey) });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('send them as "apikey: <key>"');
  });

  it('401 for a forged token never falls back to a valid apikey beside it (no downgrade)', async () => {
    const forged = await signJwt(OTHER_SECRET, { role: 'service_role', sub: randomUUID(), exp: now() + 3600 }, jwtKid(stack.jwtSecret));
    const res = await call('events', { key: null, headers: { apikey: stack.secretKey, ...bearer(forged) } });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('signature');
  });

  it('403 for the publishable key names the role and what it lacks', async () => {
    const res = await call('enqueue', { method: 'POST', key: stack.publishableKey, json: { name: 'Addition', props: {} } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('the caller is anon');
  });
});

// auth.ts remembers an accepted API key by how it was sent; whatever else a
// request carries is verified in full. Each pair runs twice, after the secret
// key has been accepted by the same worker.
describe('a remembered key', () => {
  it('lets in only the exact key, sent the same way: no bearer, user or near-miss rides on it', async () => {
    const forged = await signJwt(OTHER_SECRET, { role: 'service_role', sub: randomUUID(), exp: now() + 3600 }, jwtKid(stack.jwtSecret));
    const cases: Array<[string, Record<string, string>, number]> = [
      ['the secret key', { apikey: stack.secretKey }, 200],
      ['the secret key as a Bearer token', bearer(stack.secretKey), 401],
      ['a forged token beside the secret key', { apikey: stack.secretKey, ...bearer(forged) }, 401],
      ['a user token beside the secret key', { apikey: stack.secretKey, ...bearer(userToken) }, 403],
      ['the secret key with a character more', { apikey: `${stack.secretKey}x` }, 401],
      ['the secret key less its last character', { apikey: stack.secretKey.slice(0, -1) }, 401],
      ['the publishable key', { apikey: stack.publishableKey }, 403],
    ];
    for (const round of [1, 2]) {
      for (const [label, headers, status] of cases) {
        const res = await call('handlers', { key: null, headers });
        expect(res.status, `${label}, round ${round}: ${JSON.stringify(res.body)}`).toBe(status);
      }
    }
  });
});

describe('a signed-in user', () => {
  it('owns what they enqueue, sees only their own events, and cannot touch another user\'s', async () => {
    const other = randomUUID();
    const otherToken = await tokenFor(other);
    const mine = await ownedEvent();
    const theirs = (await call('enqueue', { method: 'POST', key: otherToken, json: { name: 'Addition', props: { x: 5, y: 5 }, delay_ms: 3_600_000 } })).body.id;
    expect((await sql`select owner from queue.events where id = ${mine}`)[0].owner).toBe(owner);

    const list = await call('events?limit=500', { key: userToken });
    expect(list.status).toBe(200);
    expect(list.body.events.length).toBeGreaterThan(0);
    expect(list.body.events.every((e: any) => e.owner === owner)).toBe(true);
    expect(list.body.events.map((e: any) => e.id)).not.toContain(theirs);

    expect((await call(`events/${theirs}`, { key: userToken })).status).toBe(404);
    expect((await call(`events/${theirs}/cancel`, { method: 'POST', key: userToken })).status).toBe(404);
    expect((await sql`select state from queue.events where id = ${theirs}`)[0].state).toBe('scheduled');
    // The service role sees both.
    expect((await call(`events/${theirs}`)).status).toBe(200);
    expect((await call(`events/${mine}`, { key: stack.serviceRoleKey })).status).toBe(200);
  });
});

describe('supabase-js and the SDK with each key', () => {
  const body = { name: 'Addition', props: { x: 2, y: 2 }, delay_ms: 3_600_000 };
  const status = async (sb: SupabaseClient) => {
    const { data, error } = await sb.functions.invoke('enqueue', { body });
    return error ? (error as any).context.status as number : data.created ? 201 : 200;
  };
  const asUser = (token: string, how: 'accessToken' | 'header', key = stack.publishableKey) => track(createClient(stack.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as any },
    ...(how === 'accessToken' ? { accessToken: async () => token } : { global: { headers: { Authorization: `Bearer ${token}` } } }),
  }));

  it('functions.invoke: secret and legacy service_role keys enqueue; publishable and legacy anon keys get 403', async () => {
    expect(await status(track(client(stack.secretKey)))).toBe(201);
    expect(await status(track(client(stack.serviceRoleKey)))).toBe(201);
    expect(await status(track(client(stack.publishableKey)))).toBe(403);
    expect(await status(track(client(stack.anonKey)))).toBe(403);
  });

  it('functions.invoke as a user: publishable key + accessToken, or + a global Authorization header, or the legacy anon key + accessToken', async () => {
    for (const sb of [asUser(userToken, 'accessToken'), asUser(userToken, 'header'), asUser(userToken, 'accessToken', stack.anonKey)]) {
      const { data, error } = await sb.functions.invoke('enqueue', { body });
      expect(error).toBeNull();
      expect((await sql`select owner from queue.events where id = ${data.id}`)[0].owner).toBe(owner);
    }
  });

  it('the SDK: every method works with the secret key and the legacy service_role key', async () => {
    for (const key of [stack.secretKey, stack.serviceRoleKey]) {
      const queue = createQueue(track(client(key)));
      const event = await queue.enqueue('Addition', { x: 1, y: 1 }, { delay_ms: 3_600_000 });
      expect((await queue.getEvent(event.id)).id).toBe(event.id);
      expect((await queue.listEvents({ name: 'Addition', limit: 5 })).events.length).toBeGreaterThan(0);
      expect((await queue.cancel(event.id)).state).toBe('cancelled');
      expect((await queue.retry(event.id)).state).toBe('queued');
      expect((await queue.reschedule(event.id, { delay_ms: 3_600_000 })).state).toBe('scheduled');
      expect(await queue.cancelMany({ name: uniq() })).toBe(0);
      expect(await queue.retryMany({ name: uniq() })).toBe(0);
      expect(await queue.deleteMany({ name: uniq() })).toBe(0);
      expect((await queue.delete(event.id)).id).toBe(event.id);
      expect(await queue.redrive(uniq())).toBe(0);
      expect(Array.isArray(await queue.stats())).toBe(true);
      expect(await queue.statsByMinute()).toHaveLength(60);
      const name = uniq();
      await queue.handlers.create({ name, kind: 'code', target: 'Addition' });
      expect((await queue.handlers.get(name)).name).toBe(name);
      expect((await queue.handlers.update(name, { max_attempts: 2 })).max_attempts).toBe(2);
      expect((await queue.handlers.list()).map((h) => h.name)).toContain(name);
      const schedule = uniq();
      await queue.schedules.create({ name: schedule, event_name: name, cron: '0 4 * * *' });
      expect((await queue.schedules.get(schedule)).name).toBe(schedule);
      expect((await queue.schedules.list()).map((s) => s.name)).toContain(schedule);
      await queue.schedules.delete(schedule);
      await queue.handlers.delete(name);
    }
  });

  it('the SDK as a signed-in user: their events; QueueError forbidden on the service-only methods', async () => {
    const queue = createQueue(asUser(userToken, 'accessToken'));
    const event = await queue.enqueue('Addition', { x: 3, y: 4 }, { delay_ms: 3_600_000 });
    expect((await queue.getEvent(event.id)).owner).toBe(owner);
    expect((await queue.cancel(event.id)).state).toBe('cancelled');
    for (const refused of [() => queue.stats(), () => queue.statsByMinute(), () => queue.handlers.list(), () => queue.schedules.list()]) {
      await expect(refused()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    }
  });

  it('the SDK with the publishable key only: QueueError forbidden; with a wrong key: QueueError unauthorized', async () => {
    await expect(createQueue(track(client(stack.publishableKey))).enqueue('Addition', { x: 1, y: 1 }))
      .rejects.toMatchObject({ status: 403, code: 'forbidden' });
    const err = await createQueue(track(client('sb_publishable_not0this0project000000000'))).listEvents().catch((e) => e);
    expect(err).toBeInstanceOf(QueueError);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe('Realtime with each key', () => {
  function subscribed(channel: RealtimeChannel, timeoutMs = 5000): Promise<RealtimeChannel> {
    return new Promise((resolve, reject) => {
      channel.subscribe((status, err) => {
        if (status === 'SUBSCRIBED') resolve(channel);
        else if (status !== 'CLOSED') reject(err ?? new Error(status));
      }, timeoutMs);
    });
  }
  /** A client with the publishable key and a user's session token, as an app with Supabase Auth has. */
  async function signedIn(token: string) {
    const sb = track(createClient(stack.apiUrl, stack.publishableKey, { accessToken: async () => token, realtime: { transport: WebSocket as any } }));
    await sb.realtime.setAuth();
    return sb;
  }
  function inserts(sb: SupabaseClient, topic: string) {
    const got: number[] = [];
    const channel = sb.channel(topic).on('postgres_changes' as any, { event: 'INSERT', schema: 'queue', table: 'events' }, (p: any) => got.push(p.new.id));
    return { channel, got };
  }

  it('the secret key sees every event, a user (publishable key + accessToken) their own, the publishable key none', async () => {
    const other = await tokenFor(randomUUID());
    const service = inserts(track(client(stack.secretKey)), 'auth-service');
    const legacy = inserts(track(client(stack.serviceRoleKey)), 'auth-legacy');
    const user = inserts(await signedIn(userToken), 'auth-user');
    const anon = inserts(track(client(stack.publishableKey)), 'auth-anon');
    await Promise.all([service, legacy, user, anon].map((s) => subscribed(s.channel)));

    const mine = await ownedEvent();
    const theirs = (await call('enqueue', { method: 'POST', key: other, json: { name: 'Addition', props: {}, delay_ms: 3_600_000 } })).body.id;
    await waitFor('the service role to see both', () => [mine, theirs].every((id) => service.got.includes(id) && legacy.got.includes(id)));
    await waitFor('the user to see theirs', () => user.got.includes(mine));
    await new Promise((r) => setTimeout(r, 300));
    expect(user.got).not.toContain(theirs);
    expect(anon.got).toEqual([]);
  });

  it('a global Authorization header makes a user for functions only: Realtime runs on the key until setAuth', async () => {
    const sb = track(createClient(stack.apiUrl, stack.publishableKey, {
      global: { headers: { Authorization: `Bearer ${userToken}` } }, realtime: { transport: WebSocket as any },
    }));
    const { data, error } = await sb.functions.invoke('enqueue', { body: { name: 'Addition', props: {}, delay_ms: 3_600_000 } });
    expect(error).toBeNull();
    const watched = inserts(sb, 'auth-header');
    const system: unknown[] = [];
    watched.channel.on('system', {}, (p) => system.push(p));
    await subscribed(watched.channel);
    const before = await ownedEvent();
    await new Promise((r) => setTimeout(r, 300));
    expect(watched.got).toEqual([]); // anon: nothing
    await waitFor('the first subscription', () => system.length === 1);
    await sb.realtime.setAuth(userToken);
    await waitFor('the subscription as the user', () => system.length === 2);
    const after = await ownedEvent();
    await waitFor('the user\'s insert after setAuth', () => watched.got.includes(after));
    expect(watched.got).not.toContain(before);
    expect(data.id).toBeLessThan(before);
  });

  it('refuses a socket whose apikey is not one of the project\'s keys, and a forged or expired user token', async () => {
    await expect(subscribed(track(client('sb_publishable_not0this0project000000000')).channel('auth-bad-key'), 3000)).rejects.toThrow();
    const forged = await signJwt(OTHER_SECRET, { role: 'authenticated', sub: randomUUID(), exp: now() + 3600 }, jwtKid(stack.jwtSecret));
    const expired = await tokenFor(randomUUID(), -60);
    for (const [token, reason] of [[forged, 'JwtSignatureError: Failed to validate JWT signature'], [expired, /^InvalidJWTToken: Token has expired/]] as const) {
      const sb = await signedIn(token);
      await expect(subscribed(sb.channel('auth-bad-token'))).rejects.toThrow(reason);
    }
  });
});
