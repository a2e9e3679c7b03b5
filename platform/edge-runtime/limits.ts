// LOCAL ONLY. The per-worker budgets of hosted Supabase's edge runtime
// ("per_worker" policy) and the answers its gateway gives when one is
// exhausted. Sources (see platform/README.md, "## edge-runtime/"):
//   - supabase.com/docs/guides/functions/limits: 256 MB memory; wall clock
//     150 s (Free) / 400 s (paid); 2 s CPU; request idle timeout 150 s (504).
//   - supabase/edge-runtime .cargo/config.toml and the Supabase CLI's
//     functions main.ts: cpuTimeSoftLimitMs 1000, cpuTimeHardLimitMs 2000,
//     memoryLimitMb 256.
//   - supabase/edge-runtime crates/base/src/worker/supervisor/
//     strategy_per_worker.rs: retire at the soft CPU limit and at half the
//     wall clock, terminate at the hard CPU limit, the full wall clock and
//     the memory limit; cli/src/flags.rs: beforeunload at 90 % of each.
//   - supabase.com/docs/guides/functions/status-codes and error-codes: 546
//     WORKER_RESOURCE_LIMIT (legacy WORKER_LIMIT), 504 IDLE_TIMEOUT, 503
//     BOOT_ERROR, 500 WORKER_ERROR, each with an sb-error-code header.

/** Every budget and setting of the local edge runtime. */
export interface EdgeLimits {
  /** CPU ms a worker may use (after boot) before it is retired. env SUPAQUEUE_EDGE_CPU_SOFT_LIMIT_MS (Default: 1000) */
  cpuSoftLimitMs: number;
  /** CPU ms a worker may use (after boot) before it is terminated; its in-flight requests answer 546. env SUPAQUEUE_EDGE_CPU_HARD_LIMIT_MS (Default: 2000) */
  cpuHardLimitMs: number;
  /** A worker's life from its first request: retired at half, terminated at the full time. env SUPAQUEUE_EDGE_WALL_CLOCK_LIMIT_MS (Default: 150000, the Free plan; paid plans: 400000) */
  wallClockLimitMs: number;
  /** Resident memory (VmRSS) of a worker before it is terminated; retired at half. env SUPAQUEUE_EDGE_MEMORY_LIMIT_MB (Default: 256) */
  memoryLimitMb: number;
  /** A request with no response (head, or next chunk of a streamed body) by then answers 504. env SUPAQUEUE_EDGE_REQUEST_IDLE_TIMEOUT_MS (Default: 150000) */
  requestIdleTimeoutMs: number;
  /** beforeunload (reason cpu / memory / wall_clock) at this % of the hard CPU limit, memory limit and wall clock. env SUPAQUEUE_EDGE_BEFOREUNLOAD_PCT (Default: 90) */
  beforeunloadPct: number;
  /** How long a clean stop lets in-flight requests and waitUntil work run before killing. env SUPAQUEUE_EDGE_STOP_GRACE_MS (Default: 10000) */
  stopGraceMs: number;
  /** Keep one pre-booted worker per function, so a retirement does not wait on a boot. env SUPAQUEUE_EDGE_STANDBY (Default: true) */
  standby: boolean;
}

/** Hosted Supabase's numbers on the Free plan. */
export const FREE_PLAN_LIMITS: Readonly<EdgeLimits> = Object.freeze({
  cpuSoftLimitMs: 1000,
  cpuHardLimitMs: 2000,
  wallClockLimitMs: 150_000,
  memoryLimitMb: 256,
  requestIdleTimeoutMs: 150_000,
  beforeunloadPct: 90,
  stopGraceMs: 10_000,
  standby: true,
});

/** Hosted Supabase's numbers on paid plans (only the wall clock differs). */
export const PAID_PLAN_LIMITS: Readonly<EdgeLimits> = Object.freeze({ ...FREE_PLAN_LIMITS, wallClockLimitMs: 400_000 });

