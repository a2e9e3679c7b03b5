// Small helpers the bench modules share: waiting, percentiles, formatting.

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wall-clock time in ms with sub-ms precision, comparable with Postgres' clock_timestamp() on the same machine. */
export const wallMs = () => performance.timeOrigin + performance.now();

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const median = (xs: number[]) => pct(xs, 50);

export const fmt = (n: number, unit = '') => `${Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)}${unit}`;

/** Polls `done` until it answers true; throws after `timeoutMs` with what `describe` says. */
export async function until(done: () => Promise<boolean>, timeoutMs: number, describe: () => Promise<string> | string, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${await describe()}`);
    await sleep(everyMs);
  }
}

/**
 * Events per enqueue call in the throughput runs, the same for every system:
 * ours one HTTP request to enqueue, graphile-worker's addJobs, pg-boss's insert.
 * Each system's workers start on the first call's events while the rest are added.
 */
const ENQUEUE_CHUNK = 1000;

/** n items, made by `make(i)` for i = 0…n-1, in ENQUEUE_CHUNK-sized calls. */
export function inChunks<T>(n: number, make: (i: number) => T): T[][] {
  return Array.from({ length: Math.ceil(n / ENQUEUE_CHUNK) }, (_, c) =>
    Array.from({ length: Math.min(ENQUEUE_CHUNK, n - c * ENQUEUE_CHUNK) }, (_, j) => make(c * ENQUEUE_CHUNK + j)));
}

/** A pause between pickup samples, so that each event goes into an idle queue. */
export const gap = () => sleep(30 + Math.random() * 50);

/** What one throughput repeat measured. */
export interface Throughput {
  /** Events (jobs) per second added, from the first enqueue call to the last one's answer. */
  enqueue: number;
  /** Events per second run end to end: from the first enqueue call until the database shows all of them done. */
  processed: number;
}
