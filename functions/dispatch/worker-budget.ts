// The budgets of the edge-function worker this code runs in. Hosted
// Supabase budgets CPU time and wall clock per worker (isolate), shared by
// every request it serves: at the soft CPU limit or half its wall clock the
// worker is retired (it takes no new requests), at the hard CPU limit or its
// full wall clock it is terminated, and `beforeunload` warns shortly before.
// A drainer claims only while the worker has room, so what it claimed can
// finish and be settled before the worker is terminated.

export interface BudgetOptions {
  /** The worker's wall clock in ms. (Default: 150000, the Free plan; paid plans: 400000) */
  wallClockMs?: number;
  /** The worker's soft CPU limit in ms: the platform retires the worker there. (Default: 1000, as hosted) */
  cpuSoftLimitMs?: number;
  /** CPU ms the worker has used since it started serving, or null where that cannot be measured. (Default: () => null) */
  cpuUsedMs?: () => number | null;
  /** When the worker started serving, in ms since the epoch. (Default: when this budget was made) */
  startedAt?: () => number;
  /** The worker's memory limit in MB. (Default: 256, as hosted) */
  memoryLimitMb?: number;
  /** MB the worker holds now, or null where that cannot be measured. (Default: () => null) */
  memoryUsedMb?: () => number | null;
}

/**
 * How much a drainer may claim now: 'full' within budget; 'taper' close to
 * the soft limits (small batches, so what is in flight when the worker is
 * retired is cheap to finish); 'overtime' just past the soft CPU limit or
 * half the wall clock, while its successor starts (see OVERTIME); 'none'
 * once the worker is out of budget.
 */
export type ClaimRoom = 'full' | 'taper' | 'overtime' | 'none';

export interface WorkerBudget {
  /** True once the worker is out of budget: by the platform's word (beforeunload) or by its own measure. */
  readonly retiring: boolean;
  room(): ClaimRoom;
  /** The platform is about to stop the worker (its beforeunload event). */
  retire(reason: string): void;
  /** Resolves when the worker is first out of budget, with the reason. */
  readonly retired: Promise<string>;
  /** Resolves when the platform warned that it is stopping the worker. */
  readonly platformRetired: Promise<string>;
  /**
   * A request reached this worker after its own measure said it was out of
   * budget: the platform has not retired it, so the measure over-counts.
   * Claiming goes on in small batches until the platform says otherwise.
   */
  stillServing(): void;
  /** ms until the worker should retire by its wall clock (half the wall clock). */
  msUntilRetire(): number;
  cpuUsedMs(): number | null;
  /** CPU ms kept for finishing what is in flight once tapering: the last tenth of the soft limit. */
  readonly reserveMs: number;
  /** The successor is serving (or could not be started): overtime is over, room() says 'none' from now on. */
  endOvertime(): void;
}

/** Close to the soft CPU limit: the last 10 % is kept for finishing and settling. */
const TAPER_AT = 0.9;
/** Share of the memory limit past which a worker is retired (as the platform retires it at half). */
const MEMORY_RETIRE_AT = 0.5;
/**
 * Overtime: once its own measure of CPU or wall clock has run out, the
 * platform has retired the worker (new requests go to a successor), but it
 * terminates the worker only at the hard CPU limit (twice the soft one on
 * hosted) or the full wall clock. So the drainer kicks its successor and
 * claims on (at the taper's size) until the successor serves, instead of
 * leaving the queue idle while a new worker boots: at most a fifth of the
 * soft CPU limit more, for at most 2 s. Through the bench's throughput path a
 * hand-over without overtime left about 0.5 s with nothing claimed. Not for
 * memory: past half the limit, claiming more only brings the hard limit closer.
 */
const OVERTIME = { cpuShare: 0.2, maxMs: 2000 } as const;

export function createWorkerBudget(opts: BudgetOptions = {}): WorkerBudget {
  const wallClockMs = opts.wallClockMs ?? 150_000;
  const cpuSoftLimitMs = opts.cpuSoftLimitMs ?? 1000;
  const made = Date.now();
  const startedAt = opts.startedAt ?? (() => made);
  const cpu = opts.cpuUsedMs ?? (() => null);
  const memory = opts.memoryUsedMb ?? (() => null);
  const memoryLimitMb = opts.memoryLimitMb ?? 256;
  let reason: string | null = null;
  let spentAt = 0;
  let platformSaid = false;
  let overCounted = false;
  let overtimeOver = false;
  let resolveRetired!: (reason: string) => void;
  const retired = new Promise<string>((r) => (resolveRetired = r));
  let resolvePlatform!: (reason: string) => void;
  const platformRetired = new Promise<string>((r) => (resolvePlatform = r));

  const outOfBudget = (why: string) => {
    if (reason === null) {
      reason = why;
      spentAt = Date.now();
      resolveRetired(why);
    }
  };
  const inOvertime = (used: number | null) =>
    !overtimeOver && reason !== 'memory'
    && Date.now() - spentAt < OVERTIME.maxMs
    && (used === null || used < cpuSoftLimitMs * (1 + OVERTIME.cpuShare));
  const msUntilRetire = () => startedAt() + wallClockMs / 2 - Date.now();

  return {
    get retiring() { return reason !== null && (platformSaid || !overCounted); },
    retired,
    platformRetired,
    msUntilRetire,
    cpuUsedMs: cpu,
    reserveMs: cpuSoftLimitMs - cpuSoftLimitMs * TAPER_AT,
    retire(why) {
      platformSaid = true;
      outOfBudget(why);
      resolvePlatform(why);
    },
    stillServing() {
      if (!platformSaid) overCounted = true;
    },
    endOvertime() {
      overtimeOver = true;
    },
    room() {
      if (platformSaid) return 'none';
      const used = cpu();
      const mb = memory();
      const spent = msUntilRetire() <= 0 ? 'wall_clock'
        : used !== null && used >= cpuSoftLimitMs ? 'cpu'
        : mb !== null && mb >= memoryLimitMb * MEMORY_RETIRE_AT ? 'memory'
        : null;
      if (spent) {
        outOfBudget(spent);
        return overCounted ? 'taper' : inOvertime(used) ? 'overtime' : 'none';
      }
      const close = (used !== null && used >= cpuSoftLimitMs * TAPER_AT) || (mb !== null && mb >= memoryLimitMb * MEMORY_RETIRE_AT * TAPER_AT);
      return close ? 'taper' : 'full';
    },
  };
}

/**
 * Most attempts in flight while tapering: as many as the reserve can finish
 * at the CPU per attempt this worker has spent so far (claims and settles
 * included), within [floor, ceiling]; `floor` until a measure exists. Code
 * handlers cost tens of microseconds each, so they taper little (a fixed
 * 10 made the last tenth of a worker's CPU run at a fifth of the rate);
 * HTTP handlers with large answers cost more, and taper more.
 */
export function taperCap(budget: WorkerBudget, finished: number, floor: number, ceiling: number): number {
  const used = budget.cpuUsedMs();
  if (used === null || used <= 0 || finished < floor) return floor;
  return Math.max(floor, Math.min(ceiling, Math.floor(budget.reserveMs / (used / finished))));
}

/**
 * Most attempts this worker may have in flight now, asking the budget once:
 * `ceiling` with room, taperCap's while tapering or in overtime, 0 once out
 * of budget. The drainer's claims and the tick's batches both go by it.
 */
export function inFlightCap(budget: WorkerBudget, finished: number, floor: number, ceiling: number): number {
  const room = budget.room();
  return room === 'none' ? 0 : room === 'full' ? ceiling : taperCap(budget, finished, floor, ceiling);
}
