// The TypeScript SDK (src/sdk) against the real stack: every route
// through supabase.functions.invoke, errors as QueueErrors, subscribe and
// waitFor over Realtime, and the typed payloads — at compile time (tsc -p .
// fails if a line marked to expect an error in typeChecks compiles) and at
// run time (the same schema in the SDK and in dispatch's code handlers).
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { codeHandlers, defineHandler, defineHandlers, type HandlerContext } from '../functions/dispatch/code-handlers.ts';
import type { Enqueued as DbEnqueued, Handler, NameStats, QueueEvent, Run, Schedule } from '../src/shared/db.ts';
import { defineEvents, defineSchema, type Infer, type PayloadsOf } from '../src/shared/schema.ts';
import {
  builtinEvents, createQueue, QueueError,
  type Enqueued, type EventChange, type EventRow, type HandlerRow, type Queue, type RunRow, type ScheduleRow, type StatsRow,
} from '../src/sdk/index.ts';
import type { Json } from '../src/shared/json.ts';
import { client, db, registerHandler, setKicks, stack, tokenFor } from './support/queue.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const assertType = <T extends true>(_?: T) => {};

const sql = db();
const clients: SupabaseClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const events = defineEvents({
  SdkAdd: { x: 'number', y: 'number' },
  SdkDiv: { x: 'number', y: 'number' },
  SdkWatch: { x: 'number', y: 'number', note: 'string?' },
});

const service = () => {
  const sb = client();
  clients.push(sb);
  return sb;
};

/** A supabase-js client signed in as a user (as an app with Supabase Auth would be). */
async function userClient(userId = randomUUID()): Promise<SupabaseClient> {
  const token = await tokenFor(userId);
  const sb = createClient(stack.apiUrl, stack.anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket as any },
  });
  clients.push(sb);
  return sb;
}

