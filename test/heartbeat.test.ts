// heartbeat: what a dispatcher's heartbeat does for the attempts it runs. It
// extends their leases; it says which were cancelled (the dispatcher stops
// them and records 'cancelled') and which are gone (reclaimed: the
// dispatcher drops them and records nothing). Kicks are off so that only
// this file claims its events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancel, enqueueMany, heartbeat, release } from '../src/shared/db.ts';
import { testDispatcher } from './support/dispatchers.ts';
import { startHandlerServer, type HandlerServer } from './support/handler-server.ts';
import { claimOnly, db, eventsById, expireLeases, registerHandler, runsOf, setKicks } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
let server: HandlerServer;
beforeAll(async () => {
  server = await startHandlerServer();
  await registerHandler(sql, { name: 'BeatJob', kind: 'url', target: server.url, timeout_ms: 30_000 });
  await setKicks(sql, false);
});
afterAll(async () => {
  await setKicks(sql, true);
  await server.close();
  await sql.end();
});

/** Enqueues one BeatJob (props as handler-server reads them) and claims it. */
async function claimedJob(props: Record<string, unknown>, worker: string) {
  const [{ id }] = await enqueueMany(sql, [{ name: 'BeatJob', props: props as never }], null);
  const [row] = await claimOnly(sql, [id], worker);
  return { id, row };
}

/** Runs the claimed row in a dispatcher that heartbeats every 200 ms, once its handler has been called. */
async function runningInDispatcher(props: Record<string, unknown>, worker: string) {
  const { id, row } = await claimedJob(props, worker);
  const dispatcher = testDispatcher({ heartbeatMs: 200 });
  const finished = dispatcher.runBatch([row]).finally(() => dispatcher.close());
  await waitFor(`the handler to be called for event ${id}`, () => server.arrivals.some((a) => a.id === id));
  return { id, finished };
}

describe('heartbeat', () => {
  it('answers, per attempt, running, cancelled (its event was cancelled) or gone (it was reclaimed)', async () => {
    const jobs = [];
    for (const worker of ['beat:a', 'beat:b', 'beat:c']) jobs.push(await claimedJob({}, worker));
    const [running, cancelled, reclaimed] = jobs;
    const runIds = jobs.map((j) => j.row.run_id);
    expect([...(await heartbeat(sql, runIds)).values()]).toEqual(['running', 'running', 'running']);

    await cancel(sql, cancelled.id, null);
    await expireLeases(sql, [reclaimed.id], { reclaim: true });
    expect(await heartbeat(sql, runIds)).toEqual(new Map([
      [running.row.run_id, 'running'], [cancelled.row.run_id, 'cancelled'], [reclaimed.row.run_id, 'gone'],
    ]));
    // Leave nothing processing: each ends cancelled now.
    for (const { id } of jobs) if (id !== cancelled.id) await cancel(sql, id, null);
    await release(sql, [running.row.run_id, cancelled.row.run_id]);
    expect((await eventsById(sql, jobs.map((j) => j.id))).map((e) => e.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('extends the lease of a running attempt: reclaim leaves it running, and takes it without the beat', async () => {
    const { id, row } = await claimedJob({}, 'beat:extend');
    expect(await heartbeat(sql, [row.run_id])).toEqual(new Map([[row.run_id, 'running']]));

    await expireLeases(sql, [id]);
    expect(await heartbeat(sql, [row.run_id])).toEqual(new Map([[row.run_id, 'running']]));
    await sql`select queue.reclaim()`;
    expect(await runsOf(sql, id)).toMatchObject([{ outcome: 'running' }]);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'processing', attempts: 1 });

    await expireLeases(sql, [id]);
    await sql`select queue.reclaim()`;
    expect(await runsOf(sql, id)).toMatchObject([{ outcome: 'lost' }]);
    await cancel(sql, id, null);
  });

  it('stops the attempt of an event cancelled while it runs: the dispatcher records it cancelled at its next beat', async () => {
    const { id, finished } = await runningInDispatcher({ hang: true }, 'beat:cancel');
    const asked = await cancel(sql, id, null);
    expect(asked.state).toBe('processing');
    expect(asked.cancel_requested_at).not.toBeNull();
    const cancelledAt = Date.now();

    expect(await finished).toEqual({ started: 1, returned: 0 });
    // Stopped by a heartbeat, well before the handler's 30 s timeout.
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(await runsOf(sql, id)).toMatchObject([
      { outcome: 'cancelled', error: { message: 'The event was cancelled while this attempt ran.' } },
    ]);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'cancelled', attempts: 1 });
  });

  it('tells the dispatcher of a reclaimed attempt it is gone: the attempt is dropped and its outcome never recorded', async () => {
    const { id, finished } = await runningInDispatcher({ hang: true }, 'beat:gone');
    // The lease runs out (as if this dispatcher had stalled) and reclaim records the attempt lost.
    expect(await expireLeases(sql, [id], { reclaim: true })).toBeGreaterThanOrEqual(1);

    expect(await finished).toEqual({ started: 1, returned: 0 });
    const lost = { outcome: 'lost', error: { message: 'The lease expired before the attempt reported an outcome; the attempt was lost.' } };
    expect(await runsOf(sql, id)).toMatchObject([lost]);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'scheduled', attempts: 1, last_error: lost.error });
    await cancel(sql, id, null);
  });
});
