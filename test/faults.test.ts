// Faults on purpose, against a stack of this file's own (its own data folder
// and ports, so processes can be killed freely). Every test ends by asserting
// on the database: every accepted event is in a final state, and no event
// ever had two runs overlapping in time.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../platform/stack.ts';
import { connect, type Sql } from '../src/shared/db.ts';
import { startHandlerServer, type HandlerServer } from './support/handler-server.ts';
import { notFinal, overlappingRuns } from './support/invariants.ts';
import { freePort } from '../platform/ports.ts';
import { registerHandler, setKicks, tickUntil } from './support/queue.ts';
import { waitFor } from './support/wait.ts';
import { drainWith } from './support/dispatchers.ts';

let stack: Stack;
let sql: Sql;
let server: HandlerServer;
let stateDir: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-faults-'));
  chmodSync(stateDir, 0o755);
  stack = await startStack({ stateDir, apiPort: await freePort(), dbPort: await freePort() });
  sql = connect(stack.dbUrl, { max: 4 });
  await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
  server = await startHandlerServer();
});

afterAll(async () => {
  await sql?.end();
  await stack?.stop();
  await server?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function enqueue(name: string, n: number, props: object): Promise<number[]> {
  const events = Array.from({ length: n }, (_, i) => ({ name, props: { ...props, i } }));
  const rows = await sql<{ id: number }[]>`select id from queue.enqueue_many(${sql.json(events as any)}::jsonb)`;
  return rows.map((r) => r.id);
}

const count = async (query: Promise<{ n: number }[]>) => (await query)[0].n;

async function expectAllSucceededWithoutOverlap(ids: number[], timeoutMs: number) {
  await tickUntil(sql, ids, ['succeeded', 'dead', 'cancelled'], timeoutMs);
  expect(await notFinal(sql, ids)).toEqual({ missing: [], unfinished: [] });
  expect(await count(sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[]) and state <> 'succeeded'`)).toBe(0);
  expect(await overlappingRuns(sql, ids)).toBe(0);
}

describe('faults', () => {
  it('kill -9 of the functions process mid-batch of 500 slow events: all succeed, the interrupted attempts are recorded', { timeout: 240_000 }, async () => {
    await registerHandler(sql, { name: 'SlowKill', kind: 'url', target: server.url, timeout_ms: 10_000, backoff_base_ms: 0 });
    const ids = await enqueue('SlowKill', 500, { sleep_ms: 2000 });
    await sql`select queue.tick()`;
    const before = server.arrivals.length;
    await waitFor('handlers to be running', async () => server.arrivals.length - before >= 100, 30_000);

    await stack.edgeRuntime.kill('dispatch');
    await stack.restartFunction('dispatch');

    await expectAllSucceededWithoutOverlap(ids, 180_000);
    const lost = await count(sql`select count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[]) and outcome = 'lost'`);
    expect(lost).toBeGreaterThan(0);
  });

  it('an immediate restart of Postgres while 2,000 events are processing loses none', { timeout: 300_000 }, async () => {
    await registerHandler(sql, { name: 'PgCrash', kind: 'url', target: server.url, timeout_ms: 10_000, backoff_base_ms: 0, max_attempts: 20 });
    const ids = await enqueue('PgCrash', 2000, { sleep_ms: 500 });
    await sql`select queue.tick()`;
    await waitFor('events to be processing', async () =>
      (await count(sql`select count(*)::int as n from queue.events where name = 'PgCrash' and state = 'processing'`)) >= 100, 30_000);

    await sql.end();
    await stack.restartPostgres('immediate');
    sql = connect(stack.dbUrl, { max: 4 });

    expect(await count(sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[])`)).toBe(2000);
    await expectAllSucceededWithoutOverlap(ids, 240_000);
  });

  it('terminating the dispatcher’s database connections mid-batch loses nothing', { timeout: 240_000 }, async () => {
    await registerHandler(sql, { name: 'Terminated', kind: 'url', target: server.url, timeout_ms: 10_000, backoff_base_ms: 0 });
    const ids = await enqueue('Terminated', 300, { sleep_ms: 1000 });
    await sql`select queue.tick()`;
    await waitFor('events to be processing', async () =>
      (await count(sql`select count(*)::int as n from queue.events where name = 'Terminated' and state = 'processing'`)) >= 50, 30_000);
    // Claimed by the tick before dispatch has them: wait until dispatch is at work on its connections.
    await waitFor('dispatch to be running the batch', async () => server.arrivals.filter((a) => a.name === 'Terminated').length >= 10, 30_000);
    const killed = await count(sql`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'supaqueue-dispatch'`);
    expect(killed).toBeGreaterThan(0);
    await expectAllSucceededWithoutOverlap(ids, 180_000);
  });

  it('terminating the enqueue worker\'s connections under concurrent enqueues: every 201 is one row, and nothing is written twice', { timeout: 120_000 }, async () => {
    await registerHandler(sql, { name: 'EnqueueFault', kind: 'code', target: 'Addition' });
    const tag = crypto.randomUUID();
    const post = (x: number) => fetch(`${stack.functionsUrl}/enqueue`, {
      method: 'POST',
      headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'EnqueueFault', props: { x, y: 0, tag }, delay_ms: 3_600_000 }),
    }).then(async (res) => ({ x, status: res.status, body: await res.json() }));
    // 16 clients, 600 requests, while the worker's connections are terminated again and again.
    let next = 0;
    const answers: Array<{ x: number; status: number; body: any }> = [];
    let terminating = true;
    let killed = 0;
    const terminator = (async () => {
      while (terminating) {
        killed += await count(sql`
          select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'supaqueue-enqueue'`);
        await sleep(150);
      }
    })();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < 600) answers.push(await post(next++));
    }));
    terminating = false;
    await terminator;
    expect(killed).toBeGreaterThan(0);
    const rows = await sql<{ x: number; n: number; ids: number[] }[]>`
      select (props->>'x')::int as x, count(*)::int as n, array_agg(id) as ids
        from queue.events where name = 'EnqueueFault' and props->>'tag' = ${tag} group by 1`;
    const written = new Map(rows.map((r) => [r.x, r]));
    // No request's event is in the table twice, whatever its answer.
    expect(rows.filter((r) => r.n > 1)).toEqual([]);
    const accepted = answers.filter((a) => a.status === 201);
    expect(accepted.length).toBeGreaterThan(0);
    // Every mismatch at once, each with the row its x has: a pair answered each other's id would show as two.
    const wrong = accepted.filter((a) => written.get(a.x)?.ids.join() !== String(a.body.id));
    expect(wrong.map((a) => ({ x: a.x, answered: a.body.id, written: written.get(a.x)?.ids ?? [] }))).toEqual([]);
    // The others were told: a 5xx in the one error shape, never a 2xx for nothing.
    for (const a of answers.filter((a) => a.status !== 201)) {
      expect(a.status, JSON.stringify(a.body)).toBeGreaterThanOrEqual(500);
      // The app's shape, not the platform's: a worker that died (WORKER_ERROR) took every request in flight with it.
      expect(a.body.error, JSON.stringify(a.body)).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
  });

  it('with the pg_net worker stopped for two minutes (its requests lost), the undelivered claims are taken back unspent and the events still complete', { timeout: 360_000 }, async () => {
    await registerHandler(sql, { name: 'NetDown', kind: 'code', target: 'Addition', max_attempts: 20, backoff_base_ms: 0 });
    // A drainer still lingering from an earlier test would run them without pg_net: stop it first.
    await setKicks(sql, false);
    await setKicks(sql, true);
    await stack.stopNetWorker();
    try {
      const ids = await enqueue('NetDown', 100, { x: 1, y: 1 });
      const stoppedAt = Date.now();
      // The cron job would tick every minute; tick more often to churn leases.
      while (Date.now() - stoppedAt < 120_000) {
        await sql`select queue.tick()`;
        await sleep(15_000);
      }
      // Nothing was sent: every claim's batch is still queued in pg_net... until
      // it is lost, as an unlogged table is after a crash.
      expect(await count(sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[]) and state = 'succeeded'`)).toBe(0);
      await sql`delete from net.http_request_queue`;
      await stack.startNetWorker();

      await expectAllSucceededWithoutOverlap(ids, 120_000);
      // Claims whose batch never arrived did not run: no attempt was recorded or spent for them.
      expect(await count(sql`select count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[]) and outcome = 'lost'`)).toBe(0);
      expect(await count(sql`select count(*)::int as n from queue.events where id = any(${ids}::bigint[]) and attempts <> 1`)).toBe(0);
    } finally {
      await stack.startNetWorker(); // whatever happened, the next tests need pg_net
    }
  });

  it('8 dispatchers draining the same 5,000 events at once run each exactly once, with zero overlapping runs', { timeout: 240_000 }, async () => {
    await registerHandler(sql, { name: 'Swarm', kind: 'code', target: 'Addition' });
    await setKicks(sql, false);
    const ids = await enqueue('Swarm', 5000, { x: 2, y: 3 });
    // Eight workers of the dispatch code, each with its own drainer, against this stack's database.
    const drains = await drainWith(8, { aliveMs: Infinity }, stack.dbUrl);
    await setKicks(sql, true);

    expect(drains.reduce((sum, claimed) => sum + claimed, 0)).toBe(5000);
    expect(drains.filter((claimed) => claimed > 0).length).toBeGreaterThan(1);
    await expectAllSucceededWithoutOverlap(ids, 60_000);
    expect(await count(sql`select count(*)::int as n from queue.runs where event_id = any(${ids}::bigint[])`)).toBe(5000);
  });

  it('a poison event (its handler always throws) ends dead after max attempts; the others are unaffected', { timeout: 120_000 }, async () => {
    await registerHandler(sql, { name: 'Poison', kind: 'url', target: server.url, max_attempts: 3, backoff_base_ms: 0 });
    await registerHandler(sql, { name: 'Healthy', kind: 'code', target: 'Addition' });
    const [poison] = await enqueue('Poison', 1, { fail: true });
    const healthy = await enqueue('Healthy', 50, { x: 1, y: 1 });
    await tickUntil(sql, [poison, ...healthy], ['succeeded', 'dead'], 60_000);

    const [p] = await sql`select state, attempts, last_error from queue.events where id = ${poison}`;
    expect(p).toMatchObject({ state: 'dead', attempts: 3 });
    expect(p.last_error.message).toContain('answered 500');
    expect((await sql`select outcome from queue.runs where event_id = ${poison}`).map((r: any) => r.outcome)).toEqual(['failed', 'failed', 'failed']);
    await expectAllSucceededWithoutOverlap(healthy, 30_000);
    expect(await overlappingRuns(sql, [poison])).toBe(0);
  });

  it('a handler that hangs is timed out, retried, dead — and the batch it was in completes', { timeout: 120_000 }, async () => {
    await registerHandler(sql, { name: 'Hang', kind: 'url', target: server.url, timeout_ms: 1000, max_attempts: 2, backoff_base_ms: 0 });
    await registerHandler(sql, { name: 'Quick', kind: 'code', target: 'Multiplication' });
    await setKicks(sql, false);
    const [hang] = await enqueue('Hang', 1, { hang: true });
    const quick = await enqueue('Quick', 20, { x: 3, y: 3 });
    // One tick: one batch with all 21 events.
    const [tick] = await sql`select * from queue.tick()`;
    expect(tick.batches).toBe(1);
    await tickUntil(sql, [hang, ...quick], ['succeeded', 'dead'], 60_000);
    await setKicks(sql, true);

    const runs = await sql`select outcome, error from queue.runs where event_id = ${hang} order by id`;
    expect(runs.map((r: any) => r.outcome)).toEqual(['timed_out', 'timed_out']);
    expect(runs[0].error.message).toContain('timeout of 1000 ms');
    expect((await sql`select state from queue.events where id = ${hang}`)[0].state).toBe('dead');
    await expectAllSucceededWithoutOverlap(quick, 30_000);
    // The batch's request to dispatch was answered at once (202), the hang notwithstanding.
    const [response] = await sql`
      select status_code from net._http_response where content like ${'%"accepted":21%'} order by id desc limit 1`;
    expect(response.status_code).toBe(202);
  });
});
