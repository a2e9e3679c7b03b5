// kick: on-time starts without waiting for the per-minute tick. The cron job
// is paused in the test stack and nothing here calls tick, so every run below
// was started by a kicked drainer. (Latency figures: npm run bench.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimWhileKicksOn } from '../src/shared/db.ts';
import { call, db, eventsById, registerHandler, runsOf, setKicks } from './support/queue.ts';
import { ownStack, type OwnStack } from './support/own-stack.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
beforeAll(() => registerHandler(sql, { name: 'Addition', kind: 'code', target: 'Addition' }));
afterAll(() => sql.end());

const waitSucceeded = (id: number, timeoutMs: number) =>
  waitFor(`event ${id} to succeed`, async () => {
    const [e] = await eventsById(sql, [id]);
    return e.state === 'succeeded' && e;
  }, timeoutMs, 50);

describe('kick: on-time starts', () => {
  it('runs an event due now without any tick', async () => {
    const { body } = await call('enqueue', { method: 'POST', json: { name: 'Addition', props: { x: 1, y: 2 } } });
    const event = await waitSucceeded(body.id, 10_000);
    expect(event.result).toBe(3);
  });

  it('runs an event due in 3 s at its time, not before, without any tick', async () => {
    const runAt = new Date(Date.now() + 3000);
    const { body } = await call('enqueue', { method: 'POST', json: { name: 'Addition', props: { x: 2, y: 2 }, run_at: runAt.toISOString() } });
    await waitSucceeded(body.id, 15_000);
    const [run] = await runsOf(sql, body.id);
    expect(new Date(run.started_at).getTime()).toBeGreaterThanOrEqual(runAt.getTime());
  });
});

describe('kicks off', () => {
  it('a drainer marked stopped (its last look, a hand-over) claims nothing once kicks are off; the next kick runs what waited', async () => {
    await setKicks(sql, false);
    let id: number;
    try {
      [{ id }] = await sql<{ id: number }[]>`select id from queue.enqueue('Addition', '{"x": 5, "y": 6}')`;
      expect(await claimWhileKicksOn(sql, 'drain:kicks-off-test', 100)).toBeNull();
      expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'queued', attempts: 0 });
      expect(await runsOf(sql, id)).toEqual([]);
    } finally {
      await setKicks(sql, true);
    }
    // Kicks on: the next insert kicks a drainer, which runs both.
    const { body } = await call('enqueue', { method: 'POST', json: { name: 'Addition', props: { x: 1, y: 1 } } });
    await waitSucceeded(body.id, 10_000);
    expect((await waitSucceeded(id, 10_000)).result).toBe(11);
  });
});

// Every pg_net request on a stack takes the next id, so counting kicks needs a
// stack where nothing else (another test file's kick, a tick) makes requests.
describe('kick: one per burst', () => {
  let own: OwnStack;
  beforeAll(async () => {
    own = await ownStack();
    await registerHandler(own.sql, { name: 'Addition', kind: 'code', target: 'Addition' });
  }, 180_000);
  afterAll(() => own?.close());

  it('makes one kick for a burst of inserts', async () => {
    const { stack: s, sql: ownSql } = own;
    // A sequence not yet used reads last_value 1 with is_called false.
    const lastRequestId = async () => Number((await ownSql`
      select case when is_called then last_value else 0 end as id from net.http_request_queue_id_seq`)[0].id);
    const before = await lastRequestId();
    const enqueue = (i: number) => fetch(`${s.functionsUrl}/enqueue`, {
      method: 'POST',
      headers: { apikey: s.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Addition', props: { x: i, y: 0 } }),
    }).then(async (r) => { expect(r.status).toBe(201); return (await r.json()).id as number; });
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => enqueue(i)));
    await waitFor('the burst to succeed', async () => {
      const [{ n }] = await ownSql`select count(*)::int as n from queue.events where id in ${ownSql(ids)} and state = 'succeeded'`;
      return n === ids.length;
    }, 20_000, 100);
    expect((await lastRequestId()) - before).toBe(1);
  });
});
