// What the routes answer, as JSON: the rows of src/shared/db.ts with every
// timestamp an ISO 8601 string in toISOString() form (see timestamps.ts). (test/sdk.test.ts checks the field names stay
// those of db.ts.)
import type { EventState, HandlerKind, RunOutcome } from '../states.ts';
import type { Json } from '../validate.ts';

/** Props of an event whose name the queue was not told the type of. */
export type AnyProps = { [key: string]: Json };

/** One event (queue.events). `P` is its props' type when its name is known. */
export interface EventRow<P = AnyProps> {
  id: number;
  name: string;
  props: P;
  state: EventState;
  priority: number;
  run_at: string;
  attempts: number;
  max_attempts: number | null;
  backoff_base_ms: number | null;
  backoff_factor: number | null;
  backoff_max_ms: number | null;
  cancel_requested_at: string | null;
  locked_until: string | null;
  locked_by: string | null;
  last_error: Json | null;
  result: Json | null;
  idempotency_key: string | null;
  owner: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** One attempt of an event (queue.runs). */
export interface RunRow {
  id: number;
  event_id: number;
  attempt: number;
  worker: string;
  started_at: string;
  finished_at: string | null;
  outcome: RunOutcome;
  error: Json | null;
  result: Json | null;
  duration_ms: number | null;
}

/** An event with its attempts, oldest first (GET /events/:id). */
export interface EventWithRuns<P = AnyProps> extends EventRow<P> {
  runs: RunRow[];
}

/** What enqueue answers per event; `created: false` when its idempotency key was seen before. */
export interface Enqueued {
  id: number;
  name: string;
  state: EventState;
  run_at: string;
  created: boolean;
}

/** A page of GET /events; pass `next_before_id` as `before_id` for the next (null: last page). */
export interface EventPage {
  events: EventRow[];
  next_before_id: number | null;
}

/** A registered handler (queue.handlers). */
export interface HandlerRow {
  name: string;
  kind: HandlerKind;
  target: string;
  max_attempts: number;
  backoff_base_ms: number;
  backoff_factor: number;
  backoff_max_ms: number;
  backoff_jitter: number;
  concurrency_limit: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  timeout_ms: number;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** A recurring event (queue.schedules). */
export interface ScheduleRow {
  name: string;
  event_name: string;
  cron: string;
  timezone: string;
  props: AnyProps;
  priority: number;
  next_run_at: string;
  last_run_at: string | null;
  last_event_id: number | null;
  created_at: string;
  updated_at: string;
}

/** One event name's counts and recent activity (the queue.stats view). */
export interface StatsRow {
  name: string;
  scheduled: number;
  queued: number;
  processing: number;
  succeeded: number;
  dead: number;
  cancelled: number;
  oldest_due_age_ms: number | null;
  runs_last_minute: number;
  runs_last_5_minutes: number;
  failures_last_5_minutes: number;
}
