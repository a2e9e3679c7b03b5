// The only file that touches Deno and the platform: reads the environment,
// measures this worker's budgets, and serves the app.
import process from 'node:process';
import { authConfigFromEnv, secretKeyOf } from '../../src/shared/auth.ts';
import { connect, EVENTS_CHANNEL } from '../../src/shared/db.ts';
import { createApp } from './app.ts';
import { codeHandlers } from './code-handlers.ts';
import { createDispatcher } from './dispatcher.ts';
import { createWorkerBudget } from './worker-budget.ts';

// The worker's clocks start here: module evaluation is the worker's start.
const startedAt = Date.now();
const cpuAtStart = process.cpuUsage();

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
/** Optional settings (function secrets; names may not start with SUPABASE_). */
const optional = (name: string) => (Deno.env.get(name) ? Number(Deno.env.get(name)) : undefined);

/**
 * CPU ms this worker used since it started. process.cpuUsage() counts the
 * whole process: exact where the worker is its own process (the local
 * platform); where it is not (several isolates in one process), a reading
 * above the wall-clock time elapsed cannot be this isolate's and is ignored.
 */
function cpuUsedMs(): number | null {
  const { user, system } = process.cpuUsage(cpuAtStart);
  const ms = (user + system) / 1000;
  return ms > (Date.now() - startedAt) * 1.5 + 50 ? null : ms;
}

const auth = authConfigFromEnv((name) => Deno.env.get(name));
const directUrl = env('SUPABASE_DB_URL');
// Queries may go through Supavisor's transaction pooler (QUEUE_DB_URL); LISTEN needs the direct connection.
const pooledUrl = Deno.env.get('QUEUE_DB_URL');
const sql = connect(pooledUrl ?? directUrl, { max: 3, name: 'supaqueue-dispatch' });
const listener = pooledUrl ? connect(directUrl, { max: 1, name: 'supaqueue-dispatch-listen' }) : sql;

const budget = createWorkerBudget({
  startedAt,
  cpuUsedMs,
  wallClockMs: optional('QUEUE_WORKER_WALL_CLOCK_MS'),
  cpuSoftLimitMs: optional('QUEUE_WORKER_CPU_MS'),
});

const dispatcher = createDispatcher({
  sql,
  budget,
  heartbeatMs: optional('QUEUE_HEARTBEAT_MS'),
  drain: { idleMs: optional('QUEUE_DRAIN_IDLE_MS') },
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

// The platform retires a worker at its soft CPU limit or half its wall
// clock (finish what runs, take nothing new) and warns with beforeunload;
// any other reason means it is about to go: release what still runs.
addEventListener('beforeunload', (event) => {
  const reason = String((event as CustomEvent<{ reason?: string }>).detail?.reason ?? 'beforeunload');
  const retireOnly = /cpu|wall/i.test(reason);
  void dispatcher.retire(reason, retireOnly ? undefined : { graceMs: 2000 });
});

// deno-lint-ignore no-explicit-any
const runtime = (globalThis as any).EdgeRuntime as { waitUntil(p: Promise<unknown>): void } | undefined;

Deno.serve(createApp({
  dispatcher,
  auth,
  waitUntil: (work) => (runtime ? runtime.waitUntil(work) : void work),
}).fetch);
