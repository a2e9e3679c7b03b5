// supaqueue's side of the bench: a throwaway local stack (its own data folder
// and ports; `npm start` data is untouched), events run through the real
// path: HTTP enqueue, the insert's kick over pg_net, dispatch drainers on the
// local edge runtime under hosted's per-worker budgets, the code handler
// Addition, settle. The per-minute cron tick is paused, so only kicks start work.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Sql } from '../../src/shared/db.ts';
import { freePort } from '../../platform/ports.ts';
import { startStack, type Stack } from '../../platform/stack.ts';
import { load } from './load.ts';
import { gap, inChunks, sleep, until, wallMs, type Throughput } from './util.ts';

/** One name per measure, so each counts only its own events. */
const NAMES = ['BenchEnqueue', 'BenchThroughput', 'BenchPickup', 'BenchLong', 'BenchRealtime', 'BenchClaim', 'BenchBacklog'] as const;
type Name = (typeof NAMES)[number];

export interface LongRun {
  seconds: number;
  peakRssMb: number;
  cpuMsPer1000: number;
  workerStarts: number;
  /** pg_net calls to dispatch answered 546, and workers terminated by a limit (their in-flight requests answer 546). */
  status546: number;
  terminatedByLimit: number;
  lost: number;
}

export interface DispatchCost {
  cpuMsPer1000: number;
  workerStarts: number;
}

export interface RealtimeRun {
  throughput: number;
  expected: number;
  /** INSERTs and UPDATEs that changed state, as the subscriber got them. */
  stateChanges: number;
  /** UPDATEs that left state as it was (lease extensions). */
  otherUpdates: number;
  /** commit -> callback, ms, of the state changes. */
  lags: number[];
}

