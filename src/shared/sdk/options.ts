// The options of the SDK's calls. Each states its default; the field names
// are the routes' own (snake_case), so a call reads like its JSON body.
import type { EventState, HandlerKind } from '../states.ts';
import type { AnyProps } from './rows.ts';

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

/** The policy fields of a handler (registry). */
export interface HandlerPolicy {
  /** Where it runs: `code` (built into dispatch), `function` (an edge function of this project), `url` (any http(s) endpoint). (Default: none; required to register) */
  kind?: HandlerKind;
  /** The code handler's key, the function's name, or the URL. (Default: none; required to register) */
  target?: string;
  /** Attempts before an event is dead, 1-100. (Default: 5) */
  max_attempts?: number;
  /** First retry delay in ms, 0-86400000. (Default: 1000) */
  backoff_base_ms?: number;
  /** Growth of the retry delay per attempt, 1-10. (Default: 2) */
  backoff_factor?: number;
  /** Longest retry delay in ms, 0-604800000. (Default: 3600000) */
  backoff_max_ms?: number;
  /** Random spread of each retry delay, 0-1 (0.2 is ±20 %). (Default: 0.2) */
  backoff_jitter?: number;
  /** Most events of this name running at once, 1-10000; null removes the limit. (Default: null, no limit) */
  concurrency_limit?: number | null;
  /** Most attempts started per rate_period_ms, 1-100000; given with rate_period_ms; null removes it. (Default: null, no limit) */
  rate_limit?: number | null;
  /** The window of rate_limit in ms, 100-86400000. (Default: null) */
  rate_period_ms?: number | null;
  /** How long one attempt may run, 100-150000 ms. (Default: 30000) */
  timeout_ms?: number;
  /** A disabled handler's events wait; enqueueing its name is refused with no_handler. (Default: true) */
  enabled?: boolean;
}

/** A handler to register: its event name, kind and target, and any policy field. */
export interface HandlerSpec extends HandlerPolicy {
  /** The event name it handles: 1-100 letters, digits or _ . : - starting with a letter. */
  name: string;
  kind: HandlerKind;
  target: string;
}

/** Which events to list (GET /events). */
export interface EventFilter {
  /** Only events in this state. (Default: any state) */
  state?: EventState;
  /** Only events of this name. (Default: any name) */
  name?: string;
  /** Only events created after this time. (Default: no bound) */
  created_after?: Date | string;
  /** Only events created before this time. (Default: no bound) */
  created_before?: Date | string;
  /** Only events with a smaller id: the previous page's next_before_id. (Default: start from the newest) */
  before_id?: number;
  /** Page size, 1-500. (Default: 50) */
  limit?: number;
}

/** A recurring event to create (POST /schedules). */
export type ScheduleSpec<N extends string = string, P = AnyProps> = {
  /** The schedule's own name: 1-100 letters, digits or _ . : - starting with a letter. */
  name: string;
  /** The event it enqueues; needs an enabled handler. */
  event_name: N;
  /** A cron expression (`*\/5 * * * *`, `@daily`), in `timezone`. */
  cron: string;
  /** An IANA time zone for `cron`. (Default: 'UTC') */
  timezone?: string;
  /** -100..100 for each enqueued event. (Default: 0) */
  priority?: number;
} & ({} extends P ? {
  /** The props of each enqueued event. (Default: {}) */
  props?: P;
} : {
  /** The props of each enqueued event. (Default: {} — required here, as the event's type has required fields) */
  props: P;
});
