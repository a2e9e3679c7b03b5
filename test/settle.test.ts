// settle: a dispatcher's outcomes recorded in one call, each as complete or
// fail records it; an outcome for an attempt that is already over changes
// nothing. The attempts here are claimed and delivered by hand and never run
// (kicks are off, so no drainer takes them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancel, enqueueMany, heartbeat, settle, type Outcome } from '../src/shared/db.ts';
import type { Json } from '../src/shared/json.ts';
import { claimOnly, db, eventsById, expireLeases, registerHandler, runsOf, setKicks } from './support/queue.ts';

const sql = db();
beforeAll(async () => {
  await registerHandler(sql, { name: 'SettleJob', kind: 'code', target: 'Addition' });
  await setKicks(sql, false);
});
afterAll(async () => {
  await setKicks(sql, true);
  await sql.end();
});

const succeeded = (run_id: number, result: Json): Outcome => ({ run_id, outcome: 'succeeded', result });
const notSucceeded = (run_id: number, outcome: 'failed' | 'timed_out' | 'cancelled', message: string): Outcome =>
  ({ run_id, outcome, error: { message } });

/** Enqueues events of SettleJob, claims them and confirms their delivery, as a dispatcher does before it runs them. */
async function delivered(items: Array<{ max_attempts?: number }>, worker: string): Promise<Array<{ id: number; runId: number }>> {
  const ids = (await enqueueMany(sql, items.map((opts, i) => ({ name: 'SettleJob', props: { i }, ...opts })), null)).map((e) => e.id);
  const rows = await claimOnly(sql, ids, worker);
  await heartbeat(sql, rows.map((r) => r.run_id));
  return ids.map((id) => ({ id, runId: rows.find((r) => r.id === id)!.run_id }));
}

/** The event and its runs, to compare before and after. */
const snapshot = async (id: number) => ({ event: (await eventsById(sql, [id]))[0], runs: await runsOf(sql, id) });

describe('settle', () => {
  it('records a batch of outcomes in one call: each event moves as its outcome says', async () => {
    const [ok, retried, dead, cancelled] = await delivered([{}, { max_attempts: 3 }, { max_attempts: 1 }, {}], 'settle:batch');
    const settled = await settle(sql, [
      succeeded(ok.runId, { sum: 3 }),
      notSucceeded(retried.runId, 'failed', 'upstream said no'),
      notSucceeded(dead.runId, 'timed_out', 'too slow'),
      notSucceeded(cancelled.runId, 'cancelled', 'stopped'),
    ]);
    expect(settled.map((s) => [s.run_id, s.state]).sort(([a], [b]) => Number(a) - Number(b))).toEqual([
      [ok.runId, 'succeeded'], [retried.runId, 'scheduled'], [dead.runId, 'dead'], [cancelled.runId, 'cancelled'],
    ]);

    const events = await eventsById(sql, [ok.id, retried.id, dead.id, cancelled.id]);
    expect(events).toMatchObject([
      { state: 'succeeded', result: { sum: 3 }, attempts: 1 },
      { state: 'scheduled', last_error: { message: 'upstream said no' }, attempts: 1 },
      { state: 'dead', last_error: { message: 'too slow' }, attempts: 1 },
      { state: 'cancelled', last_error: { message: 'stopped' }, attempts: 1 },
    ]);
    const outcomes = await Promise.all([ok, retried, dead, cancelled].map(async (e) => (await runsOf(sql, e.id)).map((r) => r.outcome)));
    expect(outcomes).toEqual([['succeeded'], ['failed'], ['timed_out'], ['cancelled']]);
    expect(events.map((e) => e.finished_at !== null)).toEqual([true, false, true, true]); // final states only
    await cancel(sql, retried.id, null);
  });

  it('changes nothing for a second outcome of an attempt that already has one', async () => {
    const [job] = await delivered([{}], 'settle:twice');
    expect((await settle(sql, [succeeded(job.runId, 1)])).map((s) => s.state)).toEqual(['succeeded']);
    const before = await snapshot(job.id);

    const late = await settle(sql, [succeeded(job.runId, 2), notSucceeded(job.runId, 'failed', 'late')]);
    expect(late.map((s) => s.state)).toEqual([null, null]);
    expect(await snapshot(job.id)).toEqual(before);
    expect(before.event).toMatchObject({ state: 'succeeded', result: 1 });
  });

  it('changes nothing for the outcome of an attempt that was reclaimed meanwhile', async () => {
    const [job] = await delivered([{}], 'settle:reclaimed');
    await expireLeases(sql, [job.id], { reclaim: true });
    const before = await snapshot(job.id);
    expect(before.runs.map((r) => r.outcome)).toEqual(['lost']);

    expect((await settle(sql, [succeeded(job.runId, 7)])).map((s) => s.state)).toEqual([null]);
    expect(await snapshot(job.id)).toEqual(before);
    await cancel(sql, job.id, null);
  });
});
