// What the routes answer, as JSON: the rows of src/shared/rows.ts with every
// timestamp an ISO 8601 string in toISOString() form (see timestamps.ts).
import type { AnyProps, EnqueuedOf, EventRowOf, HandlerRowOf, MinuteStatsOf, RunRowOf, ScheduleRowOf, StatsRow } from '../shared/rows.ts';

export type { AnyProps, StatsRow };

/** One event (queue.events). `P` is its props' type when its name is known. */
export type EventRow<P = AnyProps> = EventRowOf<string, P>;

/** One attempt of an event (queue.runs). */
export type RunRow = RunRowOf<string>;

/** An event with its attempts, oldest first (GET /events/:id). */
export interface EventWithRuns<P = AnyProps> extends EventRow<P> {
  runs: RunRow[];
}

/** What enqueue answers per event; `created: false` when its idempotency key was seen before. */
export type Enqueued = EnqueuedOf<string>;

/** One minute of the last hour (GET /events/stats/minutes). */
export type MinuteStats = MinuteStatsOf<string>;

/** A handler (queue.handlers). */
export type HandlerRow = HandlerRowOf<string>;

/** A recurring event (queue.schedules). */
export type ScheduleRow = ScheduleRowOf<string>;

/** A page of GET /events; pass `next_before_id` as `before_id` for the next (null: last page). */
export interface EventPage {
  events: EventRow[];
  next_before_id: number | null;
}


/** What one request of a bulk verb answers (POST /events/cancel, /retry, /delete): pass `next_before_id` as `before_id` for the next batch (null: done). */
export interface BulkBatch {
  count: number;
  next_before_id: number | null;
  dry_run: boolean;
}
