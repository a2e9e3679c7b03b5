import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, registerHandler, tickUntil, tokenFor } from './support/queue.ts';

const sql = db();
const NAME = 'EventsApiTest';

beforeAll(async () => {
  await registerHandler(sql, { name: NAME, kind: 'code', target: 'Division', max_attempts: 1 });
});
afterAll(() => sql.end());

const enqueue = async (props: object, extra: object = {}, key?: string) =>
  (await call('enqueue', { method: 'POST', json: { name: NAME, props, ...extra }, ...(key && { key }) })).body;

describe('events', () => {
  it('gets one event with its runs', async () => {
    const { id } = await enqueue({ x: 6, y: 3 });
    await tickUntil(sql, [id]);
    const res = await call(`events/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: NAME, state: 'succeeded', result: 2 });
    expect(res.body.runs).toHaveLength(1);
    expect(res.body.runs[0]).toMatchObject({ attempt: 1, outcome: 'succeeded', result: 2 });
  });

  it('lists events filtered by name and state, newest first, paginated', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await enqueue({ x: i, y: 1 }, { delay_ms: 600_000 })).id);
    const page1 = await call(`events?name=${NAME}&state=scheduled&limit=3`);
    expect(page1.status).toBe(200);
    expect(page1.body.events.map((e: any) => e.id)).toEqual([ids[4], ids[3], ids[2]]);
    const page2 = await call(`events?name=${NAME}&state=scheduled&limit=3&before_id=${page1.body.next_before_id}`);
    expect(page2.body.events.map((e: any) => e.id).slice(0, 2)).toEqual([ids[1], ids[0]]);
    for (const e of [...page1.body.events, ...page2.body.events]) expect(e).toMatchObject({ name: NAME, state: 'scheduled' });
  });

  it('lists by time range', async () => {
    const since = new Date().toISOString();
    const { id } = await enqueue({ x: 1, y: 1 });
    const res = await call(`events?created_after=${encodeURIComponent(since)}&name=${NAME}`);
    expect(res.body.events.map((e: any) => e.id)).toEqual([id]);
  });

  it('cancels a scheduled event, which then never runs', async () => {
    const { id } = await enqueue({ x: 1, y: 1 }, { delay_ms: 5000 });
    const res = await call(`events/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 5500));
    await sql`select queue.tick()`;
    const [row] = await sql`select state, attempts from queue.events where id = ${id}`;
    expect(row).toEqual({ state: 'cancelled', attempts: 0 });
  });

  it('refuses to cancel a finished event with 409', async () => {
    const { id } = await enqueue({ x: 1, y: 1 });
    await tickUntil(sql, [id]);
    const res = await call(`events/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  });

  it('retries a dead event, which then runs again', async () => {
    const { id } = await enqueue({ x: 1, y: 0 });
    const [dead] = await tickUntil(sql, [id]);
    expect(dead.state).toBe('dead');
    const res = await call(`events/${id}/retry`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'queued', attempts: 0 });
    const [again] = await tickUntil(sql, [id]);
    expect(again.state).toBe('dead');
    const [{ n }] = await sql`select count(*)::int as n from queue.runs where event_id = ${id}`;
    expect(n).toBe(2);
  });

  it('shows a user only the events that user enqueued', async () => {
    const alice = await tokenFor(randomUUID());
    const bob = await tokenFor(randomUUID());
    const mine = await enqueue({ x: 1, y: 1 }, {}, alice);
    const theirs = await enqueue({ x: 2, y: 1 }, {}, bob);
    const list = await call(`events?name=${NAME}`, { key: alice });
    expect(list.body.events.map((e: any) => e.id)).toEqual([mine.id]);
    expect((await call(`events/${theirs.id}`, { key: alice })).status).toBe(404);
    expect((await call(`events/${theirs.id}/cancel`, { key: alice, method: 'POST' })).status).toBe(404);
    expect((await call(`events/${mine.id}`, { key: alice })).status).toBe(200);
  });

  it('keeps listing and reading when a stored event is nested too deep to encode (one bad row never takes down a page)', async () => {
    // Stored before the 64-level limit existed: written straight in SQL, 10,000 deep.
    const nested = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const innocent = await enqueue({ x: 1, y: 1 }, { delay_ms: 600_000 });
    const [{ id: deepId }] = await sql`
      select id from queue.enqueue_many(jsonb_build_array(jsonb_build_object('name', ${NAME}::text,
        'props', ${nested}::text::jsonb, 'run_at', now() + interval '10 minutes')))`;
    const page = await call(`events?name=${NAME}&limit=5`);
    expect(page.status).toBe(200);
    const deep = page.body.events.find((e: { id: number }) => e.id === deepId);
    expect(deep.props).toEqual({ unencodable: expect.stringContaining('nested too deep') });
    expect(page.body.events.find((e: { id: number }) => e.id === innocent.id)).toMatchObject({ props: { x: 1, y: 1 } });
    const one = await call(`events/${deepId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: deepId, state: 'scheduled', props: { unencodable: expect.any(String) } });
    await sql`select queue.cancel(${deepId}::bigint)`;
  });

  it('answers 404 for an event that does not exist', async () => {
    const res = await call('events/999999999');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
