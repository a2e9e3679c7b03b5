// The drainer: what a kick starts. It claims due events itself and runs them
// as they come, within its worker's budgets (worker-budget.ts). It waits for
// new work without polling: the insert trigger NOTIFYs channel queue_events
// at commit (LISTEN on the direct connection), and a timer wakes it when the
// next scheduled event comes due. It stops claiming when the worker retires
// (beforeunload) or its budgets run out, finishes and settles what it
// claimed, and hands over with a kick if work remains, so a fresh worker
// carries on. See supabase/migrations/*_queue_kick.sql for when kicks are sent.
import { claim, claimWhileKicksOn, drainAlive, drainStop, kickIfDue, nextDueAt, type Sql } from '../../src/shared/db.ts';
import type { Runner } from './runner.ts';
import { inFlightCap, type WorkerBudget } from './worker-budget.ts';

export interface DrainOptions {
  /** Most attempts held at once, claimed and not yet settled; at most IN_FLIGHT.running of them run at once. (Default: 1000) */
  maxInFlight?: number;
  /** Events per claim. (Default: 500) */
  claimSize?: number;
  /** Fewest in flight and per claim once the worker is close to its limits (see taperCap). (Default: 10) */
  taperSize?: number;
  /** How long to linger with nothing to do before stopping, in ms. (Default: 30000) */
  idleMs?: number;
  /** How often the drainer says it is alive (queue.drain_alive), in ms; kicks are debounced meanwhile. (Default: 3000) */
  aliveMs?: number;
}

// Measured through the bench's throughput path (20,000 events, 4 repeats,
// code handlers): 500 in flight / 250 per claim ran 10,100-12,500 events/s at
// 137-170 us of machine CPU per event, 1,000 / 500 ran 12,800-13,800 at
// 127-139 us (fewer claims and settles for the same events; the claim of the
// next batch still overlaps the settle of the last). Handlers running at once
// stay at 500 (`running`): a slow url handler sees no more requests at once
// than before; the rest wait their turn in the runner, their leases kept.
/** The in-flight bounds, shared with the dispatcher's tick batches and its runner. */
export const IN_FLIGHT = { max: 1000, claim: 500, running: 500, taper: 10 } as const;

/** How long after its own measure ran out a retiring worker kicks its successor (see handOver). */
const HANDOVER_DELAY_MS = 200;

export interface DrainResult {
  worker: string;
  claimed: number;
  /** Why it stopped: 'idle', 'kicks_off', or the worker's retirement reason. */
  stopped: string;
  /** Whether it kicked a successor because work remained. */
  handedOver: boolean;
  ms: number;
}

/** Subscribes to the insert trigger's notifications; resolves to an unsubscribe. */
export type Listen = (onNotify: () => void) => Promise<() => Promise<void>>;

export interface DrainDeps {
  sql: Sql;
  runner: Runner;
  budget: WorkerBudget;
  listen?: Listen;
  /** Starts a drainer in a fresh worker: a request to dispatch/drain. (Default: a kick through pg_net) */
  handOver?: () => Promise<void>;
  log?: (line: string) => void;
}

/** A sleep that new work (a notification, a finished attempt, retirement) cuts short. */
function createWaker() {
  let wakeUp: (() => void) | null = null;
  let woken = false;
  return {
    wake() { woken = true; wakeUp?.(); },
    /** Sleeps up to `ms`; a wake() before or during the sleep ends it. */
    wait(ms: number): Promise<void> {
      if (woken) { woken = false; return Promise.resolve(); }
      return new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); wakeUp = null; woken = false; resolve(); };
        const timer = setTimeout(done, Math.max(0, ms));
        wakeUp = done;
      });
    },
  };
}

export interface Drainer {
  /** Runs until there is nothing to do, kicks are off, or the worker retires. */
  run(): Promise<DrainResult>;
  /** New work may be due: claim now. */
  wake(): void;
  /** True while run() claims; false once it has stopped to finish, settle and hand over. */
  readonly claiming: boolean;
}

