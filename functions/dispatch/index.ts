// The only file that touches Deno and the platform: reads the environment,
// measures this worker's budgets, and serves the app.
import process from 'node:process';
import { authConfigFromEnv, secretKeyOf } from '../../src/shared/auth.ts';
import { connect, EVENTS_CHANNEL, queryUrl } from '../../src/shared/db.ts';
import { createApp } from './app.ts';
import { codeHandlers } from './code-handlers.ts';
import { createDispatcher } from './dispatcher.ts';
import { createWorkerBudget } from './worker-budget.ts';

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
/** Optional settings (function secrets; names may not start with SUPABASE_). */
const optional = (name: string) => (Deno.env.get(name) ? Number(Deno.env.get(name)) : undefined);

/** CPU ms of the thread this code runs on (the isolate's), from /proc; throws where it cannot be read. */
function threadCpuMs(): number {
  const stat = Deno.readTextFileSync('/proc/thread-self/stat');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ ticks
}

/**
 * CPU ms so far, as the platform counts it: the isolate thread's (hosted: a
 * CLOCK_THREAD_CPUTIME_ID timer; V8's compiler and GC threads are not
 * counted) where the worker may read /proc (the local platform); else the
 * whole process's, process.cpuUsage(), which is more than the platform
 * counts, so the worker stops early, never late. Chosen once, at load.
 */
const cpuNowMs: () => number = (() => {
  try {
    threadCpuMs();
    return threadCpuMs;
  } catch {
    return () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
  }
})();

// The worker's budgets count from its first request, as the platform's do
// (booting is not counted); until then, from module evaluation.
let startedAt = Date.now();
let cpuAtStart = cpuNowMs();
let serving = false;

/**
 * CPU ms this worker used since it started. Where the process holds several
 * isolates, a reading above the wall-clock time elapsed cannot be this
 * isolate's and is ignored.
 */
function cpuUsedMs(): number | null {
  const ms = cpuNowMs() - cpuAtStart;
  return ms > (Date.now() - startedAt) * 1.5 + 50 ? null : ms;
}

const auth = authConfigFromEnv((name) => Deno.env.get(name));
// Queries: a pool of 3 (claim, settle and a heartbeat can overlap), through
// the pooler when one is set. LISTEN: postgres.js keeps one more connection
// of its own for it, always the direct one (the pooler cannot LISTEN).
const directUrl = env('SUPABASE_DB_URL');
const sql = connect(queryUrl((name) => Deno.env.get(name)), { max: 3, name: 'supaqueue-dispatch' });
const listener = Deno.env.get('QUEUE_DB_URL') ? connect(directUrl, { max: 1, name: 'supaqueue-dispatch-listen' }) : sql;

const budget = createWorkerBudget({
  startedAt: () => startedAt,
  cpuUsedMs,
  wallClockMs: optional('QUEUE_WORKER_WALL_CLOCK_MS'),
  cpuSoftLimitMs: optional('QUEUE_WORKER_CPU_MS'),
  memoryLimitMb: optional('QUEUE_WORKER_MEMORY_MB'),
  // What the platform's memory limit counts: the isolate's used heap and
  // external memory, not the process's RSS (several isolates share a process
  // there; V8 also keeps heap it has grown, RSS, long after the data is gone).
  memoryUsedMb: () => {
    const m = Deno.memoryUsage();
    return (m.heapUsed + m.external) / 2 ** 20;
  },
});

const dispatcher = createDispatcher({
  sql,
  budget,
  heartbeatMs: optional('QUEUE_HEARTBEAT_MS'),
  drain: { idleMs: optional('QUEUE_DRAIN_IDLE_MS'), maxInFlight: optional('QUEUE_DRAIN_IN_FLIGHT'), claimSize: optional('QUEUE_DRAIN_CLAIM') },
  listen: async (onNotify) => {
    const { unlisten } = await listener.listen(EVENTS_CHANNEL, onNotify);
    return unlisten;
  },
  run: {
    codeHandlers,
    functionsUrl: `${env('SUPABASE_URL')}/functions/v1`,
    secretKey: secretKeyOf(auth),
    fetch,
  },
});

// The platform retires a worker silently (the budget above notices); it
// sends beforeunload only shortly before it stops the worker: at 90 % of the
// hard CPU limit, the memory limit or the wall clock, or when it is shutting
// down. Stop claiming, give what runs the time that is left, then release
// the rest so it runs again at once instead of waiting for its lease.
const GRACE_MS: Record<string, number> = { cpu: 300, memory: 300, wall_clock: 10_000, termination: 5000 };
addEventListener('beforeunload', (event) => {
  const reason = String((event as CustomEvent<{ reason?: string }>).detail?.reason ?? 'termination');
  if (reason === 'early_drop') return; // idle: nothing runs
  void dispatcher.retire(reason, { graceMs: GRACE_MS[reason] ?? 1000 });
});

// deno-lint-ignore no-explicit-any
const runtime = (globalThis as any).EdgeRuntime as { waitUntil(p: Promise<unknown>): void } | undefined;

const app = createApp({
  dispatcher,
  auth,
  waitUntil: (work) => (runtime ? runtime.waitUntil(work) : void work),
});

Deno.serve((request) => {
  if (!serving) {
    serving = true;
    startedAt = Date.now();
    cpuAtStart = cpuNowMs();
  }
  return app.fetch(request);
});
