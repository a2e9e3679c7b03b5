// The peers the bench runs beside supaqueue, each in its own database of the
// stack's Postgres (so they cannot interfere with queue.* or each other) and
// its worker in its own Node process (peer-worker.ts), as our dispatch runs
// in its own Deno process. This process enqueues and watches the database.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Logger, makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import postgres from 'postgres';
import { sizes } from './sizes.ts';
import { gap, inChunks, sleep, until, wallMs, type Throughput } from './util.ts';

export const QUEUE = 'bench';

export interface PeerConfig {
  id: string;
  /** The column header. */
  label: string;
  kind: 'graphile' | 'pgboss';
  /** The database it gets (created on the stack's Postgres). */
  database: string;
  /** What the worker is started with, passed to peer-worker.ts. */
  options: Record<string, unknown>;
  /** Pickup samples (pg-boss polls: each sample costs a poll). */
  pickupSamples: number;
  /** Give its jobs table statistics of a table holding a burst before each throughput repeat (see startPeer). */
  burstStatistics?: boolean;
}

export const PEERS: readonly PeerConfig[] = [
  {
    id: 'graphile', label: 'graphile-worker 0.18 (tuned)', kind: 'graphile', database: 'bench_graphile',
    // The configuration graphile-worker's performance docs suggest for throughput.
    options: { concurrency: 50, preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } },
    pickupSamples: sizes.pickupSamples, burstStatistics: true,
  },
  {
    id: 'graphile-defaults', label: 'graphile-worker 0.18 (defaults)', kind: 'graphile', database: 'bench_graphile_defaults',
    options: {}, pickupSamples: sizes.pickupSamples,
  },
  {
    id: 'pgboss', label: 'pg-boss 12.38', kind: 'pgboss', database: 'bench_pgboss',
    // Batched fetch and its fastest allowed poll; NOTIFY (useListenNotify) left off, as by default.
    options: { batchSize: 5000, pollingIntervalSeconds: 0.5 },
    pickupSamples: sizes.pollingPickupSamples,
  },
];

export interface PeerRun {
  config: PeerConfig;
  throughput(n: number): Promise<Throughput>;
  /** Enqueue commit -> handler start, ms, one job at a time into an idle queue. */
  pickup(samples: number): Promise<number[]>;
  stop(): Promise<void>;
}

type FromWorker = { ready: true } | { picked: number; at: number };

export async function startPeer(config: PeerConfig, serverUrl: string): Promise<PeerRun> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${config.database} with (force)`);
  await admin.unsafe(`create database ${config.database}`);
  await admin.end();
  const url = serverUrl.replace(/\/[^/]*$/, `/${config.database}`);
  const sql = postgres(url, { max: 2, onnotice: () => {} });

  const child: ChildProcess = fork(fileURLToPath(new URL('./peer-worker.ts', import.meta.url)),
    [config.kind, url, JSON.stringify(config.options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const picked = new Map<number, number>();
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${config.label} worker exited (${code}) before it was ready`)));
    child.on('message', (m: FromWorker) => {
      if ('ready' in m) resolve();
      else picked.set(m.picked, m.at);
    });
  });

  // Planner statistics as while a queue holds a burst. graphile-worker deletes
  // a job when it completes; an autovacuum or autoanalyze that lands between
  // bursts records an empty table, and its batch fetch then runs 10–20×
  // slower (measured here: 650–1,900 instead of 12,000–13,000 jobs/s) until
  // the next one. Which state a repeat met depended on autovacuum's timing;
  // the bench measures graphile-worker (tuned), the configuration the ratios
  // are taken against, in its good state every time: before each repeat,
  // statistics of a table holding a burst, autovacuum off for that table so
  // they stay. (Its defaults, one job per fetch, plan worse with them: 130–150
  // instead of 250–800 jobs/s; that configuration is left to autovacuum.)
  const burstStatistics = async () => {
    if (!config.burstStatistics) return;
    await sql`alter table graphile_worker._private_jobs set (autovacuum_enabled = false)`;
    await sql`vacuum graphile_worker._private_jobs`;
    await sql`select graphile_worker.add_jobs(array(
      select json_populate_record(null::graphile_worker.job_spec,
               json_build_object('identifier', ${QUEUE}::text, 'payload', '{}'::json, 'run_at', now() + interval '1 day'))
        from generate_series(1, ${sizes.throughputEvents}::int)))`;
    await sql`analyze graphile_worker._private_jobs`;
    await sql`delete from graphile_worker._private_jobs`;
  };

  // The producer side, in this process; the worker created the schema.
  let graphile: WorkerUtils | undefined;
  let boss: PgBoss | undefined;
  if (config.kind === 'graphile') {
    graphile = await makeWorkerUtils({ connectionString: url, logger: new Logger(() => () => {}) });
  } else {
    boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, createSchema: false, migrate: false });
    boss.on('error', (err) => console.error(`pg-boss (producer): ${err}`));
    await boss.start();
  }
  const addChunk = async (payloads: Array<Record<string, number>>) => {
    if (graphile) await graphile.addJobs(payloads.map((payload) => ({ identifier: QUEUE, payload })));
    else await boss!.insert(QUEUE, payloads.map((data) => ({ data })));
  };
  const addOne = async (payload: Record<string, number>) => {
    if (graphile) await graphile.addJob(QUEUE, payload);
    else await boss!.send(QUEUE, payload);
  };
  // What is left to do: graphile deletes a job once it completed; pg-boss keeps it, state 'completed'.
  const remaining = async () => {
    const [{ n }] = config.kind === 'graphile'
      ? await sql`select count(*)::int as n from graphile_worker._private_jobs`
      : await sql`select count(*)::int as n from pgboss.job where name = ${QUEUE} and state <> 'completed'`;
    return n as number;
  };

  return {
    config,
    async throughput(n) {
      const chunks = inChunks(n, (i) => ({ x: i, y: 1 }));
      if (boss) await sql`delete from pgboss.job where name = ${QUEUE} and state = 'completed'`;
      await burstStatistics();
      const started = performance.now();
      for (const chunk of chunks) await addChunk(chunk);
      const enqueued = performance.now();
      await until(async () => (await remaining()) === 0, 300_000, async () => `${config.label}: ${await remaining()} of ${n} left`);
      const done = performance.now();
      return { enqueue: n / ((enqueued - started) / 1000), processed: n / ((done - started) / 1000) };
    },
    async pickup(samples) {
      const latencies: number[] = [];
      for (let i = 0; i < samples; i++) {
        await gap();
        const p = -(i + 1); // negative: a pickup sample, not a throughput job
        await addOne({ p });
        const committed = wallMs();
        await until(async () => picked.has(p), 10_000, () => `${config.label}: pickup sample ${i} never started`, 1);
        latencies.push(picked.get(p)! - committed);
      }
      return latencies;
    },
    async stop() {
      await graphile?.release();
      await boss?.stop({ graceful: false });
      child.send('stop');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await sql.end();
    },
  };
}
