// The attempts one dispatch invocation is running: starts them, keeps their
// leases alive with heartbeats (which also deliver cancellations), and
// records their outcomes with settle().
import { heartbeat, settle, type ClaimedEvent, type Outcome, type Sql } from '../../src/shared/db.ts';
import { runEvent, type HandlerTarget, type RunDeps, type StopReason } from './run-event.ts';

export interface RunnerOptions {
  sql: Sql;
  run: RunDeps;
  /** How often leases are extended; must be well under queue._lease() (30 s). (Default: 10000) */
  heartbeatMs?: number;
  /** Settle outcomes as they arrive, this often; null settles once, in idle(). (Default: null) */
  settleEveryMs?: number | null;
  log?: (line: string) => void;
}

interface Attempt {
  stop: AbortController;
  done: Promise<void>;
}

export interface Runner {
  readonly inFlight: number;
  /** Starts each event; `handlers` maps event names to their handler. */
  start(events: ClaimedEvent[], handlers: Record<string, HandlerTarget>): void;
  /** Waits for every started attempt and records all outcomes. */
  idle(): Promise<{ settled: Awaited<ReturnType<typeof settle>>; dropped: number }>;
}

export function createRunner(opts: RunnerOptions): Runner {
  const { sql } = opts;
  const log = opts.log ?? ((line: string) => console.error(line));
  const attempts = new Map<number, Attempt>();
  const pending: Outcome[] = [];
  const settled: Awaited<ReturnType<typeof settle>> = [];
  let dropped = 0;
  let flushing: Promise<void> = Promise.resolve();

  /** Settles what is pending; a failed settle is retried, then its outcomes are left to lease expiry. */
  const flush = () => {
    flushing = flushing.then(async () => {
      if (pending.length === 0) return;
      const batch = pending.splice(0);
      for (let attempt = 1; ; attempt++) {
        try {
          settled.push(...(await settle(sql, batch)));
          return;
        } catch (err) {
          if (attempt === 3) {
            dropped += batch.length;
            log(`dispatch: could not record ${batch.length} outcome(s); their leases will expire and they will be retried: ${err}`);
            return;
          }
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    });
    return flushing;
  };

  const beat = async () => {
    if (attempts.size === 0) return;
    try {
      const statuses = await heartbeat(sql, [...attempts.keys()]);
      for (const [runId, status] of statuses) {
        if (status !== 'running') attempts.get(runId)?.stop.abort(status === 'cancel' ? 'cancelled' : 'gone' satisfies StopReason);
      }
    } catch (err) {
      log(`dispatch: heartbeat failed, will retry: ${err}`);
    }
  };
  const heartbeatTimer = setInterval(beat, opts.heartbeatMs ?? 10_000);
  const settleTimer = opts.settleEveryMs ? setInterval(flush, opts.settleEveryMs) : undefined;

  return {
    get inFlight() { return attempts.size; },

    start(events, handlers) {
      for (const event of events) {
        const stop = new AbortController();
        const done = runEvent(event, handlers[event.name], opts.run, stop.signal).then((outcome) => {
          attempts.delete(event.run_id);
          if (outcome) pending.push(outcome);
        });
        attempts.set(event.run_id, { stop, done });
      }
    },

    async idle() {
      while (attempts.size > 0) await Promise.all([...attempts.values()].map((a) => a.done));
      clearInterval(heartbeatTimer);
      clearInterval(settleTimer);
      await flush();
      return { settled, dropped };
    },
  };
}