const ENV_NAMES: Record<keyof EdgeLimits, string> = {
  cpuSoftLimitMs: 'SUPAQUEUE_EDGE_CPU_SOFT_LIMIT_MS',
  cpuHardLimitMs: 'SUPAQUEUE_EDGE_CPU_HARD_LIMIT_MS',
  wallClockLimitMs: 'SUPAQUEUE_EDGE_WALL_CLOCK_LIMIT_MS',
  memoryLimitMb: 'SUPAQUEUE_EDGE_MEMORY_LIMIT_MB',
  requestIdleTimeoutMs: 'SUPAQUEUE_EDGE_REQUEST_IDLE_TIMEOUT_MS',
  beforeunloadPct: 'SUPAQUEUE_EDGE_BEFOREUNLOAD_PCT',
  stopGraceMs: 'SUPAQUEUE_EDGE_STOP_GRACE_MS',
  standby: 'SUPAQUEUE_EDGE_STANDBY',
};

/**
 * The settings in force: `given` over the environment over the Free plan's
 * numbers. A limit of 0 disables it (as edge-runtime does for 0), except the
 * memory limit, which must be positive.
 */
export function resolveEdgeLimits(
  given: Partial<EdgeLimits> = {}, env: Record<string, string | undefined> = process.env,
): EdgeLimits {
  const out = { ...FREE_PLAN_LIMITS } as EdgeLimits;
  for (const key of Object.keys(ENV_NAMES) as Array<keyof EdgeLimits>) {
    const raw = env[ENV_NAMES[key]];
    const value = given[key] ?? (raw === undefined || raw === '' ? undefined : parseSetting(key, raw));
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of Object.keys(ENV_NAMES) as Array<keyof EdgeLimits>) {
    if (key === 'standby') continue;
    const v = out[key] as number;
    if (!Number.isFinite(v) || v < 0) throw new Error(`edge runtime setting ${key} (${ENV_NAMES[key]}) must be a number >= 0, got ${v}`);
  }
  if (out.memoryLimitMb <= 0) throw new Error('edge runtime setting memoryLimitMb must be > 0');
  if (out.beforeunloadPct > 99) throw new Error('edge runtime setting beforeunloadPct must be at most 99');
  if (out.cpuHardLimitMs > 0 && out.cpuSoftLimitMs > out.cpuHardLimitMs) {
    throw new Error(`edge runtime: cpuSoftLimitMs (${out.cpuSoftLimitMs}) is above cpuHardLimitMs (${out.cpuHardLimitMs})`);
  }
  return out;
}

function parseSetting(key: keyof EdgeLimits, raw: string): number | boolean {
  if (key === 'standby') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`${ENV_NAMES[key]} must be true or false, got "${raw}"`);
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${ENV_NAMES[key]} must be a number, got "${raw}"`);
  return n;
}

/** The environment variable that sets each setting. */
export const EDGE_LIMIT_ENV_NAMES: Readonly<Record<keyof EdgeLimits, string>> = Object.freeze(ENV_NAMES);

/** The gateway's own answers, as hosted Supabase gives them: status, JSON body and sb-error-code header. */
export interface PlatformError {
  status: number;
  code: string;
  message: string;
}

/** A worker was terminated by a resource limit (CPU, wall clock, memory) with this request in flight. */
export const WORKER_RESOURCE_LIMIT: PlatformError = {
  status: 546, code: 'WORKER_RESOURCE_LIMIT',
  message: 'Function failed due to not having enough compute resources (please check logs)',
};

/** No response within the request idle timeout. */
export const idleTimeout = (ms: number): PlatformError => ({
  status: 504, code: 'IDLE_TIMEOUT', message: `Request idle timeout limit (${ms / 1000}s) reached`,
});

/** The worker could not start (its module failed to load, or it exited before serving). */
export const BOOT_ERROR: PlatformError = {
  status: 503, code: 'BOOT_ERROR', message: 'Function failed to start (please check logs)',
};

/** The worker died of an error of its own (uncaught exception, crash) with this request in flight. */
export const WORKER_ERROR: PlatformError = {
  status: 500, code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)',
};

export const FUNCTION_NOT_FOUND: PlatformError = {
  status: 404, code: 'NOT_FOUND', message: 'Requested function was not found',
};