export function createDrainer(deps: DrainDeps, opts: DrainOptions = {}): Drainer {
  const { sql, runner, budget } = deps;
  const log = deps.log ?? ((line: string) => console.error(line));
  const maxInFlight = opts.maxInFlight ?? IN_FLIGHT.max;
  const claimSize = opts.claimSize ?? IN_FLIGHT.claim;
  const taperSize = opts.taperSize ?? IN_FLIGHT.taper;
  const idleMs = opts.idleMs ?? 30_000;
  const aliveMs = opts.aliveMs ?? 3000;
  const waker = createWaker();
  void budget.retired.then(() => waker.wake());
  let claiming = false;

  async function run(): Promise<DrainResult> {
    const started = Date.now();
    const worker = `drain:${crypto.randomUUID()}`;
    let claimed = 0;
    let lastWork = Date.now();
    let lastAlive = 0;
    let blocked = 0; // consecutive looks that found queued events no one may claim yet (limits)
    let stopped = 'idle';
    const unlisten = await deps.listen?.(() => waker.wake()).catch((err) => {
      log(`dispatch/drain: LISTEN failed, waking on timers only: ${err}`);
      return undefined;
    });

    /**
     * Claims what fits; returns how many were claimed and whether that
     * filled the request. `markedStopped`: this drainer has marked itself
     * stopped (its last look, or handing over), so it claims only while kicks
     * are on; `kicksOff` tells it they were not.
     */
    const take = async (markedStopped = false): Promise<{ got: number; full: boolean; kicksOff?: boolean }> => {
      const want = Math.min(inFlightCap(budget, runner.settled, taperSize, maxInFlight) - runner.inFlight, claimSize);
      if (want <= 0) return { got: 0, full: false };
      // Claimed to run here: delivered at once, no first heartbeat.
      const rows = markedStopped ? await claimWhileKicksOn(sql, worker, want) : await claim(sql, worker, want, { delivered: true });
      if (rows === null) return { got: 0, full: false, kicksOff: true };
      claimed += rows.length;
      if (rows.length) await runner.start(rows, { delivered: true });
      return { got: rows.length, full: rows.length === want };
    };

    /**
     * Kicks a successor once the platform has retired this worker, so that
     * the kick is routed to a fresh one: its own word (beforeunload), or a
     * while after this worker's own measure ran out (the platform measures
     * the same counters; the local one samples them every 50 ms). A kick
     * that lands here anyway is served here (dispatcher.drain: stillServing).
     */
    const handOver = async (stoppedAt: number): Promise<boolean> => {
      await Promise.race([budget.platformRetired, new Promise((r) => setTimeout(r, stoppedAt + HANDOVER_DELAY_MS - Date.now()))]);
      try {
        // Sent directly, not through pg_net, whose batch may be held up by
        // someone else's slow request; the kick's debounce is taken either way.
        const kicked = await kickIfDue(sql, !deps.handOver);
        if (kicked) await deps.handOver?.();
        return kicked;
      } catch (err) {
        log(`dispatch/drain: could not hand over (the next tick will): ${err}`);
        return false;
      }
    };
    let stoppedClaiming = false;
    let handing: Promise<boolean> | null = null;
    /**
     * The hand-over in overtime (worker-budget.ts, OVERTIME): marks this
     * drainer stopped so that the kick is taken, kicks, and ends the overtime
     * once the successor answered. A kick that came back to this worker (the
     * platform has not retired it) leaves the hand-over to when claiming stops.
     */
    const handOverInOvertime = async (): Promise<boolean> => {
      const at = Date.now();
      let kicked = false;
      try {
        await drainStop(sql);
        kicked = await handOver(at);
      } catch (err) {
        log(`dispatch/drain: could not hand over in overtime: ${err}`);
      }
      budget.endOvertime();
      if (!budget.retiring) handing = null;
      waker.wake();
      return kicked;
    };

    let failures = 0;
    claiming = true;
    try {
      for (;;) {
        try {
          // Not while handing over: it would mark this drainer active between
          // its drain_stop and the kick, and the kick would not be sent.
          if (!handing && Date.now() - lastAlive >= aliveMs) {
            if (!(await drainAlive(sql, 10))) { stopped = 'kicks_off'; break; }
            lastAlive = Date.now();
          }
          const room = budget.room();
          if (room === 'none') { stopped = `retired:${await budget.retired}`; break; }
          if (room === 'overtime') handing ??= handOverInOvertime();
          const { got, full, kicksOff } = await take(handing !== null);
          if (kicksOff) { stopped = 'kicks_off'; break; }
          failures = 0;
          if (got > 0) { lastWork = Date.now(); blocked = 0; }
          if (full) continue; // more may be due right now
          if (runner.inFlight > 0) lastWork = Date.now();

          const next = await nextDueAt(sql);
          const dueIn = next === null ? Infinity : next.getTime() - Date.now();
          // Due now but nothing claimed: held by a concurrency or rate limit. Look again soon, backing off.
          const wait = dueIn <= 0 && got === 0 ? Math.min(50 * 2 ** blocked++, 500) : dueIn;
          // Idle: nothing due within idleMs, or everything due held by limits on others' attempts.
          if (runner.inFlight === 0 && Date.now() - lastWork >= idleMs && (dueIn > idleMs || blocked > 0)) {
            // Nothing to do for a while. Stop, then look once more: an insert
            // that saw this drainer active has committed by now (drain_stop
            // waits for it) and kicked no one.
            await drainStop(sql);
            const last = await take(true);
            if (last.kicksOff) { stopped = 'kicks_off'; break; }
            if (last.got === 0) break;
            lastAlive = 0;
            lastWork = Date.now();
            continue;
          }
          const untilAlive = aliveMs - (Date.now() - lastAlive);
          // With nothing running, wake when the idle time is up, to stop.
          const untilIdle = runner.inFlight === 0 ? idleMs - (Date.now() - lastWork) + 1 : Infinity;
          // A finished attempt or a settle wakes it too (the dispatcher wires the runner to wake()).
          // In overtime the wall clock may be spent already: the hand-over's end wakes it.
          const untilRetire = room === 'overtime' ? Infinity : budget.msUntilRetire();
          await waker.wait(Math.min(wait, untilAlive, untilIdle, untilRetire));
        } catch (err) {
          // A lost connection or a failover: retry a few times, then give up
          // (the tick and the next kick take over; leases cover what runs).
          if (++failures >= 5) throw err;
          log(`dispatch/drain: ${err}; retrying`);
          await waker.wait(500);
        }
      }
      stoppedClaiming = true;
    } finally {
      claiming = false;
      const stoppedAt = Date.now();
      await unlisten?.().catch(() => {});
      // Whatever happened, let the next insert kick a fresh drainer right away
      // (a hand-over in overtime has done so, and kicked the successor).
      if (!handing) await drainStop(sql).catch(() => {});
      // Out of budget with work left: hand over to a fresh worker, which
      // claims while what is in flight here finishes.
      handing ??= stoppedClaiming && budget.retiring && stopped !== 'kicks_off' ? handOver(stoppedAt) : null;
      await runner.idle();
    }
    const handedOver = (await handing) ?? false;
    return { worker, claimed, stopped, handedOver, ms: Date.now() - started };
  }

  return { run, wake: () => waker.wake(), get claiming() { return claiming; } };
}
