// The attempts one dispatch worker is running: takes claimed rows, confirms
// them with a first heartbeat (the delivery confirmation: an attempt whose
// lease is already gone is dropped before its handler starts), runs them,
// keeps their leases alive with heartbeats (which also deliver
// cancellations), and records outcomes with settle() as they arrive: one
// settle at a time, each taking every outcome that finished meanwhile.
import { heartbeat, release, settle, type Claimed, type Outcome, type Sql } from '../../src/shared/db.ts';
import { runEvent, type RunDeps, type StopReason } from './run-event.ts';

export interface RunnerOptions {
  sql: Sql;
  run: RunDeps;
  /** How often leases are extended; must be well under queue._lease() (30 s). (Default: 10000) */
  heartbeatMs?: number;
  /** Called when an attempt finishes or outcomes were settled: room to claim again. (Default: none) */
  onChange?: () => void;
  /**
   * Most handlers running at once in this worker; attempts beyond it wait
   * their turn (their leases kept by the heartbeats) so that a worker's
   * memory stays bounded whatever batches it is sent (the dispatcher's in-flight bound).
   */
  maxRunning: number;
  log?: (line: string) => void;
}

export interface Runner {
  /** Attempts started and not yet settled. */
  readonly inFlight: number;
  /**
   * Confirms and starts `rows`; resolves once their handlers started (or the
   * rows were dropped as gone). `delivered`: claimed by this dispatcher with
   * claim's `delivered`, so there is nothing to confirm.
   */
  start(rows: Claimed[], opts?: { delivered?: boolean }): Promise<number>;
  /** Waits for every started attempt and records all outcomes. */
  idle(): Promise<void>;
  /** Hands back every attempt still running (the worker is shutting down); their handlers are stopped. */
  releaseAll(): Promise<number>;
  readonly settled: number;
  readonly dropped: number;
}

export function createRunner(opts: RunnerOptions): Runner {
  const { sql } = opts;
  const log = opts.log ?? ((line: string) => console.error(line));
  const attempts = new Map<number, { stop: AbortController; done: Promise<void> }>();
  const { maxRunning } = opts;
  let running = 0;
  const turns: Array<() => void> = [];
  /** Resolves when a handler may start: at most maxRunning at once, first come first served. */
  const turn = () => (running < maxRunning ? (running++, Promise.resolve()) : new Promise<void>((r) => turns.push(r)));
  const done = () => {
    const next = turns.shift();
    if (next) next();
    else running--;
  };
  const pending: Outcome[] = [];
  let settledCount = 0;
  let dropped = 0;
  let starting = 0;
  let flushing: Promise<void> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  /** One settle at a time; outcomes arriving meanwhile go with the next. A failed settle is retried, then left to lease expiry. */
  const flush = (): Promise<void> => (flushing ??= (async () => {
    while (pending.length > 0) {
      const batch = pending.splice(0);
      for (let attempt = 1; ; attempt++) {
        try {
          settledCount += (await settle(sql, batch)).length;
          opts.onChange?.();
          break;
        } catch (err) {
          if (attempt === 3) {
            dropped += batch.length;
            log(`dispatch: could not record ${batch.length} outcome(s); their leases will expire and they will be retried: ${err}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    }
  })().finally(() => { flushing = null; }));

  const beat = async () => {
    if (attempts.size === 0) return;
    try {
      const statuses = await heartbeat(sql, [...attempts.keys()]);
      for (const [runId, status] of statuses) {
        if (status !== 'running') attempts.get(runId)?.stop.abort(status satisfies StopReason);
      }
    } catch (err) {
      log(`dispatch: heartbeat failed, will retry: ${err}`);
    }
  };
  // Heartbeats only while something runs: an idle worker spends no CPU on them.
  const syncTimer = () => {
    if (attempts.size > 0 && !timer) timer = setInterval(beat, opts.heartbeatMs ?? 10_000);
    if (attempts.size === 0 && timer) { clearInterval(timer); timer = undefined; }
  };

  // A macrotask later, not at once: the attempts of one claimed batch that
  // finish in the same turn (code handlers) then go in one settle, instead
  // of the first alone and the rest after its round trip.
  let flushQueued = false;
  const flushSoon = () => {
    if (flushQueued) return;
    flushQueued = true;
    setTimeout(() => { flushQueued = false; void flush(); }, 0);
  };

  const finishOne = (runId: number, outcome: Outcome | null) => {
    attempts.delete(runId);
    syncTimer();
    if (outcome) {
      pending.push(outcome);
      flushSoon();
    }
    opts.onChange?.();
  };

  return {
    get inFlight() { return attempts.size + starting + pending.length; },
    get settled() { return settledCount; },
    get dropped() { return dropped; },

    async start(rows, { delivered = false } = {}) {
      if (rows.length === 0) return 0;
      starting += rows.length;
      let live: Map<number, string>;
      try {
        live = delivered
          ? new Map(rows.map((r) => [r.run_id, 'running']))
          : await heartbeat(sql, rows.map((r) => r.run_id));
      } finally {
        starting -= rows.length;
      }
      let started = 0;
      for (const row of rows) {
        const status = live.get(row.run_id);
        // Cancelled between the claim and this first beat: it never starts, and
        // it is recorded cancelled now, not when its lease runs out (30 s later).
        if (status === 'cancelled') {
          finishOne(row.run_id, { run_id: row.run_id, outcome: 'cancelled', error: { message: 'The event was cancelled before this attempt started.' } });
        }
        if (status !== 'running') continue; // reclaimed (or cancelled) before it started
        const stop = new AbortController();
        const finished = turn()
          // Stopped while waiting its turn: runEvent answers at once (cancelled, or null when gone).
          .then(() => runEvent(row, opts.run, stop.signal))
          .finally(done)
          .then((outcome) => finishOne(row.run_id, outcome));
        attempts.set(row.run_id, { stop, done: finished });
        started++;
      }
      syncTimer();
      return started;
    },

    async idle() {
      while (attempts.size > 0) await Promise.all([...attempts.values()].map((a) => a.done));
      await flush();
      while (flushing) await flushing;
    },

    async releaseAll() {
      const runIds = [...attempts.keys()];
      if (runIds.length === 0) return 0;
      for (const a of attempts.values()) a.stop.abort('gone' satisfies StopReason);
      await flush();
      return release(sql, runIds);
    },
  };
}