/** The QueueError a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<QueueError> {
  const err = await p.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(QueueError);
  return err as QueueError;
}

const countOf = async (name: string) => (await sql`select count(*)::int as n from queue.events where name = ${name}`)[0].n as number;

let queue: Queue<PayloadsOf<typeof events>>;

beforeAll(async () => {
  await sql`delete from queue.schedules where name like 'sdk-%'`;
  await registerHandler(sql, { name: 'SdkAdd', kind: 'code', target: 'Addition', max_attempts: 1 });
  await registerHandler(sql, { name: 'SdkDiv', kind: 'code', target: 'Division', max_attempts: 1 });
  await registerHandler(sql, { name: 'SdkWatch', kind: 'code', target: 'Addition', max_attempts: 1 });
  await sql`delete from queue.handlers where name = 'SdkRegistered'`;
  await setKicks(sql, true);
  queue = createQueue(service(), { events });
});
afterAll(async () => {
  await Promise.all(clients.map((sb) => sb.removeAllChannels()));
  await sql`delete from queue.schedules where name like 'sdk-%'`;
  await sql.end();
});

describe('schemas (defineEvents, defineSchema)', () => {
  it('infers the declared payload types', () => {
    assertType<Equal<PayloadsOf<typeof events>['SdkAdd'], { x: number; y: number }>>();
    assertType<Equal<PayloadsOf<typeof builtinEvents>, {
      Addition: { x: number; y: number }; Subtraction: { x: number; y: number };
      Multiplication: { x: number; y: number }; Division: { x: number; y: number };
    }>>();
    const rich = defineSchema({ id: 'integer', tags: 'string[]?', on: 'boolean', meta: 'json?', to: { email: 'string' } });
    assertType<Equal<ReturnType<typeof rich.parse>, { id: number; on: boolean; to: { email: string }; tags?: string[]; meta?: Json }>>();
    assertType<Equal<Infer<{ a: 'string[]'; b: 'json' }>, { a: string[]; b: Json }>>();
  });

  it('names each field that does not fit, in the words dispatch stores on the run', () => {
    const s = defineSchema({ x: 'number', n: 'integer', s: 'string', b: 'boolean', a: 'number[]', o: { deep: 'string' }, opt: 'string?' });
    expect(s.problems({ x: '23', n: 1.5, s: 5, b: 'yes', a: [1, 'two'], o: {} })).toEqual([
      'props.x must be a finite number, got "23".',
      'props.n must be an integer, got 1.5.',
      'props.s must be a string, got 5.',
      'props.b must be true or false, got "yes".',
      'props.a[1] must be a finite number, got "two".',
      'props.o.deep must be a string, got nothing.',
    ]);
    expect(s.problems({ x: 1, n: 2, s: '', b: false, a: [], o: { deep: 'd' }, extra: 'kept' })).toEqual([]);
    expect(s.problems({ x: 1, n: 2, s: '', b: false, a: [], o: { deep: 'd' }, opt: null })).toEqual(['props.opt must be a string, got null.']);
    expect(s.problems([], 'body')).toEqual(['body must be an object, got [].']);
    expect(() => s.parse({ x: Infinity })).toThrow(TypeError);
    expect(() => defineSchema({ x: 'float' as 'number' })).toThrow(/shape\.x must be one of string, number, integer, boolean, json/);
  });

  it('types and validates the built-in code handlers: "23" and division by zero fail the attempt', async () => {
    const ctx: HandlerContext = { id: 1, name: 'Division', attempt: 1, signal: new AbortController().signal };
    expect(await codeHandlers.Addition({ x: 2, y: 3 }, ctx)).toBe(5);
    expect(() => codeHandlers.Division({ x: '23', y: 1 }, ctx)).toThrow(new TypeError('props.x must be a finite number, got "23".'));
    expect(() => codeHandlers.Subtraction({ y: 1 }, ctx)).toThrow('props.x must be a finite number, got nothing.');
    expect(() => codeHandlers.Division({ x: 1, y: 0 }, ctx)).toThrow(/^Division by zero: 1 \/ 0 is undefined\.$/);

    const greet = defineHandler(defineSchema({ name: 'string' }), ({ name }) => `Hello, ${name}!`);
    expect(await greet({ name: 'Ada' }, ctx)).toBe('Hello, Ada!');
    expect(() => greet({ name: 1 }, ctx)).toThrow('props.name must be a string, got 1.');
    defineHandlers(events, {
      SdkAdd: ({ x, y }) => x + y,
      SdkDiv: ({ x, y }) => x / y,
      // @ts-expect-error -- note is a string
      SdkWatch: ({ note }) => note * 2,
    });
  });
});

describe('handlers', () => {
  it('creates, gets, lists, updates and deletes a handler', async () => {
    const created = await queue.handlers.create({ name: 'SdkRegistered', kind: 'url', target: 'https://example.com/hook', max_attempts: 3 });
    expect(created).toMatchObject({ name: 'SdkRegistered', kind: 'url', max_attempts: 3, timeout_ms: 30000, enabled: true, backoff_factor: 2 });
    expect(created.created_at).toMatch(/Z$/);
    expect(await queue.handlers.get('SdkRegistered')).toMatchObject({ target: 'https://example.com/hook' });
    expect((await queue.handlers.list()).map((h) => h.name)).toContain('SdkRegistered');
    expect(await queue.handlers.update('SdkRegistered', { timeout_ms: 10_000, enabled: false })).toMatchObject({ timeout_ms: 10_000, enabled: false });
    expect(await queue.handlers.delete('SdkRegistered')).toMatchObject({ name: 'SdkRegistered' });
    const gone = await rejection(queue.handlers.get('SdkRegistered'));
    expect(gone).toMatchObject({ status: 404, code: 'not_found', message: 'No handler is registered for event "SdkRegistered".' });
  });

  it('throws conflict for a taken name and invalid_request with every problem for a bad handler', async () => {
    expect(await rejection(queue.handlers.create({ name: 'SdkAdd', kind: 'code', target: 'Addition' }))).toMatchObject({ status: 409, code: 'conflict' });
    const bad = await rejection(queue.handlers.create({ name: 'SdkBad', kind: 'url', target: 'ftp://x', timeout_ms: 5 }));
    expect(bad).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(bad.details).toEqual(expect.arrayContaining([expect.stringContaining('timeout_ms'), expect.stringContaining('http(s) URL')]));
  });
});

describe('enqueue', () => {
  it('enqueues an event and waits for its result', async () => {
    const enqueued = await queue.enqueue('SdkAdd', { x: 2, y: 3 });
    expect(enqueued).toMatchObject({ name: 'SdkAdd', state: 'queued', created: true });
    const done = await queue.waitFor(enqueued.id, ['succeeded'], { timeoutMs: 15_000 });
    expect(done).toMatchObject({ id: enqueued.id, state: 'succeeded', result: 5, attempts: 1 });
    const { runs } = await queue.getEvent(enqueued.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ attempt: 1, outcome: 'succeeded', result: 5 });
  });

  it('passes every option: delay_ms, run_at, priority, idempotency_key, max_attempts and backoff', async () => {
    const before = Date.now();
    const delayed = await queue.enqueue('SdkAdd', { x: 1, y: 1 }, {
      delay_ms: 600_000, priority: 7, max_attempts: 4, backoff_base_ms: 10, backoff_factor: 3, backoff_max_ms: 1000,
    });
    expect(delayed.state).toBe('scheduled');
    expect(Date.parse(delayed.run_at) - before).toBeGreaterThanOrEqual(599_000);
    expect(await queue.getEvent(delayed.id)).toMatchObject({
      priority: 7, max_attempts: 4, backoff_base_ms: 10, backoff_factor: 3, backoff_max_ms: 1000, props: { x: 1, y: 1 },
    });
    const at = new Date(Date.now() + 3_600_000);
    const timed = await queue.enqueue('SdkAdd', { x: 1, y: 1 }, { run_at: at });
    expect(Date.parse(timed.run_at)).toBe(at.getTime());

    const key = `sdk-${randomUUID()}`;
    const first = await queue.enqueue('SdkAdd', { x: 1, y: 2 }, { idempotency_key: key, delay_ms: 600_000 });
    const again = await queue.enqueue('SdkAdd', { x: 9, y: 9 }, { idempotency_key: key, delay_ms: 600_000 });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ id: first.id, created: false });
    await Promise.all([delayed.id, timed.id, first.id].map((id) => queue.cancel(id)));
  });

  it('enqueues a batch in input order, all or nothing', async () => {
    const batch = await queue.enqueueMany([
      { name: 'SdkAdd', props: { x: 1, y: 1 } },
      { name: 'SdkDiv', props: { x: 9, y: 3 }, priority: 5 },
    ]);
    expect(batch.map((e) => e.name)).toEqual(['SdkAdd', 'SdkDiv']);
    const done = await Promise.all(batch.map((e) => queue.waitFor(e.id, undefined, { timeoutMs: 15_000 })));
    expect(done.map((e) => e.result)).toEqual([2, 3]);

    const before = await countOf('SdkDiv');
    const refused = await rejection(queue.enqueueMany([
      { name: 'SdkDiv', props: { x: 1, y: 1 } },
      { name: 'SdkDiv', props: { x: 1, y: 1 }, priority: 1000 },
    ]));
    expect(refused).toMatchObject({ status: 400, code: 'invalid_request', message: '1 of 2 events are invalid; nothing was enqueued.' });
    expect(refused.details).toEqual([{ index: 1, problems: ['priority must be an integer from -100 to 100.'] }]);
    expect(await countOf('SdkDiv')).toBe(before);
  });

  it('throws no_handler (422) as a QueueError for a name without a handler', async () => {
    const untyped = createQueue(service());
    const err = await rejection(untyped.enqueue('SdkNobodyHandlesThis', { a: 1 }));
    expect(err).toMatchObject({ name: 'QueueError', status: 422, code: 'no_handler' });
    expect(err.message).toContain('SdkNobodyHandlesThis');
  });

  it('checks props against the schema before sending; dispatch checks them with the same words', async () => {
    const before = await countOf('SdkAdd');
    const local = await rejection(queue.enqueue('SdkAdd', { x: '23', y: 1 } as any));
    expect(local).toMatchObject({ status: 400, code: 'invalid_request', message: 'props.x must be a finite number, got "23".' });
    const inBatch = await rejection(queue.enqueueMany([{ name: 'SdkAdd', props: { x: 1, y: 1 } }, { name: 'SdkAdd', props: { y: 1 } as any }]));
    expect(inBatch.message).toBe('events[1].props.x must be a finite number, got nothing.');
    expect(await countOf('SdkAdd')).toBe(before);

    const unchecked = createQueue(service(), { events, validate: false });
    const { id } = await unchecked.enqueue('SdkAdd', { x: '23', y: 1 } as any);
    const dead = await queue.waitFor(id, undefined, { timeoutMs: 15_000 });
    expect(dead.state).toBe('dead');
    expect((await queue.getEvent(id)).runs[0].error).toEqual({ name: 'TypeError', message: local.message });
  });

  it('maps the function\'s 401 to QueueError unauthorized', async () => {
    const anonymous = createClient(stack.apiUrl, 'not-a-jwt', { auth: { persistSession: false }, realtime: { transport: WebSocket as any } });
    const err = await rejection(createQueue(anonymous).enqueue('SdkAdd', { x: 1, y: 1 }));
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe('events', () => {
  it('lists with filters, page by page, and iterates every page', async () => {
    const since = new Date(Date.now() - 1000);
    const ids = (await queue.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ name: 'SdkDiv' as const, props: { x: i, y: 1 }, delay_ms: 600_000 }))))
      .map((e) => e.id);
    const page1 = await queue.listEvents({ name: 'SdkDiv', state: 'scheduled', created_after: since, limit: 3 });
    expect(page1.events.map((e) => e.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(page1.next_before_id).toBe(ids[2]);
    const page2 = await queue.listEvents({ name: 'SdkDiv', state: 'scheduled', created_after: since, limit: 3, before_id: page1.next_before_id! });
    expect(page2.events.map((e) => e.id)).toEqual([ids[1], ids[0]]);
    expect(page2.next_before_id).toBeNull();
    const all: number[] = [];
    for await (const e of queue.eachEvent({ name: 'SdkDiv', state: 'scheduled', created_after: since, limit: 2 })) all.push(e.id);
    expect(all).toEqual([...ids].reverse());
    for (const id of ids) await queue.cancel(id);
  });

  it('cancels a scheduled event and throws conflict when it cannot be cancelled', async () => {
    const { id } = await queue.enqueue('SdkAdd', { x: 1, y: 1 }, { delay_ms: 600_000 });
    expect(await queue.cancel(id)).toMatchObject({ id, state: 'cancelled' });
    expect(await rejection(queue.cancel(id))).toMatchObject({ status: 409, code: 'conflict' });
  });

  it('retries a dead event and redrives every dead event of a name', async () => {
    const { id } = await queue.enqueue('SdkDiv', { x: 1, y: 0 });
    const dead = await queue.waitFor(id, undefined, { timeoutMs: 15_000 });
    expect(dead).toMatchObject({ state: 'dead', last_error: { message: 'Division by zero: 1 / 0 is undefined.' } });
    expect(await queue.retry(id)).toMatchObject({ id, state: 'queued', attempts: 0 });
    await queue.waitFor(id, ['dead'], { timeoutMs: 15_000 });
    expect(await queue.redrive('SdkDiv')).toBeGreaterThanOrEqual(1);
    expect((await queue.waitFor(id, ['dead'], { timeoutMs: 15_000 })).attempts).toBe(1);
    expect((await queue.getEvent(id)).runs).toHaveLength(3);
  });

  it('reports stats to the service role and refuses them to a user', async () => {
    const stats = await queue.stats();
    expect(stats.find((s) => s.name === 'SdkAdd')).toMatchObject({ succeeded: expect.any(Number), dead: expect.any(Number) });
    const user = createQueue(await userClient());
    expect(await rejection(user.stats())).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('throws not_found for a missing event, and invalid_request for a bad id without a request', async () => {
    expect(await rejection(queue.getEvent(999_999_999))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await rejection(queue.getEvent(0))).toMatchObject({ status: 400, code: 'invalid_request' });
  });
});

describe('schedules', () => {
  it('creates, lists, gets and deletes a schedule with typed props', async () => {
    const created = await queue.schedules.create({ name: 'sdk-nightly', event_name: 'SdkAdd', cron: '0 3 * * *', timezone: 'Europe/Paris', props: { x: 1, y: 2 } });
    expect(created).toMatchObject({ name: 'sdk-nightly', event_name: 'SdkAdd', props: { x: 1, y: 2 }, timezone: 'Europe/Paris', priority: 0 });
    expect(Date.parse(created.next_run_at)).toBeGreaterThan(Date.now());
    expect((await queue.schedules.list()).map((s) => s.name)).toContain('sdk-nightly');
    expect((await queue.schedules.get('sdk-nightly')).cron).toBe('0 3 * * *');
    expect(await queue.schedules.delete('sdk-nightly')).toMatchObject({ name: 'sdk-nightly' });
    expect(await rejection(queue.schedules.get('sdk-nightly'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await rejection(queue.schedules.create({ name: 'sdk-bad', event_name: 'SdkAdd', cron: '61 * * * *', props: { x: 1, y: 1 } })))
      .toMatchObject({ status: 400, code: 'invalid_request' });
  });
});

describe('subscribe', () => {
  it('delivers queued → processing → succeeded, in order, for an event', async () => {
    const changes: EventChange<{ x: number; y: number; note?: string }>[] = [];
    const unsubscribe = await queue.subscribe({ name: 'SdkWatch' }, (c) => changes.push(c));
    const { id } = await queue.enqueue('SdkWatch', { x: 4, y: 5, note: 'watched' });
    await queue.waitFor(id, ['succeeded'], { timeoutMs: 15_000 });
    for (let i = 0; i < 100 && !changes.some((c) => c.event.state === 'succeeded'); i++) await sleep(20);
    await unsubscribe();

    const mine = changes.filter((c) => c.event.id === id);
    const states = mine.map((c) => c.event.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(states).toEqual(['queued', 'processing', 'succeeded']);
    expect(mine[0]).toMatchObject({ type: 'INSERT', old: null, event: { name: 'SdkWatch', props: { x: 4, y: 5, note: 'watched' } } });
    expect(mine.at(-1)).toMatchObject({ type: 'UPDATE', event: { result: 9 }, old: { state: 'processing' } });
    // Timestamps read the same from Realtime, GET /events/:id and GET /events.
    const fetched = await queue.getEvent(id);
    const [listed] = (await queue.listEvents({ name: 'SdkWatch', limit: 1 })).events;
    expect(listed.id).toBe(id);
    for (const key of ['created_at', 'run_at', 'finished_at'] as const) {
      expect(mine.at(-1)!.event[key]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(mine.at(-1)!.event[key]).toBe(fetched[key]);
      expect(listed[key]).toBe(fetched[key]);
    }
    expect(fetched.runs[0].started_at).toMatch(/Z$/);
  });

  it('filters by id, name and state together, and stops after unsubscribe', async () => {
    const seen: EventRow[] = [];
    const unsubscribe = await queue.subscribe({ name: 'SdkWatch', state: ['succeeded', 'dead'] }, (c) => seen.push(c.event));
    const ok = await queue.enqueue('SdkWatch', { x: 1, y: 1 });
    const other = await queue.enqueue('SdkAdd', { x: 1, y: 1 });
    await Promise.all([ok.id, other.id].map((id) => queue.waitFor(id, undefined, { timeoutMs: 15_000 })));
    for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(20);
    expect(seen.map((e) => [e.id, e.state])).toEqual([[ok.id, 'succeeded']]);

    await unsubscribe();
    await unsubscribe();
    const later = await queue.enqueue('SdkWatch', { x: 2, y: 2 });
    await queue.waitFor(later.id, undefined, { timeoutMs: 15_000 });
    await sleep(300);
    expect(seen.map((e) => e.id)).toEqual([ok.id]);

    const byId: EventChange[] = [];
    const { id } = await queue.enqueue('SdkWatch', { x: 1, y: 1 }, { delay_ms: 600_000 });
    const stop = await queue.subscribe({ id }, (c) => byId.push(c));
    await queue.cancel(id);
    for (let i = 0; i < 100 && !byId.some((c) => c.event.state === 'cancelled'); i++) await sleep(20);
    await stop();
    // The INSERT may be heard too: Realtime delivers what it reads after the subscription is live.
    expect(byId.at(-1)).toMatchObject({ type: 'UPDATE', event: { id, state: 'cancelled' }, old: { state: 'scheduled' } });
    expect(byId.every((c) => c.event.id === id)).toBe(true);
  });

  it('filters by state alone on the server (one state, or several with in.(…))', async () => {
    const one: number[] = [];
    const several: string[] = [];
    const stopOne = await queue.subscribe({ state: 'dead' }, (c) => one.push(c.event.id));
    const stopSeveral = await queue.subscribe({ state: ['dead', 'cancelled'] }, (c) => several.push(`${c.event.id} ${c.event.state}`));
    const dead = await queue.enqueue('SdkDiv', { x: 1, y: 0 });
    const cancelled = await queue.enqueue('SdkDiv', { x: 1, y: 1 }, { delay_ms: 600_000 });
    await queue.cancel(cancelled.id);
    await queue.waitFor(dead.id, ['dead'], { timeoutMs: 15_000 });
    for (let i = 0; i < 100 && several.length < 2; i++) await sleep(20);
    await Promise.all([stopOne(), stopSeveral()]);
    expect(one).toEqual([dead.id]);
    expect(several.sort()).toEqual([`${cancelled.id} cancelled`, `${dead.id} dead`].sort());
  });

  it('shows a signed-in user their own events only', async () => {
    const alice = createQueue(await userClient(), { events });
    const bob = createQueue(await userClient(), { events });
    const seen: number[] = [];
    const unsubscribe = await alice.subscribe({ name: 'SdkWatch' }, (c) => seen.push(c.event.id));
    const mine = await alice.enqueue('SdkWatch', { x: 1, y: 2 });
    const theirs = await bob.enqueue('SdkWatch', { x: 3, y: 4 });
    expect(await alice.waitFor(mine.id, ['succeeded'], { timeoutMs: 15_000 })).toMatchObject({ result: 3 });
    await bob.waitFor(theirs.id, ['succeeded'], { timeoutMs: 15_000 });
    await sleep(300);
    await unsubscribe();
    expect(new Set(seen)).toEqual(new Set([mine.id]));
    expect((await alice.listEvents({ name: 'SdkWatch' })).events.map((e) => e.id)).toEqual([mine.id]);
    expect(await rejection(alice.getEvent(theirs.id))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await rejection(alice.handlers.list())).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('waitFor', () => {
  it('resolves at once for an event already in a wanted state', async () => {
    const { id } = await queue.enqueue('SdkAdd', { x: 1, y: 1 });
    await queue.waitFor(id, ['succeeded'], { timeoutMs: 15_000 });
    const started = Date.now();
    expect(await queue.waitFor(id, ['succeeded'], { timeoutMs: 15_000 })).toMatchObject({ id, state: 'succeeded' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('resolves on a change it hears over Realtime', async () => {
    const { id } = await queue.enqueue('SdkAdd', { x: 1, y: 1 }, { delay_ms: 600_000 });
    const waiting = queue.waitFor(id, ['cancelled'], { timeoutMs: 15_000 });
    await sleep(500);
    await queue.cancel(id);
    expect(await waiting).toMatchObject({ id, state: 'cancelled' });
  });

  it('still resolves when Realtime never delivers the change, by reading the event again while it waits', async () => {
    // Hosted Realtime does not guarantee delivery: this client's channel
    // subscribes for real, but every postgres_changes message is lost.
    const sb = service();
    const lossy = {
      functions: sb.functions,
      removeChannel: (ch: any) => sb.removeChannel(ch),
      channel: (name: string, opts?: any) => {
        const ch = sb.channel(name, opts);
        const on = ch.on.bind(ch) as any;
        (ch as any).on = (type: string, filter: unknown, _callback: unknown) => on(type, filter, () => {});
        return ch;
      },
    };
    const lossyQueue = createQueue(lossy as any);
    const { id } = await lossyQueue.enqueue('SdkAdd', { x: 1, y: 1 }, { delay_ms: 600_000 });
    const waiting = lossyQueue.waitFor(id, ['cancelled'], { timeoutMs: 15_000, rereadMs: 500 });
    await sleep(300);
    await queue.cancel(id);
    expect(await waiting).toMatchObject({ id, state: 'cancelled' });
  });

  it('rejects with timeout (naming the state it is in), not_found, or the abort reason', async () => {
    const { id } = await queue.enqueue('SdkAdd', { x: 1, y: 1 }, { delay_ms: 600_000 });
    const late = await rejection(queue.waitFor(id, ['succeeded'], { timeoutMs: 500 }));
    expect(late).toMatchObject({ code: 'timeout', message: `Event ${id} did not reach succeeded within 500 ms; it is scheduled.` });
    expect(await rejection(queue.waitFor(999_999_999, undefined, { timeoutMs: 5000 }))).toMatchObject({ status: 404, code: 'not_found' });
    const controller = new AbortController();
    const waiting = queue.waitFor(id, ['succeeded'], { signal: controller.signal }).catch((e) => e);
    controller.abort(new Error('stop'));
    expect(await waiting).toMatchObject({ message: 'stop' });
    await queue.cancel(id);
  });
});

// Compile-time checks: tsc fails if any line marked @ts-expect-error compiles.
export function typeChecks(q: Queue<PayloadsOf<typeof events>>, untyped: Queue) {
  void q.enqueue('SdkAdd', { x: 1, y: 2 });
  // @ts-expect-error -- x must be a number
  void q.enqueue('SdkAdd', { x: '1', y: 2 });
  // @ts-expect-error -- y is missing
  void q.enqueue('SdkAdd', { x: 1 });
  // @ts-expect-error -- not a declared event
  void q.enqueue('SdkAddd', { x: 1, y: 2 });
  // @ts-expect-error -- not a known field
  void q.enqueue('SdkAdd', { x: 1, y: 2, z: 3 });
  // @ts-expect-error -- priority is a number
  void q.enqueue('SdkAdd', { x: 1, y: 2 }, { priority: 'high' });
  // @ts-expect-error -- the batch item's props are typed by its name
  void q.enqueueMany([{ name: 'SdkDiv', props: { x: 1, y: 'zero' } }]);
  // @ts-expect-error -- a schedule's props are typed by its event_name
  void q.schedules.create({ name: 's', event_name: 'SdkAdd', cron: '@daily', props: { x: 1 } });
  // @ts-expect-error -- props are required when the event has required fields
  void q.schedules.create({ name: 's', event_name: 'SdkAdd', cron: '@daily' });
  void q.subscribe({ name: 'SdkWatch' }, (c) => {
    assertType<Equal<typeof c.event.props, { x: number; y: number; note?: string }>>();
  });
  // @ts-expect-error -- not an event state
  void q.waitFor(1, ['done']);
  // Untyped: any name, JSON props, props optional.
  void untyped.enqueue('Anything', { deep: { list: [1, 'a', null] } });
  void untyped.enqueue('Anything');
  // @ts-expect-error -- props are JSON
  void untyped.enqueue('Anything', { when: new Date() });
  // A payload map declared as a type only: compile-time checks, no runtime schema.
  const declared = createQueue<{ Addition: { x: number; y: number } }>(null!);
  void declared.enqueue('Addition', { x: 1, y: 2 });
  // @ts-expect-error -- x must be a number
  void declared.enqueue('Addition', { x: '1', y: 2 });
  const explicit = createQueue<typeof events>(null!, { events });
  // @ts-expect-error -- x must be a number
  void explicit.enqueue('SdkAdd', { x: '1', y: 2 });
  // The routes' JSON has the fields of the database rows (timestamps as strings).
  assertType<Equal<keyof EventRow, keyof QueueEvent>>();
  assertType<Equal<keyof RunRow, keyof Run>>();
  assertType<Equal<keyof HandlerRow, keyof Handler>>();
  assertType<Equal<keyof ScheduleRow, keyof Schedule>>();
  assertType<Equal<keyof StatsRow, keyof NameStats>>();
  assertType<Equal<keyof Enqueued, keyof DbEnqueued>>();
}
