// reschedule: a scheduled or queued event gets a new run_at and/or priority,
// checked as enqueue checks them; any other state is refused with 409 and
// nothing changes. Realtime carries the change to a subscriber.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, QueueError, type EventChange } from '../src/sdk/index.ts';
import { release } from '../src/shared/db.ts';
import { call, claimOnly, client, db, eventsById, registerHandler, setKicks, tokenFor } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
const supabase = client();
const name = `Reschedule_${randomUUID().slice(0, 8)}`;
const HOUR = 3_600_000;

beforeAll(async () => {
  await setKicks(sql, false);
  await registerHandler(sql, { name, kind: 'code', target: 'Addition' });
});
afterAll(async () => {
  await supabase.removeAllChannels();
  await setKicks(sql, true);
  await sql.end();
});

async function enqueue(body: Record<string, unknown> = {}, key?: string): Promise<number> {
  const res = await call('enqueue', { method: 'POST', key, json: { name, props: { x: 1, y: 2 }, delay_ms: HOUR, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

describe('POST /events/:id/reschedule', () => {
  it('moves a scheduled event and changes its priority, in the row and the answer', async () => {
    const id = await enqueue();
    const before = Date.now();
    const res = await call(`events/${id}/reschedule`, { method: 'POST', json: { delay_ms: 2 * HOUR, priority: 5 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [row] = await eventsById(sql, [id]);
    expect(row).toMatchObject({ state: 'scheduled', priority: 5, attempts: 0 });
    expect(row.run_at.getTime()).toBeGreaterThanOrEqual(before + 2 * HOUR - 1000);
    expect(row.run_at.getTime()).toBeLessThanOrEqual(Date.now() + 2 * HOUR + 1000);
    expect(res.body).toMatchObject({ id, state: 'scheduled', priority: 5, run_at: row.run_at.toISOString() });
  });

  it('makes a scheduled event queued when its new run_at has come, and keeps run_at for a priority-only change', async () => {
    const id = await enqueue();
    const now = new Date(Date.now() - 1000).toISOString();
    expect((await call(`events/${id}/reschedule`, { method: 'POST', json: { run_at: now } })).body).toMatchObject({ state: 'queued', run_at: now });
    const res = await call(`events/${id}/reschedule`, { method: 'POST', json: { priority: -100 } });
    expect(res.body).toMatchObject({ state: 'queued', run_at: now, priority: -100 });
    const [row] = await eventsById(sql, [id]);
    expect([row.state, row.run_at.toISOString(), row.priority]).toEqual(['queued', now, -100]);
  });

  it('refuses a processing or ended event with 409 conflict, changing nothing', async () => {
    const due = await enqueue({ delay_ms: 0 });
    const [claimed] = await claimOnly(sql, [due], 'reschedule-test');
    const ended = await enqueue();
    await call(`events/${ended}/cancel`, { method: 'POST' });
    try {
      const before = await eventsById(sql, [due, ended]);
      for (const id of [due, ended]) {
        const res = await call(`events/${id}/reschedule`, { method: 'POST', json: { priority: 9 } });
        expect(res.status).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('only scheduled or queued events can be rescheduled') });
      }
      expect(await eventsById(sql, [due, ended])).toEqual(before);
    } finally {
      await release(sql, [claimed.run_id]);
    }
  });

  it('answers bad input with 400 as enqueue would, and an unknown or another user\'s event with 404, changing nothing', async () => {
    const id = await enqueue();
    const [before] = await eventsById(sql, [id]);
    const bodies = [
      {}, { priority: 101 }, { priority: 1.5 }, { run_at: '2030-02-30T00:00:00Z' }, { run_at: '2030-01-01 10:00' },
      { run_at: new Date(Date.now() + 400 * 24 * HOUR).toISOString() }, { delay_ms: -1 }, { delay_ms: 5, run_at: new Date().toISOString() },
      { priority: 1, props: {} },
    ];
    for (const json of bodies) {
      const res = await call(`events/${id}/reschedule`, { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await call(`events/${id}/reschedule`, { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await call('events/0/reschedule', { method: 'POST', json: { priority: 1 } })).status).toBe(400);
    expect((await call('events/999999999/reschedule', { method: 'POST', json: { priority: 1 } })).status).toBe(404);
    const other = await tokenFor(randomUUID());
    expect((await call(`events/${id}/reschedule`, { method: 'POST', key: other, json: { priority: 1 } })).body.error.code).toBe('not_found');
    expect(await eventsById(sql, [id])).toEqual([before]);
  });

  it('lets a user reschedule their own event', async () => {
    const token = await tokenFor(randomUUID());
    const id = await enqueue({}, token);
    const res = await call(`events/${id}/reschedule`, { method: 'POST', key: token, json: { priority: 3 } });
    expect(res.status).toBe(200);
    expect((await eventsById(sql, [id]))[0].priority).toBe(3);
  });
});

describe('queue.reschedule', () => {
  it('takes a Date, resolves with the row, and a subscriber hears the change; rejects with QueueError conflict once it ended', async () => {
    const queue = createQueue(supabase);
    const { id } = await queue.enqueue(name, { x: 1, y: 1 }, { delay_ms: HOUR });
    const heard: EventChange[] = [];
    const unsubscribe = await queue.subscribe({ id }, (change) => heard.push(change));
    try {
      const at = new Date(Date.now() + 3 * HOUR);
      const row = await queue.reschedule(id, { run_at: at, priority: 42 });
      expect(row).toMatchObject({ id, state: 'scheduled', priority: 42, run_at: at.toISOString() });
      const change = await waitFor('the reschedule over Realtime', () => heard.find((c) => c.type === 'UPDATE' && c.event.priority === 42));
      expect(change.event).toMatchObject({ id, state: 'scheduled', run_at: at.toISOString() });
      expect(change.old).toMatchObject({ id, priority: 0 });
    } finally {
      await unsubscribe();
    }
    await queue.cancel(id);
    const err = await queue.reschedule(id, { priority: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(QueueError);
    expect(err).toMatchObject({ code: 'conflict', status: 409 });
  });
});
