// The budgets of the edge-function worker this code runs in. Hosted
// Supabase budgets CPU time and wall clock per worker (isolate), shared by
// every request it serves: at the soft CPU limit or half its wall clock the
// worker is retired (it takes no new requests and gets `beforeunload`), at
// the hard CPU limit or its full wall clock it is terminated. A drainer
// claims only while the worker has room, so what it claimed can finish and
// be settled before the worker is terminated.

export interface BudgetOptions {
  /** The worker's wall clock in ms. (Default: 150000, the Free plan; paid plans: 400000) */
  wallClockMs?: number;
  /** The worker's soft CPU limit in ms: the platform retires the worker there. (Default: 1000, as hosted) */
  cpuSoftLimitMs?: number;
  /** CPU ms the worker has used since it started, or null where that cannot be measured. (Default: () => null) */
  cpuUsedMs?: () => number | null;
  /** When the worker started, in ms since the epoch. (Default: when this budget was made) */
  startedAt?: number;
}

/**
 * How much a drainer may claim now: 'full' within budget; 'taper' close to
 * the soft CPU limit (small batches, so what is in flight when the worker is
 * retired is cheap to finish); 'none' once the worker is retiring.
 */
export type ClaimRoom = 'full' | 'taper' | 'none';

export interface WorkerBudget {
  /** True once the platform retired the worker (beforeunload) or its budgets ran out. */
  readonly retiring: boolean;
  room(): ClaimRoom;
  /** The platform retired the worker (its beforeunload event). */
  retire(reason: string): void;
  /** Resolves when the worker starts retiring, by the platform's word or by its own budgets. */
  readonly retired: Promise<string>;
  /** Resolves when the platform retired the worker: from then on, requests go to another worker. */
  readonly platformRetired: Promise<string>;
  /** ms until the worker should retire by its wall clock (half the wall clock). */
  msUntilRetire(): number;
  cpuUsedMs(): number | null;
}

/** Close to the soft CPU limit: the last 10 % is kept for finishing and settling. */
const TAPER_AT = 0.9;

export function createWorkerBudget(opts: BudgetOptions = {}): WorkerBudget {
  const wallClockMs = opts.wallClockMs ?? 150_000;
  const cpuSoftLimitMs = opts.cpuSoftLimitMs ?? 1000;
  const startedAt = opts.startedAt ?? Date.now();
  const cpu = opts.cpuUsedMs ?? (() => null);
  let reason: string | null = null;
  let resolveRetired!: (reason: string) => void;
  const retired = new Promise<string>((r) => (resolveRetired = r));
  let resolvePlatform!: (reason: string) => void;
  const platformRetired = new Promise<string>((r) => (resolvePlatform = r));

  const stopClaiming = (why: string) => {
    if (reason !== null) return;
    reason = why;
    resolveRetired(why);
  };
  const retire = (why: string) => {
    stopClaiming(why);
    resolvePlatform(why);
  };
  const msUntilRetire = () => startedAt + wallClockMs / 2 - Date.now();

  return {
    get retiring() { return reason !== null; },
    retired,
    platformRetired,
    retire,
    msUntilRetire,
    cpuUsedMs: cpu,
    room() {
      if (reason !== null) return 'none';
      if (msUntilRetire() <= 0) {
        stopClaiming('wall_clock');
        return 'none';
      }
      const used = cpu();
      if (used !== null && used >= cpuSoftLimitMs) {
        stopClaiming('cpu');
        return 'none';
      }
      return used !== null && used >= cpuSoftLimitMs * TAPER_AT ? 'taper' : 'full';
    },
  };
}
