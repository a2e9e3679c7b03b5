// The queue's rows, defined once. `T` is how a timestamp arrives: a Date from
// postgres.js (src/shared/db.ts), an ISO 8601 string over HTTP (the SDK).
import type { Json } from './json.ts';
import type { EventState, HandlerKind, RunOutcome } from './states.ts';

/** Props of an event whose name the queue was not told the type of. */
export type AnyProps = { [key: string]: Json };

/** One event (queue.events). `P` is its props' type when its name is known. */
export interface EventRowOf<T, P = AnyProps> {
  id: number;
  name: string;
  props: P;
  state: EventState;
  priority: number;
  run_at: T;
  attempts: number;
  max_attempts: number | null;
  backoff_base_ms: number | null;
  backoff_factor: number | null;
  backoff_max_ms: number | null;
  cancel_requested_at: T | null;
  lease_until: T | null;
  leased_by: string | null;
  last_error: Json | null;
  result: Json | null;
  idempotency_key: string | null;
  owner: string | null;
  created_at: T;
  updated_at: T;
  finished_at: T | null;
}

/** One attempt of an event (queue.runs). */
export interface RunRowOf<T> {
  id: number;
  event_id: number;
  attempt: number;
  worker: string;
  started_at: T;
  finished_at: T | null;
  outcome: RunOutcome;
  error: Json | null;
  result: Json | null;
  duration_ms: number | null;
}

/** What enqueue answers per event; `created: false` when its idempotency key was seen before. */
export interface EnqueuedOf<T> {
  id: number;
  name: string;
  state: EventState;
  run_at: T;
  created: boolean;
}

/** A handler (queue.handlers). */
export interface HandlerRowOf<T> {
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
  created_at: T;
  updated_at: T;
}

/** A recurring event (queue.schedules). */
export interface ScheduleRowOf<T> {
  name: string;
  event_name: string;
  cron: string;
  timezone: string;
  props: AnyProps;
  priority: number;
  next_run_at: T;
  last_run_at: T | null;
  last_event_id: number | null;
  created_at: T;
  updated_at: T;
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

/** One minute of the last hour (queue.stats_by_minute), over every name. `T`: how a timestamp arrives. */
export interface MinuteStatsOf<T> {
  minute: T;
  /** Attempts started in that minute. */
  runs: number;
  /** Of them, the ones that failed, timed out or were lost. */
  failures: number;
  /** The oldest due age over every name, the largest any tick of that minute saw; null when no tick ran in it. */
  oldest_due_age_ms: number | null;
}