export async function startSupaqueue() {
  const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-bench-'));
  chmodSync(stateDir, 0o755);
  const stack: Stack = await startStack({ stateDir, apiPort: await freePort(), dbPort: await freePort() });
  const sql: Sql = connect(stack.dbUrl, { max: 8 });
  const post = (path: string, body: unknown) => fetch(`${stack.functionsUrl}/${path}`, {
    method: 'POST',
    headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const kicks = (on: boolean) => sql`update queue.settings set kicks = ${on}`;
  // What is left of a name: its events not yet in a final state, counted through the
  // partial indexes of those states, so a poll costs what is left, not what has run
  // (counting finished events scanned every earlier run's too: up to a fifth of the
  // machine's CPU during a throughput repeat). The peers' polls count what is left too.
  const remaining = async (name: Name) => (await sql`
    select ((select count(*) from queue.events where name = ${name} and state = 'queued')
          + (select count(*) from queue.events where name = ${name} and state = 'processing')
          + (select count(*) from queue.events where state = 'scheduled' and name = ${name}))::int as n`)[0].n as number;
  const waitFinished = (name: Name) =>
    until(async () => (await remaining(name)) === 0, 600_000, async () => `${name}: ${await remaining(name)} not finished`);
  const dispatch = () => stack.edgeRuntime.stats().dispatch;
  const dispatchCpu = () => dispatch().workers.reduce((sum, w) => sum + w.cpuMs, 0);
  const noDrainer = async () => (await sql`select active_until < clock_timestamp() as idle from queue._drainer`)[0].idle as boolean;

  await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
  for (const name of NAMES) await sql`select queue.create_handler(${sql.json({ name, kind: 'code', target: 'Addition' })}::jsonb)`;
  await sql`update queue.handlers set enabled = false where name = 'BenchBacklog'`;

  /** What a run cost the dispatch function: CPU of all its workers per 1,000 events, and workers started. */
  async function costOf<T extends Throughput>(n: number, work: () => Promise<T>): Promise<T & DispatchCost> {
    const cpuBefore = dispatchCpu();
    const startsBefore = dispatch().workersStarted;
    const t = await work();
    return { ...t, cpuMsPer1000: ((dispatchCpu() - cpuBefore) / n) * 1000, workerStarts: dispatch().workersStarted - startsBefore };
  }

  /** Enqueues n events over HTTP, ENQUEUE_CHUNK per request, and waits until all finished. */
  async function run(name: Name, n: number): Promise<Throughput> {
    const bodies = inChunks(n, (i) => ({ name, props: { x: i, y: 1 } })).map((events) => ({ events }));
    const started = performance.now();
    for (const body of bodies) {
      const res = await post('enqueue', body);
      if (res.status !== 201) throw new Error(`batch enqueue answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
    const enqueued = performance.now();
    await waitFinished(name);
    const done = performance.now();
    return { enqueue: n / ((enqueued - started) / 1000), processed: n / ((done - started) / 1000) };
  }

  /** Enqueue commit -> handler start, as the run's delivered_at: set by the drainer's claim, whose answer the runner acts on at once (it reads a few hundred microseconds early: the claim's answer is still on its way). */
  async function pickupOne(i: number): Promise<number> {
    const [{ id }] = await sql`select id from queue.enqueue('BenchPickup', ${sql.json({ x: i, y: 1 })}::jsonb)`;
    const committed = wallMs();
    let at: number | null = null;
    await until(async () => {
      const [row] = await sql`select extract(epoch from delivered_at) * 1000 as at from queue.runs where event_id = ${id} and delivered_at is not null`;
      at = row ? Number(row.at) : null;
      return at !== null;
    }, 30_000, () => `pickup sample ${i} never started`, 1);
    return at! - committed;
  }

  return {
    stack, sql,
    throughput: (n: number) => costOf(n, () => run('BenchThroughput', n)),

    /** CPU ms a drainer with nothing to do spends per second (it waits on LISTEN and a timer, no polling). */
    async idleCpu(seconds: number) {
      await pickupOne(-2); // a drainer is alive and has just run its event
      await sleep(500);
      const before = dispatchCpu();
      const started = performance.now();
      await sleep(seconds * 1000);
      const perSecond = (dispatchCpu() - before) / ((performance.now() - started) / 1000);
      if (await noDrainer()) throw new Error(`the drainer stopped within ${seconds} s idle: its idle time is shorter than the measure`);
      return perSecond;
    },

    /** While a drainer is alive (the first sample starts one; the gaps are far shorter than its idle time). */
    async pickupWarm(samples: number) {
      await pickupOne(-1);
      const out: number[] = [];
      for (let i = 0; i < samples; i++) { await gap(); out.push(await pickupOne(i)); }
      return out;
    },

    /** With no drainer alive: kicks off stops the drainer; kicks on, then each event kicks a fresh one over pg_net. */
    async pickupCold(samples: number) {
      const out: number[] = [];
      for (let i = 0; i < samples; i++) {
        await kicks(false);
        await until(noDrainer, 30_000, () => 'the drainer did not stop');
        await kicks(true);
        await sleep(200);
        out.push(await pickupOne(1000 + i));
      }
      return out;
    },

    /**
     * Single-event HTTP enqueue, 16 clients at once, each on its own kept-alive
     * connection (load.ts); kicks off, so that only enqueue is measured.
     * The first 1,000 requests are not counted: they meet the stack's first
     * enqueue worker still compiling its code. Later workers' starts (each is
     * retired at its CPU limit, every 3,000 requests or so) are counted.
     */
    async singleEnqueue(n: number) {
      await kicks(false);
      const target = {
        url: new URL(`${stack.functionsUrl}/enqueue`),
        headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'BenchEnqueue', props: { x: 1, y: 2 } }),
      };
      await load(target, 1000, 16, 201);
      const rate = await load(target, n, 16, 201);
      await sql`update queue.events set state = 'cancelled', finished_at = now() where name = 'BenchEnqueue' and finished_at is null`;
      await kicks(true);
      return rate;
    },

    /** queue.claim(100) times, ms (kicks off; what it claims is released, then cancelled). */
    async claimTimes(rounds: number) {
      await kicks(false);
      // A drainer still alive from an earlier run would claim these events first.
      await until(noDrainer, 30_000, () => 'the drainer did not stop');
      const times: number[] = [];
      for (let r = 0; r < rounds; r++) {
        await sql`select queue.enqueue_many(${sql.json(Array.from({ length: 100 }, () => ({ name: 'BenchClaim', props: {} })))}::jsonb)`;
        const started = performance.now();
        const claimed = await sql`select run_id from queue.claim('bench', 100)`;
        times.push(performance.now() - started);
        if (claimed.length !== 100) throw new Error(`claimed ${claimed.length}`);
        // Never delivered, so release takes them back unspent (queued again), to be cancelled below.
        await sql`select queue.release(${claimed.map((c) => c.run_id)}::bigint[])`;
      }
      await sql`update queue.events set state = 'cancelled', finished_at = now() where name = 'BenchClaim' and finished_at is null`;
      await kicks(true);
      return times;
    },

    /**
     * Queued events of a paused name (its handler disabled): a backlog claims must skip.
     * In transactions of 10,000: the Realtime stand-in never splits a transaction when
     * it reads the change stream, and one of 1,000,000 rows held it for over ten minutes.
     */
    async insertBacklog(n: number) {
      await kicks(false);
      for (let i = 0; i < n; i += 10_000) {
        await sql`insert into queue.events (name, props, state) select 'BenchBacklog', '{}', 'queued' from generate_series(1, ${Math.min(10_000, n - i)}::int)`;
      }
      // The steady state of a table holding a backlog: vacuumed and analyzed. Left to
      // autovacuum, the vacuum a million inserts trigger runs during the measure.
      await sql`vacuum analyze queue.events`;
      await kicks(true);
    },

    /** Until the Realtime stand-in has read the change stream up to now (a big insert takes it a while). */
    async realtimeCaughtUp() {
      const behind = async () => Number((await sql`
        select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), 0) as b
          from pg_replication_slots where slot_type = 'logical'`)[0].b);
      // Not fatal: the backlog measures then run beside that reading, which the table's reader should know.
      await until(async () => (await behind()) < 1 << 20, 600_000, async () => `Realtime is ${await behind()} bytes behind`, 500)
        .catch((err) => console.error(`  warning: ${err.message}; measuring the backlog anyway`));
    },

    async longRun(n: number): Promise<LongRun> {
      const from = Date.now();
      const cpuBefore = dispatchCpu();
      const before = dispatch();
      const limitTerminations = (s: typeof before) => (s.terminated.CPUTime ?? 0) + (s.terminated.WallClockTime ?? 0) + (s.terminated.Memory ?? 0);
      const t = await run('BenchLong', n);
      const after = dispatch();
      const [{ n546 }] = await sql`select count(*)::int as n546 from net._http_response where status_code = 546 and created >= to_timestamp(${from / 1000})`;
      const [{ lost }] = await sql`select count(*)::int as lost from queue.runs where name = 'BenchLong' and outcome = 'lost'`;
      const ran = after.workers.filter((w) => w.exitedAt === undefined || w.exitedAt >= from);
      return {
        seconds: n / t.processed,
        peakRssMb: Math.max(...ran.map((w) => w.peakRssMb)),
        cpuMsPer1000: ((dispatchCpu() - cpuBefore) / n) * 1000,
        workerStarts: after.workersStarted - before.workersStarted,
        status546: n546, terminatedByLimit: limitTerminations(after) - limitTerminations(before), lost,
      };
    },

    /** A throughput run with a service-role subscriber to the events' changes: does every state change reach it, and how late. */
    async realtime(n: number): Promise<RealtimeRun> {
      const { createClient } = await import('@supabase/supabase-js');
      const { default: WebSocket } = await import('ws');
      const supabase = createClient(stack.apiUrl, stack.secretKey, { auth: { persistSession: false }, realtime: { transport: WebSocket as any } });
      const lags: number[] = [];
      let otherUpdates = 0;
      const channel = supabase.channel('bench')
        .on('postgres_changes', { event: '*', schema: 'queue', table: 'events', filter: 'name=eq.BenchRealtime' }, (c: any) => {
          if (c.eventType === 'UPDATE' && c.old.state === c.new.state) otherUpdates++;
          else lags.push(Date.now() - Date.parse(c.commit_timestamp));
        });
      await new Promise<void>((resolve, reject) => channel.subscribe((status) => {
        if (status === 'SUBSCRIBED') resolve();
        else if (status !== 'CLOSED') reject(new Error(status));
      }));
      const t = await run('BenchRealtime', n);
      // Each event: INSERT (queued), processing, succeeded; every run was a first attempt (checked).
      const [{ runs }] = await sql`select count(*)::int as runs from queue.runs where name = 'BenchRealtime'`;
      const expected = n + 2 * runs;
      await until(async () => lags.length >= expected, 60_000, () => `Realtime: ${lags.length} of ${expected} state changes`).catch(() => {});
      await sleep(1000); // anything beyond expected would show up now
      await supabase.removeChannel(channel);
      return { throughput: t.processed, expected, stateChanges: lags.length, otherUpdates, lags };
    },

    async stop() {
      await sql.end();
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export type Supaqueue = Awaited<ReturnType<typeof startSupaqueue>>;
