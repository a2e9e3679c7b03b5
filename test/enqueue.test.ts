import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../functions/enqueue/app.ts';
import { call, client, db, keyHeaders, registerHandler, rowCounts, setKicks, stack, testAuth, tokenFor } from './support/queue.ts';

const sql = db();
const app = createApp({ sql, auth: testAuth() });
const post = (body: unknown, key = stack.secretKey) =>
  app.request('/enqueue', {
    method: 'POST',
    headers: keyHeaders(key, new Headers({ 'content-type': 'application/json' })),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  await registerHandler(sql, { name: 'Addition', kind: 'code', target: 'Addition' });
});
afterAll(() => sql.end());

describe('enqueue', () => {
  it('creates one event and returns its id (app.request)', async () => {
    await setKicks(sql, false); // a running drainer would claim it at once
    const res = await post({ name: 'Addition', props: { x: 2, y: 3 } });
    await setKicks(sql, true);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ name: 'Addition', state: 'queued', created: true });
    const [row] = await sql`select name, props, state, owner from queue.events where id = ${body.id}`;
    expect(row).toEqual({ name: 'Addition', props: { x: 2, y: 3 }, state: 'queued', owner: null });
  });

  it('enqueues through supabase-js functions.invoke over HTTP', async () => {
    const { data, error } = await client().functions.invoke('enqueue', { body: { name: 'Addition', props: { x: 1, y: 1 } } });
    expect(error).toBeNull();
    expect(data).toMatchObject({ name: 'Addition', state: 'queued', created: true });
    const [row] = await sql`select props from queue.events where id = ${data.id}`;
    expect(row.props).toEqual({ x: 1, y: 1 });
  });

  it('schedules an event with run_at in the future as scheduled', async () => {
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const body = await (await post({ name: 'Addition', props: { x: 1, y: 2 }, run_at: runAt })).json();
    expect(body.state).toBe('scheduled');
    // The answer writes run_at as toISOString does (UTC, milliseconds, Z).
    expect(body.run_at).toBe(runAt);
    const [row] = await sql`select run_at, state from queue.events where id = ${body.id}`;
    expect(row.run_at.toISOString()).toBe(runAt);
  });

  it('turns delay_ms into run_at', async () => {
    const before = Date.now();
    const body = await (await post({ name: 'Addition', props: { x: 1, y: 2 }, delay_ms: 120_000 })).json();
    const [row] = await sql`select run_at from queue.events where id = ${body.id}`;
    expect(row.run_at.getTime()).toBeGreaterThanOrEqual(before + 120_000);
    expect(row.run_at.getTime()).toBeLessThan(Date.now() + 120_000 + 1000);
  });

  it('enqueues a batch in one request and returns the ids in order', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({ name: 'Addition', props: { x: i, y: 1 } }));
    const res = await post({ events });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.events).toHaveLength(1000);
    const rows = await sql`select id, props from queue.events where id = any(${body.events.map((e: any) => e.id)}::bigint[])`;
    const byId = new Map(rows.map((r: any) => [r.id, r.props.x]));
    body.events.forEach((e: any, i: number) => expect(byId.get(e.id)).toBe(i));
  });

  it('enqueues 10,000 events in one request, all or nothing', async () => {
    const events = Array.from({ length: 10_000 }, (_, i) => ({ name: 'Addition', props: { x: i, y: 2 } }));
    const res = await post({ events });
    expect(res.status).toBe(201);
    const ids = (await res.json()).events.map((e: { id: number }) => e.id);
    expect(new Set(ids).size).toBe(10_000);
    const [{ n }] = await sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[])`;
    expect(n).toBe(10_000);
  });

  it('returns the existing event for a repeated idempotency key and writes nothing', async () => {
    const key = randomUUID();
    const first = await post({ name: 'Addition', props: { x: 1, y: 2 }, idempotency_key: key });
    expect(first.status).toBe(201);
    const before = await rowCounts(sql);
    const again = await post({ name: 'Addition', props: { x: 9, y: 9 }, idempotency_key: key });
    expect(again.status).toBe(200);
    const a = await first.json();
    const b = await again.json();
    expect(b).toMatchObject({ id: a.id, created: false });
    expect(await rowCounts(sql)).toEqual(before);
  });

  it('refuses an event name with no enabled handler with 422 naming it, writing nothing', async () => {
    const before = await rowCounts(sql);
    const res = await call('enqueue', { method: 'POST', json: { name: 'NoSuchEvent', props: {} } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('no_handler');
    expect(res.body.error.message).toContain('"NoSuchEvent"');
    expect(await rowCounts(sql)).toEqual(before);
  });

  it('refuses a whole batch when one name has no handler', async () => {
    const before = await rowCounts(sql);
    const res = await post({ events: [{ name: 'Addition', props: {} }, { name: 'Missing', props: {} }] });
    expect(res.status).toBe(422);
    expect(await rowCounts(sql)).toEqual(before);
  });

  it('refuses a disabled handler’s event', async () => {
    await registerHandler(sql, { name: 'Disabled', kind: 'code', target: 'Addition', enabled: false });
    const res = await post({ name: 'Disabled', props: {} });
    expect(res.status).toBe(422);
  });

  it('records the enqueuing user as owner', async () => {
    const user = randomUUID();
    const res = await post({ name: 'Addition', props: { x: 1, y: 1 } }, await tokenFor(user));
    expect(res.status).toBe(201);
    const [row] = await sql`select owner from queue.events where id = ${(await res.json()).id}`;
    expect(row.owner).toBe(user);
  });
});

// Group commit (src/shared/group-commit.ts): over HTTP, so the stack's own
// enqueue worker and its pool group what arrives at once.
describe('enqueues that arrive together', () => {
  const many = (n: number, body: (i: number) => unknown, key?: string | null) =>
    Promise.all(Array.from({ length: n }, (_, i) => call('enqueue', { method: 'POST', key, json: body(i) })));
  /** Transactions that wrote these events (rows of one transaction share xmin). */
  const transactions = async (ids: number[]) =>
    (await sql`select count(distinct xmin::text)::int as n from queue.events where id = any(${ids}::bigint[])`)[0].n as number;

  it('commit together, and each caller gets its own event back', async () => {
    const tag = randomUUID();
    const res = await many(64, (i) => ({ name: 'Addition', props: { x: i, y: 0, tag }, delay_ms: 3_600_000 }));
    for (const r of res) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const ids = res.map((r) => r.body.id as number);
    expect(new Set(ids).size).toBe(64);
    const rows = await sql`select id, props from queue.events where props->>'tag' = ${tag}`;
    expect(rows).toHaveLength(64);
    const xOf = new Map(rows.map((r: any) => [r.id, r.props.x]));
    res.forEach((r, i) => expect(xOf.get(r.body.id)).toBe(i));
    expect(await transactions(ids)).toBeLessThan(64);
  });

  it('one caller\'s refused event fails that caller only', async () => {
    const tag = randomUUID();
    const bad = (i: number) => i % 8 === 3;
    const res = await many(48, (i) => ({ name: bad(i) ? 'NoHandlerHere' : 'Addition', props: { x: i, y: 0, tag }, delay_ms: 3_600_000 }));
    res.forEach((r, i) => {
      if (bad(i)) expect(r).toMatchObject({ status: 422, body: { error: { code: 'no_handler' } } });
      else expect(r.status, JSON.stringify(r.body)).toBe(201);
    });
    const rows = await sql`select id, props from queue.events where props->>'tag' = ${tag}`;
    expect(rows.map((r: any) => r.props.x).sort((a: number, b: number) => a - b))
      .toEqual(Array.from({ length: 48 }, (_, i) => i).filter((i) => !bad(i)));
    expect(await sql`select 1 from queue.events where name = 'NoHandlerHere'`).toHaveLength(0);
  });

  it('one idempotency key sent by many at once makes one event; the others get it back', async () => {
    const key = randomUUID();
    const res = await many(32, (i) => ({ name: 'Addition', props: { x: i, y: 0 }, idempotency_key: key, delay_ms: 3_600_000 }));
    expect(res.filter((r) => r.status === 201)).toHaveLength(1);
    expect(res.filter((r) => r.status === 200)).toHaveLength(31);
    const ids = new Set(res.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(res.map((r) => r.body.created).filter(Boolean)).toHaveLength(1);
    expect(await sql`select id from queue.events where idempotency_key = ${key}`).toEqual([{ id: [...ids][0] }]);
  });

  it('keeps owners apart: each user owns their own events', async () => {
    const users = [randomUUID(), randomUUID()];
    const tokens = await Promise.all(users.map((u) => tokenFor(u)));
    const tag = randomUUID();
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      call('enqueue', { method: 'POST', key: i % 2 ? tokens[1] : tokens[0], json: { name: 'Addition', props: { x: i, y: 0, tag }, delay_ms: 3_600_000 } })));
    for (const r of res) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const rows = await sql`select id, owner from queue.events where props->>'tag' = ${tag}`;
    const ownerOf = new Map(rows.map((r: any) => [r.id, r.owner]));
    res.forEach((r, i) => expect(ownerOf.get(r.body.id)).toBe(users[i % 2]));
  });
});
