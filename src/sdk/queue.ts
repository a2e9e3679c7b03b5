// The Queue interface: every route of the queue as a typed method. `E` maps
// event names to their props' types; untyped, any name and JSON props go.
import type { EventState } from '../shared/states.ts';
import type { BulkFilter, EnqueueOptions, EventFilter, HandlerPolicy, HandlerSpec, RescheduleOptions, ScheduleSpec } from './options.ts';
import type { AnyProps, Enqueued, EventPage, EventRow, EventWithRuns, HandlerRow, MinuteStats, ScheduleRow, StatsRow } from './rows.ts';
import type { EventChange, SubscribeFilter, SubscribeOptions, Unsubscribe } from './subscribe.ts';
import type { WaitOptions } from './wait-for.ts';

/** A queue that was not told its events' types: any name, JSON props. */
export type Untyped = { [name: string]: AnyProps };

/** The event names of `E`. */
export type EventName<E> = keyof E & string;

/** props then options; props may be left out when none of its fields is required. */
export type EnqueueArgs<P> = {} extends P ? [props?: P, options?: EnqueueOptions] : [props: P, options?: EnqueueOptions];

/** One event of a batch: its name, its props (typed by the name) and its options. */
export type EnqueueItem<E> = { [N in EventName<E>]: { name: N; props: E[N] } & EnqueueOptions }[EventName<E>];

export interface Queue<E extends object = Untyped> {
  /** Adds one event (POST /enqueue). Resolves with its id and state; throws QueueError `no_handler` (422) for a name without an enabled handler. */
  enqueue<N extends EventName<E>>(name: N, ...args: EnqueueArgs<E[N]>): Promise<Enqueued>;
  /** Adds up to 10,000 events at once, all or nothing (POST /enqueue { events }); results in input order. Invalid items are listed by index in the error's details. */
  enqueueMany(items: readonly EnqueueItem<E>[]): Promise<Enqueued[]>;

  /** One event with its runs (GET /events/:id); QueueError `not_found` when it does not exist or is not the caller's. */
  getEvent(id: number): Promise<EventWithRuns>;
  /** A page of events, newest first (GET /events). (Default filter: every event, 50 per page) */
  listEvents(filter?: EventFilter): Promise<EventPage>;
  /** Every event that fits the filter, newest first, fetching page after page as the loop asks. */
  eachEvent(filter?: EventFilter): AsyncIterable<EventRow>;
  /**
   * Cancels an event (POST /events/:id/cancel): scheduled|queued → cancelled at once; processing →
   * `cancel_requested_at` set and the row returned still processing: the attempt is stopped at its
   * next heartbeat and the event ends cancelled (unless that attempt succeeds first), never retried.
   * QueueError `conflict` (409) once it has ended (succeeded, dead, cancelled).
   */
  cancel(id: number): Promise<EventRow>;
  /** dead|cancelled → queued with a fresh attempt budget (POST /events/:id/retry); `conflict` (409) otherwise. */
  retry(id: number): Promise<EventRow>;
  /**
   * Gives a scheduled or queued event a new `run_at` (or `delay_ms`) and/or `priority`
   * (POST /events/:id/reschedule), checked as enqueue checks them; it is scheduled or queued by its new
   * run_at. QueueError `conflict` (409) once it is processing or has ended.
   */
  reschedule(id: number, change: RescheduleOptions): Promise<EventRow>;
  /** Deletes an event with its runs (DELETE /events/:id), resolving with the row as it was; `conflict` (409) while it is processing. */
  delete(id: number): Promise<EventRow>;
  /**
   * Cancels every event that fits the filter and has not ended, as cancel does each (POST /events/cancel,
   * batch after batch); resolves with how many. With `dry_run`, only counts them.
   */
  cancelMany(filter: BulkFilter): Promise<number>;
  /** Retries every dead or cancelled event that fits the filter (POST /events/retry, batch after batch); resolves with how many. With `dry_run`, only counts them. */
  retryMany(filter: BulkFilter): Promise<number>;
  /** Deletes every event that fits the filter and is not processing, with its runs (POST /events/delete, batch after batch); resolves with how many. With `dry_run`, only counts them. */
  deleteMany(filter: BulkFilter): Promise<number>;
  /** Retries every dead event of a name (POST /events/redrive); resolves with how many. */
  redrive(name: EventName<E>): Promise<number>;
  /** Counts per state and recent runs, per event name (GET /events/stats); service role only. */
  stats(): Promise<StatsRow[]>;
  /** The last hour, a row a minute, oldest first: runs started and failed, and the oldest due age the tick saw (GET /events/stats/minutes); service role only. */
  statsByMinute(): Promise<MinuteStats[]>;

  /**
   * Calls `callback` with each change of the events that fit `filter`, in
   * commit order, over Realtime. Resolves once the subscription is live, with
   * the function that ends it.
   */
  subscribe<N extends EventName<E>>(
    filter: SubscribeFilter<N> & { name: N }, callback: (change: EventChange<E[N]>) => void, options?: SubscribeOptions,
  ): Promise<Unsubscribe>;
  subscribe(filter: SubscribeFilter, callback: (change: EventChange) => void, options?: SubscribeOptions): Promise<Unsubscribe>;
  /**
   * Resolves with the event once it is in one of `states` (Default: the final
   * states succeeded, dead, cancelled); rejects with QueueError `timeout`
   * after `options.timeoutMs` (Default: 60000).
   */
  waitFor(id: number, states?: readonly EventState[], options?: WaitOptions): Promise<EventRow>;

  /** Which handler runs each event name (queue.handlers). Service role only. */
  readonly handlers: {
    /** Creates a handler (POST /handlers); `conflict` when the name has one. */
    create(handler: HandlerSpec): Promise<HandlerRow>;
    /** Every handler, by name (GET /handlers). */
    list(): Promise<HandlerRow[]>;
    /** One handler (GET /handlers/:name); `not_found` when none. */
    get(name: string): Promise<HandlerRow>;
    /** Changes any field but the name (PATCH /handlers/:name). */
    update(name: string, patch: HandlerPolicy): Promise<HandlerRow>;
    /** Deletes a handler (DELETE /handlers/:name); its events stay, and queued ones wait for a handler. */
    delete(name: string): Promise<HandlerRow>;
  };

  /** Recurring events. Service role only. */
  readonly schedules: {
    /** Creates one (POST /schedules); its first run is the next match of `cron`. */
    create<N extends EventName<E>>(schedule: ScheduleSpec<N, E[N]>): Promise<ScheduleRow>;
    /** Every schedule, by name (GET /schedules). */
    list(): Promise<ScheduleRow[]>;
    /** One schedule (GET /schedules/:name); `not_found` when none. */
    get(name: string): Promise<ScheduleRow>;
    /** Deletes one (DELETE /schedules/:name); events it already enqueued stay. */
    delete(name: string): Promise<ScheduleRow>;
  };
}
