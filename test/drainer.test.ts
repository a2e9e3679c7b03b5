// A drainer within its worker's budgets, each on a stack of its own with
// budgets small enough to run out within a test: told the budget (as the
// README tells operators to set QUEUE_WORKER_*), a drainer stops claiming
// before the platform would have to kill its worker, settles what it ran and
// hands over to a fresh worker. Had it kept claiming, the platform would
// terminate the worker (WallClockTime / CPUTime) with attempts in flight.
// (backlog.test.ts covers the other case: a drainer that is not told its
// budget, killed at the hard limit, loses nothing.)
import { afterAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/shared/db.ts';
import { overlappingRuns } from './support/invariants.ts';
import { ownStack, type OwnStack } from './support/own-stack.ts';
import { enqueueMany } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function outcomes(sql: Sql, ids: number[]) {
  const rows = await sql<{ outcome: string; n: number }[]>`
    select outcome::text, count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[]) group by 1`;
  return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
}

/** Every attempt of these events succeeded (none failed, none was lost), and no two of an event's runs overlapped. */
async function expectEachSucceededOnce(sql: Sql, ids: number[]) {
  expect(await outcomes(sql, ids)).toEqual({ succeeded: ids.length });
  expect(await overlappingRuns(sql, ids)).toBe(0);
}

async function waitSucceeded(sql: Sql, ids: number[], timeoutMs: number) {
  await waitFor(`${ids.length} events to succeed`, async () => {
    const [{ n }] = await sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[]) and state = 'succeeded'`;
    return n === ids.length;
  }, timeoutMs, 200);
}

describe('a drainer within its worker\'s budgets', () => {
  const stacks: OwnStack[] = [];
  afterAll(async () => { await Promise.all(stacks.map((s) => s.close())); });

  it('wall clock: at half its worker\'s wall clock hands over, claiming on only until its successor serves; no worker is terminated', { timeout: 180_000 }, async () => {
    // A 12 s wall clock (Free has 150 s): retired at 6 s, terminated at 12 s.
    const own = await ownStack({ edgeLimits: { wallClockLimitMs: 12_000 }, functionSecrets: { QUEUE_WORKER_WALL_CLOCK_MS: '12000' } });
    stacks.push(own);
    const { sql, stack } = own;
    // One event every 200 ms for 30 s: work arrives for longer than two
    // workers' wall clocks, and the tick is paused, so only kicks and
    // drainers handing over start work.
    const ids: number[] = [];
    const until = Date.now() + 30_000;
    for (let i = 0; Date.now() < until; i++) {
      const [{ id }] = await sql<{ id: number }[]>`select id from queue.enqueue('Addition', ${sql.json({ x: i, y: 1 })}::jsonb)`;
      ids.push(id);
      await sleep(200);
    }
    await waitSucceeded(sql, ids, 60_000);

    const dispatch = stack.edgeRuntime.stats().dispatch;
    expect(dispatch.terminated.WallClockTime ?? 0).toBe(0);
    expect(dispatch.terminated.CPUTime ?? 0).toBe(0);
    // The platform warns (beforeunload wall_clock) at 90 % of the wall clock;
    // a drainer that stops within 2 s of half never gets there.
    expect(dispatch.workers.filter((w) => w.beforeunload.includes('wall_clock'))).toEqual([]);
    // 30 s of work at most 6 s of claiming per worker: at least five workers ran it.
    const served = dispatch.workers.filter((w) => w.requests > 0);
    expect(served.length).toBeGreaterThanOrEqual(5);
    await expectEachSucceededOnce(sql, ids);
  });

  it('CPU: at the soft CPU limit hands over, claiming on only until its successor serves; no worker reaches the hard limit', { timeout: 300_000 }, async () => {
    // Hosted's 1 s soft / 2 s hard, scaled down to 300 ms / 600 ms.
    const own = await ownStack({ edgeLimits: { cpuSoftLimitMs: 300, cpuHardLimitMs: 600 }, functionSecrets: { QUEUE_WORKER_CPU_MS: '300' } });
    stacks.push(own);
    const { sql, stack } = own;
    const ids = await enqueueMany(sql, 'Addition', 20_000, { x: 1, y: 1 });
    await waitSucceeded(sql, ids, 240_000);

    const dispatch = stack.edgeRuntime.stats().dispatch;
    expect(dispatch.terminated.CPUTime ?? 0).toBe(0);
    expect(dispatch.retired.CPUTime ?? 0).toBeGreaterThan(0); // the budget did run out
    // The platform warns (beforeunload cpu) at 90 % of the hard limit; a
    // drainer that stops within a fifth past the soft limit never gets there.
    expect(dispatch.workers.filter((w) => w.beforeunload.includes('cpu')).map((w) => w.cpuMs)).toEqual([]);
    await expectEachSucceededOnce(sql, ids);
  });

  it('a hand-over that lands on its own worker (its measure ran out before the platform\'s) carries on there', { timeout: 180_000 }, async () => {
    // Dispatch is told 50 ms of CPU, the platform allows 1 s: the drainer
    // stops claiming and hands over long before the platform retires its
    // worker, so the hand-over request comes back to the same worker, whose
    // drainer is still finishing. Once in five runs of the CPU test above
    // the same race left the work stalled: the request was answered and no
    // drainer ran. The tick is paused, so nothing else would restart it.
    const own = await ownStack({ edgeLimits: { cpuSoftLimitMs: 1000, cpuHardLimitMs: 2000 }, functionSecrets: { QUEUE_WORKER_CPU_MS: '50' } });
    stacks.push(own);
    const { sql, stack } = own;
    // A fresh worker spends about 140 ms of CPU on 5,000 events (measured here): well past 50 ms.
    const ids = await enqueueMany(sql, 'Addition', 5_000, { x: 1, y: 1 });
    await waitSucceeded(sql, ids, 90_000);

    const dispatch = stack.edgeRuntime.stats().dispatch;
    // The hand-over reached a worker that had already drained: it served the kick and the hand-over.
    expect(Math.max(...dispatch.workers.map((w) => w.requests))).toBeGreaterThanOrEqual(2);
    expect(dispatch.terminated.CPUTime ?? 0).toBe(0);
    await expectEachSucceededOnce(sql, ids);
  });
});
