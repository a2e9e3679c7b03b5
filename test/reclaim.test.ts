// reclaim: attempts whose lease ran out without an outcome. One that ran (its
// dispatcher confirmed delivery, then died) is recorded lost and the event
// runs again; one that was never delivered (its batch never reached a
// dispatcher) did not run, so it is taken back without spending an attempt.
// Kicks are off so that only this file claims its events; the reruns go the
// real way, tick -> pg_net -> dispatch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueMany, heartbeat } from '../src/shared/db.ts';
import { claimOnly, db, eventsById, expireLeases, registerHandler, runsOf, setKicks, tickUntil } from './support/queue.ts';

const sql = db();
beforeAll(async () => {
  // No backoff: a lost attempt's event is due again at once.
  await registerHandler(sql, { name: 'ReclaimAdd', kind: 'code', target: 'Addition', backoff_base_ms: 0 });
  await setKicks(sql, false);
});
afterAll(async () => {
  await setKicks(sql, true);
  await sql.end();
});

/** Enqueues one ReclaimAdd and claims it, as a tick or a drainer would. */
async function claimed(props: { x: number; y: number }, worker: string) {
  const [{ id }] = await enqueueMany(sql, [{ name: 'ReclaimAdd', props }], null);
  const [row] = await claimOnly(sql, [id], worker);
  return { id, runId: row.run_id };
}

describe('reclaim', () => {
  it('records an attempt whose dispatcher died as lost, and the event runs again', async () => {
    const { id, runId } = await claimed({ x: 2, y: 5 }, 'reclaim:died');
    expect(await heartbeat(sql, [runId])).toEqual(new Map([[runId, 'running']])); // delivered; then no more beats

    await expireLeases(sql, [id]);
    const [{ reclaimed }] = await sql<{ reclaimed: number }[]>`select queue.reclaim() as reclaimed`;
    expect(reclaimed).toBeGreaterThanOrEqual(1);
    const lost = { message: 'The lease expired before the attempt reported an outcome; the attempt was lost.' };
    expect(await runsOf(sql, id)).toMatchObject([{ attempt: 1, outcome: 'lost', error: lost }]);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'scheduled', attempts: 1, last_error: lost });

    const [event] = await tickUntil(sql, [id], ['succeeded']);
    expect(event).toMatchObject({ result: 7, attempts: 2 });
    expect((await runsOf(sql, id)).map((r) => [r.attempt, r.outcome])).toEqual([[1, 'lost'], [2, 'succeeded']]);
  });

  it('takes back an attempt that was never delivered, unspent; a late delivery runs nothing', async () => {
    const { id, runId } = await claimed({ x: 1, y: 1 }, 'reclaim:undelivered');

    await expireLeases(sql, [id]);
    await sql`select queue.reclaim()`;
    expect(await runsOf(sql, id)).toEqual([]);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'queued', attempts: 0, last_error: null });
    expect(await heartbeat(sql, [runId])).toEqual(new Map([[runId, 'gone']]));

    const [event] = await tickUntil(sql, [id], ['succeeded']);
    expect(event).toMatchObject({ result: 2, attempts: 1 });
    expect((await runsOf(sql, id)).map((r) => [r.attempt, r.outcome])).toEqual([[1, 'succeeded']]);
  });
});
