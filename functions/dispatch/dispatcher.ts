// What one dispatch worker runs: the attempts of tick batches and of its
// drainer, through one runner (one heartbeat, one settle stream), within
// the worker's budgets. There is one dispatcher per worker; index.ts makes
// it and hands the platform's beforeunload to retire().
import { release, type Claimed, type Sql } from '../../src/shared/db.ts';
import { createDrainer, IN_FLIGHT, type DrainOptions, type DrainResult, type Listen } from './drain.ts';
import type { RunDeps } from './run-event.ts';
import { createRunner } from './runner.ts';
import { inFlightCap, type WorkerBudget } from './worker-budget.ts';

export interface DispatcherDeps {
  sql: Sql;
  run: RunDeps;
  budget: WorkerBudget;
  /** LISTEN for the insert trigger's notifications (Default: none, timers only). */
  listen?: Listen;
  /** Lease heartbeat period in ms (Default: 10000) */
  heartbeatMs?: number;
  drain?: DrainOptions;
  log?: (line: string) => void;
}

export interface Dispatcher {
  /** Runs a batch the tick claimed, as much as the worker has room for; resolves when its attempts are settled. */
  runBatch(rows: Claimed[]): Promise<{ started: number; returned: number }>;
  /** Starts the drainer, or wakes the one already running; resolves when it stops. */
  drain(): Promise<DrainResult>;
  /**
   * The worker is retiring (beforeunload): stop claiming; what runs
   * finishes within the worker's remaining budget. On `shutdown` (the
   * worker is about to be terminated) attempts still running after
   * `graceMs` are released so they run again at once.
   */
  retire(reason: string, shutdown?: { graceMs: number }): Promise<void>;
  /** Resolves when every attempt started so far is settled. */
  idle(): Promise<void>;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const log = deps.log ?? ((line: string) => console.error(line));
  const maxInFlight = deps.drain?.maxInFlight ?? IN_FLIGHT.max;
  const taper = deps.drain?.taperSize ?? IN_FLIGHT.taper;
  let wake = () => {};
  const runner = createRunner({ sql: deps.sql, run: deps.run, heartbeatMs: deps.heartbeatMs, maxRunning: Math.min(maxInFlight, IN_FLIGHT.running), log, onChange: () => wake() });
  const handOver = async () => {
    const res = await deps.run.fetch(`${deps.run.functionsUrl}/dispatch/drain`, {
      method: 'POST',
      headers: { apikey: deps.run.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'handover' }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (res.status !== 202) throw new Error(`dispatch/drain answered ${res.status}`);
  };
  const drainer = createDrainer({ sql: deps.sql, runner, budget: deps.budget, listen: deps.listen, handOver, log }, deps.drain);
  wake = drainer.wake;
  let draining: Promise<DrainResult> | null = null;
  let again = false;

  return {
    async runBatch(rows) {
      // What this worker has no room for goes back to the queue at once,
      // undelivered and so unspent; a drainer (this one or a fresh worker's)
      // claims it within its own budget.
      const fits = Math.max(0, inFlightCap(deps.budget, runner.settled, taper, maxInFlight) - runner.inFlight);
      const [now, back] = [rows.slice(0, fits), rows.slice(fits)];
      if (back.length) {
        await release(deps.sql, back.map((r) => r.run_id)).catch((err) =>
          log(`dispatch: could not hand back ${back.length} attempt(s) (their leases will expire, unspent): ${err}`));
      }
      const started = await runner.start(now);
      if (back.length) await handOver().catch(() => {});
      await runner.idle();
      return { started, returned: back.length };
    },

    drain() {
      // A request that reaches this worker means the platform still routes to it.
      if (deps.budget.retiring) deps.budget.stillServing();
      if (draining) {
        // A drainer that has stopped claiming is finishing, or handing over
        // (a hand-over can land on this very worker when its own measure ran
        // out before the platform's): run again once it is done, or the
        // request would be answered and nothing drain.
        if (drainer.claiming) drainer.wake();
        else again = true;
        return draining;
      }
      const runs = async () => {
        let result: DrainResult;
        do {
          again = false;
          result = await drainer.run();
        } while (again && deps.budget.room() !== 'none');
        return result;
      };
      return (draining = runs().finally(() => { draining = null; }));
    },

    async retire(reason, shutdown) {
      deps.budget.retire(reason);
      if (!shutdown) return;
      const settled = runner.idle().then(() => true);
      const graceOver = new Promise<false>((r) => setTimeout(() => r(false), shutdown.graceMs));
      if (!(await Promise.race([settled, graceOver]))) {
        const released = await runner.releaseAll().catch((err) => {
          log(`dispatch: could not release running attempts (their leases will expire): ${err}`);
          return 0;
        });
        if (released) log(`dispatch: released ${released} running attempt(s) at shutdown`);
      }
    },

    idle: () => runner.idle(),
  };
}
