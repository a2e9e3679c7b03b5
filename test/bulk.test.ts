// The bulk verbs: POST /events/cancel, /events/retry and /events/delete act
// on the events a filter (GET /events' filters) matches, batch by batch,
// answering how many; a dry run counts without changing anything. They take
// only the events their verb allows, never a processing one for delete, skip
// rows someone holds (SKIP LOCKED), and a user's reach only their own events.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, type EventChange } from '../src/sdk/index.ts';
import { release, type Sql } from '../src/shared/db.ts';
import { call, claimOnly, client, db, eventsById, registerHandler, rowCounts, setKicks, tokenFor } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
const supabase = client();
const HOUR = 3_600_000;
afterAll(async () => {
  await supabase.removeAllChannels();
  await setKicks(sql, true);
  await sql.end();
});
beforeAll(() => setKicks(sql, false));

/** A fresh event name with a handler, so that a filter on it matches this test's events only. */
async function freshName(): Promise<string> {
  const name = `Bulk_${randomUUID().slice(0, 8)}`;
  await registerHandler(sql, { name, kind: 'code', target: 'Addition' });
  return name;
}

async function enqueueMany(name: string, n: number, delay_ms = HOUR, key?: string): Promise<number[]> {
  const res = await call('enqueue', { method: 'POST', key, json: { events: Array.from({ length: n }, (_, i) => ({ name, props: { x: i, y: 1 }, delay_ms })) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.events.map((e: any) => e.id);
}

const states = async (ids: number[]) => (await eventsById(sql, ids)).map((e) => e.state);
/** The handler is disabled so that no tick claims the events a test left queued. */
const disable = (s: Sql, name: string) => s`update queue.handlers set enabled = false where name = ${name}`;

describe('POST /events/cancel, /retry, /delete', () => {
  it('cancel: a dry run counts, then batches of `limit` cancel every event the filter matches that has not ended', async () => {
    const name = await freshName();
    const scheduled = await enqueueMany(name, 7);
    const [busy] = await enqueueMany(name, 1, 0);
    const [claimed] = await claimOnly(sql, [busy], 'bulk-test');
    const [done] = await sql<{ id: number }[]>`
      insert into queue.events (name, state, finished_at) values (${name}, 'succeeded', now()) returning id`;
    try {
      const dry = await call('events/cancel', { method: 'POST', json: { name, dry_run: true } });
      expect(dry).toEqual({ status: 200, body: { count: 8, next_before_id: null, dry_run: true } });
      expect(await states([...scheduled, busy, done.id])).toEqual([...Array(7).fill('scheduled'), 'processing', 'succeeded']);

      // Newest first: the first batch is the processing event and the two newest scheduled ones.
      const first = await call('events/cancel', { method: 'POST', json: { name, limit: 3 } });
      expect(first).toEqual({ status: 200, body: { count: 3, next_before_id: scheduled[5], dry_run: false } });
      let total = first.body.count;
      let before_id = first.body.next_before_id;
      let requests = 1;
      while (before_id !== null) {
        const next = await call('events/cancel', { method: 'POST', json: { name, limit: 3, before_id } });
        expect(next.status).toBe(200);
        total += next.body.count;
        before_id = next.body.next_before_id;
        requests++;
      }
      expect([total, requests]).toEqual([8, 3]);
      const after = await eventsById(sql, [...scheduled, busy, done.id]);
      expect(after.map((e) => e.state)).toEqual([...Array(7).fill('cancelled'), 'processing', 'succeeded']);
      expect(after[7].cancel_requested_at).not.toBeNull(); // stopped at its next heartbeat, as cancel does
      expect(after[8].updated_at).toEqual(after[8].created_at);
    } finally {
      await release(sql, [claimed.run_id]);
    }
  });

  it('retry and delete through the SDK: every batch, only the states the verb allows, never a processing event', async () => {
    const name = await freshName();
    const ids = await enqueueMany(name, 6);
    const [busy] = await enqueueMany(name, 1, 0);
    const [claimed] = await claimOnly(sql, [busy], 'bulk-test');
    await disable(sql, name);
    const queue = createQueue(supabase);
    try {
      expect(await queue.cancelMany({ name, state: 'scheduled' })).toBe(6);
      expect(await queue.retryMany({ name, dry_run: true })).toBe(6);
      expect(await queue.retryMany({ name, limit: 4 })).toBe(6); // two requests
      expect(await states(ids)).toEqual(Array(6).fill('queued'));
      expect((await eventsById(sql, ids)).every((e) => e.attempts === 0 && e.cancel_requested_at === null)).toBe(true);
      expect(await queue.retryMany({ name })).toBe(0); // queued and processing events are not retried

      expect(await queue.deleteMany({ name, dry_run: true })).toBe(6);
      expect(await queue.deleteMany({ name, limit: 5 })).toBe(6);
      expect(await eventsById(sql, ids)).toEqual([]);
      expect((await eventsById(sql, [busy])).map((e) => e.state)).toEqual(['processing']);
      expect(await sql`select 1 from queue.runs where event_id = ${busy}`).toHaveLength(1);
    } finally {
      await release(sql, [claimed.run_id]);
    }
  });

  it('filters by state, created_after, created_before and before_id as GET /events does', async () => {
    const name = await freshName();
    const old = await enqueueMany(name, 3);
    const [{ at }] = await sql<{ at: Date }[]>`select clock_timestamp() as at`;
    const recent = await enqueueMany(name, 2);
    await disable(sql, name);
    const count = async (filter: Record<string, unknown>) =>
      (await call('events/delete', { method: 'POST', json: { name, dry_run: true, ...filter } })).body.count;
    const listed = async (filter: Record<string, string>) =>
      (await call(`events?${new URLSearchParams({ name, ...filter })}`)).body.events.length;
    const filters: Record<string, string>[] = [
      { created_after: at.toISOString() }, { created_before: at.toISOString() }, { before_id: String(recent[0]) }, { state: 'scheduled' }, { state: 'queued' },
    ];
    for (const filter of filters) {
      const json = 'before_id' in filter ? { before_id: Number(filter.before_id) } : filter;
      expect(await count(json), JSON.stringify(filter)).toBe(await listed(filter));
    }
    expect([await count({ created_after: at.toISOString() }), await count({ before_id: recent[0] })]).toEqual([2, 3]);
    expect(await call('events/delete', { method: 'POST', json: { name, created_before: at.toISOString() } }))
      .toMatchObject({ status: 200, body: { count: 3 } });
    expect(await eventsById(sql, [...old, ...recent])).toHaveLength(2);
  });

  it('a user acts on their own events only', async () => {
    const name = await freshName();
    const alice = await tokenFor(randomUUID());
    const bob = await tokenFor(randomUUID());
    const hers = await enqueueMany(name, 2, HOUR, alice);
    const his = await enqueueMany(name, 3, HOUR, bob);
    expect((await call('events/cancel', { method: 'POST', key: alice, json: { name, dry_run: true } })).body.count).toBe(2);
    expect((await call('events/cancel', { method: 'POST', key: alice, json: { name } })).body.count).toBe(2);
    expect(await states(hers)).toEqual(['cancelled', 'cancelled']);
    expect(await states(his)).toEqual(['scheduled', 'scheduled', 'scheduled']);
    expect((await call('events/delete', { method: 'POST', key: bob, json: {} })).body.count).toBe(3);
    expect(await eventsById(sql, his)).toEqual([]);
    expect(await states(hers)).toEqual(['cancelled', 'cancelled']);
  });

  it('skips an event someone holds (SKIP LOCKED) instead of waiting for it', async () => {
    const name = await freshName();
    const ids = await enqueueMany(name, 4);
    const holder = db();
    try {
      let held!: () => void;
      const releaseHold = new Promise<void>((r) => (held = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const tx = holder.begin(async (t) => {
        await t`select id from queue.events where id = ${ids[1]} for update`;
        locked();
        await releaseHold;
      });
      await isLocked;
      const res = await call('events/delete', { method: 'POST', json: { name } });
      expect(res.body).toEqual({ count: 3, next_before_id: null, dry_run: false });
      held();
      await tx;
      expect((await eventsById(sql, ids)).map((e) => e.id)).toEqual([ids[1]]);
    } finally {
      await holder.end();
    }
  });

  it('concurrent bulk cancels share the events out: each is cancelled once, and the counts add up', async () => {
    const name = await freshName();
    const ids = await enqueueMany(name, 400);
    const queues = Array.from({ length: 4 }, () => createQueue(client()));
    const counts = await Promise.all(queues.map((q) => q.cancelMany({ name, limit: 50 })));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(400);
    expect(new Set(await states(ids))).toEqual(new Set(['cancelled']));
  });

  it('Realtime carries each cancelled event to a subscriber', async () => {
    const name = await freshName();
    const queue = createQueue(supabase);
    const heard = new Map<number, EventChange>();
    const unsubscribe = await queue.subscribe({ name, state: 'cancelled' }, (change) => heard.set(change.event.id, change));
    try {
      const ids = await enqueueMany(name, 5);
      expect(await queue.cancelMany({ name })).toBe(5);
      await waitFor('five cancellations over Realtime', () => heard.size === 5);
      expect([...heard.keys()].sort()).toEqual([...ids].sort());
      expect([...heard.values()].every((c) => c.type === 'UPDATE' && c.old?.state === 'scheduled')).toBe(true);
    } finally {
      await unsubscribe();
    }
  });

  it('refuses bad filters with 400, changing nothing', async () => {
    const name = await freshName();
    const ids = await enqueueMany(name, 2);
    const before = await rowCounts(sql);
    const bodies: unknown[] = [
      [], 'name', { state: 'stuck' }, { name: '1bad' }, { created_after: 'yesterday' }, { before_id: 0 }, { before_id: '5' },
      { limit: 0 }, { limit: 10_001 }, { limit: 2.5 }, { dry_run: 'yes' }, { id: ids[0] }, { name, events: [] },
    ];
    for (const verb of ['cancel', 'retry', 'delete']) {
      for (const json of bodies) {
        const res = await call(`events/${verb}`, { method: 'POST', json });
        expect(res.status, `${verb} ${JSON.stringify(json)}`).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
      }
      expect((await call(`events/${verb}`, { method: 'POST' })).status).toBe(400);
    }
    expect(await rowCounts(sql)).toEqual(before);
    expect(await states(ids)).toEqual(['scheduled', 'scheduled']);
  });
});
