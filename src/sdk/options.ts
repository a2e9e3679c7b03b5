// The options of the SDK's calls. Each states its default; the field names
// are the routes' own (snake_case), so a call reads like its JSON body.
import type { EnqueueOptions, HandlerPolicy, RescheduleOptions } from '../shared/requests.ts';
import type { EventState, HandlerKind } from '../shared/states.ts';

export type { EnqueueOptions, HandlerPolicy, RescheduleOptions };
import type { AnyProps } from './rows.ts';

/** A handler to create (POST /handlers): its event name, kind and target, and any policy field. */
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
  /** Only the events this schedule enqueued (their idempotency key is `schedule:<name>:<occurrence>`). (Default: any event) */
  schedule?: string;
  /** Only events created after this time. (Default: no bound) */
  created_after?: Date | string;
  /** Only events created before this time. (Default: no bound) */
  created_before?: Date | string;
  /** Only events with a smaller id: the previous page's next_before_id. (Default: start from the newest) */
  before_id?: number;
  /** Page size, 1-500. (Default: 50) */
  limit?: number;
}

/**
 * Which events a bulk verb acts on (cancelMany, retryMany, deleteMany): the
 * filter of listEvents (each Default: any), every page of it.
 */
export interface BulkFilter extends Omit<EventFilter, 'limit'> {
  /** Most events one request acts on, 1-10000; the SDK sends requests until every batch is done. (Default: 1000) */
  limit?: number;
  /** Only count the events the verb would act on; nothing changes. (Default: false) */
  dry_run?: boolean;
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
