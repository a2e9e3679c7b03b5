// delete: an event that is not processing goes, with its runs (on delete
// cascade), and Realtime sends the DELETE of each row; a processing one is
// refused with 409 and stays.
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { release } from '../src/shared/db.ts';
import { createQueue, QueueError } from '../src/sdk/index.ts';
import { call, claimOnly, client, db, eventsById, registerHandler, runsOf, setKicks, tickUntil, tokenFor } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
const supabase = client();
const name = `Delete_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await setKicks(sql, false);
  await registerHandler(sql, { name, kind: 'code', target: 'Division', max_attempts: 2, backoff_base_ms: 0 });
});
afterAll(async () => {
  await supabase.removeAllChannels();
  await setKicks(sql, true);
  await sql.end();
});

async function enqueue(props: Record<string, unknown>, delay_ms = 3_600_000, key?: string): Promise<number> {
  const res = await call('enqueue', { method: 'POST', key, json: { name, props, delay_ms } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

function subscribed(channel: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status !== 'CLOSED') reject(err ?? new Error(status));
    });
  });
}

describe('DELETE /events/:id', () => {
  it('deletes a dead event and its runs, answers the row as it was, and Realtime sends both DELETEs', async () => {
    const id = await enqueue({ x: 1, y: 0 }, 0);
    const [dead] = await tickUntil(sql, [id], ['dead']);
    const runIds = (await runsOf(sql, id)).map((r) => r.id);
    expect(runIds).toHaveLength(2);

    const deleted: Array<{ table: string; id: number }> = [];
    const channel = supabase.channel(`delete-${id}`);
    for (const table of ['events', 'runs']) {
      channel.on('postgres_changes', { event: 'DELETE', schema: 'queue', table }, (p) => deleted.push({ table, id: (p.old as any).id }));
    }
    await subscribed(channel);

    const res = await call(`events/${id}`, { method: 'DELETE' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id, name, state: 'dead', attempts: 2, last_error: dead.last_error });
    expect(await eventsById(sql, [id])).toEqual([]);
    expect(await runsOf(sql, id)).toEqual([]);
    await waitFor('the DELETE changes', () => deleted.filter((d) => d.id === id || runIds.includes(d.id)).length === 3);
    expect(deleted.filter((d) => d.table === 'events' && d.id === id)).toHaveLength(1);
    expect(deleted.filter((d) => d.table === 'runs').map((d) => d.id).sort()).toEqual(expect.arrayContaining(runIds));

    expect((await call(`events/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('deletes a scheduled or queued event, which then never runs', async () => {
    const scheduled = await enqueue({ x: 1, y: 1 });
    const queued = await enqueue({ x: 1, y: 1 }, 0);
    for (const id of [scheduled, queued]) expect((await call(`events/${id}`, { method: 'DELETE' })).status).toBe(200);
    await sql`select queue.tick()`;
    expect(await eventsById(sql, [scheduled, queued])).toEqual([]);
    expect(await sql`select 1 from queue.runs where event_id = any(${[scheduled, queued]}::bigint[])`).toHaveLength(0);
  });

  it('refuses a processing event with 409 conflict; it stays, and can be deleted once it ended', async () => {
    const id = await enqueue({ x: 4, y: 2 }, 0);
    const [claimed] = await claimOnly(sql, [id], 'delete-test');
    const before = await eventsById(sql, [id]);
    const res = await call(`events/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('is processing') });
    expect(await eventsById(sql, [id])).toEqual(before);
    expect(await runsOf(sql, id)).toHaveLength(1);
    await release(sql, [claimed.run_id]);
    await call(`events/${id}/cancel`, { method: 'POST' });
    expect((await call(`events/${id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('answers a bad id with 400 and another user\'s event with 404, deleting nothing; a user deletes their own', async () => {
    const token = await tokenFor(randomUUID());
    const mine = await enqueue({ x: 1, y: 1 }, 3_600_000, token);
    const theirs = await enqueue({ x: 1, y: 1 });
    expect((await call('events/abc', { method: 'DELETE' })).status).toBe(400);
    expect((await call('events/-1', { method: 'DELETE' })).status).toBe(400);
    const refused = await call(`events/${theirs}`, { method: 'DELETE', key: token });
    expect(refused).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await eventsById(sql, [theirs])).toHaveLength(1);
    expect((await call(`events/${mine}`, { method: 'DELETE', key: token })).status).toBe(200);
    expect(await eventsById(sql, [mine])).toEqual([]);
  });
});

describe('queue.delete', () => {
  it('resolves with the deleted row; rejects with QueueError not_found after, and invalid_request for a bad id without a request', async () => {
    const queue = createQueue(supabase);
    const { id } = await queue.enqueue(name, { x: 1, y: 1 }, { delay_ms: 3_600_000 });
    expect(await queue.delete(id)).toMatchObject({ id, state: 'scheduled' });
    expect(await eventsById(sql, [id])).toEqual([]);
    await expect(queue.delete(id)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    const err = await queue.delete(1.5).catch((e) => e);
    expect(err).toBeInstanceOf(QueueError);
    expect(err.code).toBe('invalid_request');
  });
});
