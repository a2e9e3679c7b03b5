// How big each measure is: the full run (npm run bench) and --quick (or
// SUPAQUEUE_BENCH_QUICK=1), a smaller run for working on the bench itself.
// The quick figures are noisier and are not the ones the README quotes.

const FULL = {
  /** Events per throughput repeat, the same for every system. */
  throughputEvents: 20_000,
  /** Throughput repeats per system, alternating systems (the medians are reported). */
  repeats: 3,
  /** Pickup samples per system, one event at a time into an idle queue. */
  pickupSamples: 200,
  /** pg-boss polls (no NOTIFY), so each sample waits for a poll: fewer samples. */
  pollingPickupSamples: 40,
  /** Pickup samples with no drainer alive (each waits for the drainer to stop). */
  coldSamples: 15,
  /** Single-event HTTP enqueue requests. */
  singleEnqueues: 6000,
  /** The long run for memory, CPU, worker starts, 546s and lost attempts. */
  longRunEvents: 100_000,
  /** Queued events of a name no handler runs, for the backlog measures. */
  backlogEvents: 1_000_000,
  /** queue.claim(100) calls per table state. */
  claimRounds: 20,
  /** The dashboard's events page: events in the table, then new ones a second streaming in, for how long. */
  dashboard: { events: 10_000, rate: 500, seconds: 10 },
};

export type Sizes = typeof FULL;

const QUICK: Sizes = {
  throughputEvents: 5000, repeats: 3, pickupSamples: 50, pollingPickupSamples: 10, coldSamples: 4,
  singleEnqueues: 500, longRunEvents: 10_000, backlogEvents: 100_000, claimRounds: 10,
  dashboard: { events: 10_000, rate: 500, seconds: 4 },
};

export const quick = process.argv.includes('--quick') || process.env.SUPAQUEUE_BENCH_QUICK === '1';
export const sizes: Sizes = quick ? QUICK : FULL;
