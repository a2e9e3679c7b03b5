// The optional fields of the requests that enqueue events and create
// handlers, documented once: the SDK takes them as options, and the edge's
// parsers (src/shared/validate) produce them.
import type { HandlerKind } from './states.ts';

/** Options of one enqueued event. */
export interface EnqueueOptions {
  /** When to run it: a Date or an ISO 8601 string with a time zone, within a year. Not with delay_ms. (Default: now) */
  run_at?: Date | string;
  /** Run it this many ms from now (up to a year). Not with run_at. (Default: 0) */
  delay_ms?: number;
  /** -100..100; higher runs first. (Default: 0) */
  priority?: number;
  /** 1-200 characters, unique per event name: enqueueing the same key again returns the first event with created: false. (Default: none) */
  idempotency_key?: string;
  /** 1-100; overrides the handler's. (Default: the handler's max_attempts) */
  max_attempts?: number;
  /** First retry delay in ms, 0-86400000; overrides the handler's. (Default: the handler's backoff_base_ms) */
  backoff_base_ms?: number;
  /** 1-10: each retry waits this many times longer; overrides the handler's. (Default: the handler's backoff_factor) */
  backoff_factor?: number;
  /** Longest retry delay in ms, 0-604800000; overrides the handler's. (Default: the handler's backoff_max_ms) */
  backoff_max_ms?: number;
}

/** A new time and/or priority for a scheduled or queued event (POST /events/:id/reschedule): at least one; a field left out keeps the event's value. */
export type RescheduleOptions = Pick<EnqueueOptions, 'run_at' | 'delay_ms' | 'priority'>;

/** The policy fields of a handler (queue.handlers). */
export interface HandlerPolicy {
  /** Where it runs: `code` (built into dispatch), `function` (an edge function of this project), `url` (any http(s) endpoint). (Default: none; required to create) */
  kind?: HandlerKind;
  /** The code handler's key, the function's name, or the URL. (Default: none; required to create) */
  target?: string;
  /** Attempts before an event is dead, 1-100. (Default: the column default of queue.handlers) */
  max_attempts?: number;
  /** First retry delay in ms, 0-86400000. (Default: the column default of queue.handlers) */
  backoff_base_ms?: number;
  /** Growth of the retry delay per attempt, 1-10. (Default: the column default of queue.handlers) */
  backoff_factor?: number;
  /** Longest retry delay in ms, 0-604800000. (Default: the column default of queue.handlers) */
  backoff_max_ms?: number;
  /** Random spread of each retry delay, 0-1 (0.2 is ±20 %). (Default: the column default of queue.handlers) */
  backoff_jitter?: number;
  /** Most events of this name running at once, 1-10000; null removes the limit. (Default: null, no limit) */
  concurrency_limit?: number | null;
  /** Most attempts started per rate_period_ms, 1-100000; given with rate_period_ms; null removes it. (Default: null, no limit) */
  rate_limit?: number | null;
  /** The window of rate_limit in ms, 100-86400000. (Default: null) */
  rate_period_ms?: number | null;
  /** How long one attempt may run, 100 ms up to queue.settings.max_timeout_ms (60000 on the Free plan, up to 185000). (Default: the column default of queue.handlers) */
  timeout_ms?: number;
  /** A disabled handler's events wait; enqueueing its name is refused with no_handler. (Default: the column default of queue.handlers) */
  enabled?: boolean;
}

