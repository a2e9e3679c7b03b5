// kick: on-time starts without waiting for the per-minute tick. The cron job
// is paused in the test stack and nothing here calls tick, so every run below
// was started by a kicked drainer. (Latency figures: npm run bench.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, eventsById, registerHandler, runsOf, setKicks } from './support/queue.ts';
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

  it('makes one kick for a burst of inserts', async () => {
    // Every pg_net request takes the next id; nothing but kicks makes requests here.
    const lastRequestId = async () => Number((await sql`select last_value from net.http_request_queue_id_seq`)[0].last_value);
    // Stop the drainer an earlier test kicked (it would take the burst without a kick), then start from none.
    await setKicks(sql, false);
    await setKicks(sql, true);
    const before = await lastRequestId();
    const requests = Array.from({ length: 50 }, (_, i) => call('enqueue', { method: 'POST', json: { name: 'Addition', props: { x: i, y: 0 } } }));
    const ids = (await Promise.all(requests)).map((r) => r.body.id as number);
    for (const id of ids) await waitSucceeded(id, 10_000);
    expect((await lastRequestId()) - before).toBe(1);
  });
});
