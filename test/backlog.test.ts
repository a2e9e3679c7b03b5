// The dispatch path under the platform's real constraints, each on a stack of
// its own: pg_net sends a batch and takes the next only when every request of
// it has finished, and each function worker has its own CPU and wall-clock
// budget (test/edge-runtime.test.ts proves the stand-ins enforce both).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/shared/db.ts';
import { startHandlerServer, type HandlerServer } from './support/handler-server.ts';
import { notFinal, overlappingRuns } from './support/invariants.ts';
import { ownStack, type OwnStack } from './support/own-stack.ts';
import { enqueueMany, registerHandler } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = async (query: Promise<{ n: number }[]>) => (await query)[0].n;

/** Ticks every `everyMs` (hosted pg_cron: every 10 s) until every event is final. */
async function tickUntilFinal(sql: Sql, ids: number[], everyMs: number, timeoutMs: number) {
  await waitFor(`${ids.length} events to be final`, async () => {
    await sql`select queue.tick()`;
    return (await notFinal(sql, ids)).unfinished.length === 0;
  }, timeoutMs, everyMs);
}

describe('a backlog of 20,000 url events behind slow webhooks of another part of the app', () => {
  let own: OwnStack;
  let handlers: HandlerServer;
  let slowHooks: Server;
  let hooksReceived = 0;

  beforeAll(async () => {
    own = await ownStack();
    handlers = await startHandlerServer();
    // Another part of the app sends webhooks through pg_net to an endpoint
    // that answers after 35 s: each pg_net batch holding one waits that long,
    // longer than a lease (30 s).
    slowHooks = createServer((req, res) => {
      hooksReceived++;
      req.resume();
      setTimeout(() => res.writeHead(200).end('ok'), 35_000);
    });
    await new Promise<void>((r) => slowHooks.listen(0, '127.0.0.1', () => r()));
  }, 180_000);

  afterAll(async () => {
    slowHooks?.closeAllConnections();
    slowHooks?.close();
    await handlers?.close();
    await own?.close();
  });

  it('runs every event once: none is lost to a late batch, none ends dead without having run', { timeout: 600_000 }, async () => {
    const { sql, stack } = own;
    const hookUrl = `http://127.0.0.1:${(slowHooks.address() as { port: number }).port}/hook`;
    await registerHandler(sql, { name: 'Backlog', kind: 'url', target: handlers.url, timeout_ms: 10_000, backoff_base_ms: 0 });
    let sending = true;
    const webhooks = (async () => {
      while (sending) {
        await sql`select net.http_post(${hookUrl}, '{"hook": true}'::jsonb, timeout_milliseconds := 40000) from generate_series(1, 3)`;
        await sleep(5_000);
      }
    })();
    try {
      const ids = await enqueueMany(sql, 'Backlog', 20_000, { sleep_ms: 200 });
      await tickUntilFinal(sql, ids, 10_000, 540_000);

      expect(await count(sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[]) and state = 'succeeded'`)).toBe(20_000);
      // Exactly one run per event, and none lost.
      expect(await count(sql`select count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[])`)).toBe(20_000);
      expect(await count(sql`select count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[]) and outcome = 'lost'`)).toBe(0);
      expect(await overlappingRuns(sql, ids)).toBe(0);
      // The slow webhooks did go out, and did hold pg_net up meanwhile.
      expect(hooksReceived).toBeGreaterThan(3);
      // No worker was terminated by a limit: drainers stopped claiming in time and handed over.
      const dispatch = stack.edgeRuntime.stats().dispatch;
      expect(dispatch.terminated.CPUTime ?? 0).toBe(0);
      expect(dispatch.terminated.WallClockTime ?? 0).toBe(0);
      expect(dispatch.workersStarted).toBeGreaterThan(1);
      console.log(`20,000 url events: ${dispatch.workersStarted} dispatch workers started, retired ${JSON.stringify(dispatch.retired)}`);
    } finally {
      sending = false;
      await webhooks;
    }
  });
});

describe('a drainer terminated at the CPU hard limit (the stricter documented 200 ms) mid-batch', () => {
  let own: OwnStack;

  beforeAll(async () => {
    // The dispatch function is not told its budget (it assumes hosted's 1 s
    // soft limit), so the platform kills its workers at 200 ms of CPU with
    // attempts in flight.
    own = await ownStack({ edgeLimits: { cpuSoftLimitMs: 200, cpuHardLimitMs: 200 }, functionSecrets: { QUEUE_WORKER_CPU_MS: '' } });
  }, 180_000);
  afterAll(async () => { await own?.close(); });

  it('loses nothing: every event succeeds, with no overlapping runs', { timeout: 600_000 }, async () => {
    const { sql, stack } = own;
    await registerHandler(sql, { name: 'Killed', kind: 'code', target: 'Addition', max_attempts: 10, backoff_base_ms: 0 });
    // Enough work that a kill is certain, not a matter of luck: dispatch
    // spends about 60 µs of CPU per event here (5,000 events cost two
    // workers 320 ms together), so 20,000 need more than a second, which
    // could only dodge the 200 ms kill if it were spread over six workers or
    // more; a worker starts only when one before it is retired or killed.
    const n = 20_000;
    const ids = await enqueueMany(sql, 'Killed', n, { x: 1, y: 2 });
    await tickUntilFinal(sql, ids, 2_000, 540_000);

    expect(await count(sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[]) and state = 'succeeded'`)).toBe(n);
    expect(await overlappingRuns(sql, ids)).toBe(0);
    const dispatch = stack.edgeRuntime.stats().dispatch;
    expect(dispatch.terminated.CPUTime ?? 0).toBeGreaterThan(0);
    // An attempt in flight at a kill is recorded lost and runs again, or, if
    // the kill came before its delivery, is taken back unspent: which of the
    // two depends on where each kill lands, so only their sum is certain.
    // Either way no attempt ended otherwise, and every event ran to success.
    const outcomes = await sql<{ outcome: string; n: number }[]>`
      select outcome::text, count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[]) group by 1`;
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(expect.arrayContaining(['succeeded']));
    expect(outcomes.filter((o) => !['succeeded', 'lost'].includes(o.outcome))).toEqual([]);
    expect(outcomes.find((o) => o.outcome === 'succeeded')!.n).toBe(n);
  });
});
