// createQueue: the SDK's entry point. Every method is one route called
// through supabase.functions.invoke (so the client's session token or key
// goes along), its answer unwrapped, its error a rejected QueueError (never
// a synchronous throw, even for input refused before sending).
import { invalidRequest } from '../shared/errors.ts';
import type { EventSchemas, PayloadsOf } from '../shared/schema.ts';
import type { EventState } from '../shared/states.ts';
import { enqueueBody } from './enqueue-body.ts';
import type { BulkFilter, EventFilter, HandlerPolicy, HandlerSpec, RescheduleOptions, ScheduleSpec } from './options.ts';
import type { Queue, Untyped } from './queue.ts';
import { query, request } from './request.ts';
import type { BulkBatch, Enqueued, EventPage, EventRow, EventWithRuns, HandlerRow, MinuteStats, ScheduleRow, StatsRow } from './rows.ts';
import { subscribe, type EventChange, type SubscribeFilter, type SubscribeOptions } from './subscribe.ts';
import type { SupabaseLike } from './supabase-like.ts';
import { waitFor, type WaitOptions } from './wait-for.ts';

export interface QueueOptions {
  /**
   * Check props against `events` before sending them: a payload that does not
   * fit is refused with QueueError `invalid_request` and nothing is sent.
   * (Default: true when `events` is given)
   */
  validate?: boolean;
}

export interface TypedQueueOptions<M extends EventSchemas> extends QueueOptions {
  /** The events' schemas (defineEvents): they type enqueue, schedules and subscribe, and validate props. (Default: none — without it the queue is untyped) */
  events: M;
}

const segment = (name: string) => encodeURIComponent(name);
const id = (value: number) => {
  if (!Number.isSafeInteger(value) || value < 1) throw invalidRequest(`${JSON.stringify(value)} is not an event id (a positive integer).`);
  return value;
};

/**
 * A queue client over a supabase-js client. With `{ events }` (defineEvents),
 * names and props are checked at compile time and, before sending, at run
 * time; `createQueue<{ Addition: { x: number; y: number } }>(supabase)` types
 * without runtime checks; plain `createQueue(supabase)` takes any name.
 */
export function createQueue<const M extends EventSchemas>(client: SupabaseLike, options: TypedQueueOptions<M>): Queue<PayloadsOf<M>>;
export function createQueue<E extends object = Untyped>(client: SupabaseLike, options?: QueueOptions): Queue<E>;
export function createQueue(client: SupabaseLike, options: QueueOptions & { events?: EventSchemas } = {}): Queue<Untyped> {
  const schemas = (options.validate ?? true) ? options.events : undefined;
  const call = <T>(path: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE' = 'GET', body?: unknown) =>
    request<T>(client, path, method, body);
  const getEvent = async (eventId: number) => call<EventWithRuns>(`events/${id(eventId)}`);
  const listEvents = (f: EventFilter = {}) => call<EventPage>(`events${query({ ...f })}`);
  /**
   * A bulk verb over every batch: each request acts on one and names the next
   * (a dry run counts them all at once). Dates go as JSON does them, toISOString().
   */
  const many = (verb: 'cancel' | 'retry' | 'delete') => async (filter: BulkFilter) => {
    const body = { ...filter };
    let count = 0;
    for (;;) {
      const batch = await call<BulkBatch>(`events/${verb}`, 'POST', body);
      count += batch.count;
      if (batch.next_before_id === null) return count;
      body.before_id = batch.next_before_id;
    }
  };

  return {
    enqueue: async (name, props, opts) => call<Enqueued>('enqueue', 'POST', enqueueBody(schemas, name, props, opts)),

    async enqueueMany(items) {
      const events = items.map(({ name, props, ...opts }, i) => enqueueBody(schemas, name, props, opts, `events[${i}].props`));
      return (await call<{ events: Enqueued[] }>('enqueue', 'POST', { events })).events;
    },

    getEvent,
    listEvents,
    async *eachEvent(filter = {}) {
      let before_id = filter.before_id;
      for (;;) {
        const page = await listEvents({ ...filter, before_id });
        yield* page.events;
        if (page.next_before_id === null) return;
        before_id = page.next_before_id;
      }
    },
    cancel: async (eventId) => call<EventRow>(`events/${id(eventId)}/cancel`, 'POST'),
    retry: async (eventId) => call<EventRow>(`events/${id(eventId)}/retry`, 'POST'),
    reschedule: async (eventId, change: RescheduleOptions) => call<EventRow>(`events/${id(eventId)}/reschedule`, 'POST', change),
    delete: async (eventId) => call<EventRow>(`events/${id(eventId)}`, 'DELETE'),
    cancelMany: many('cancel'),
    retryMany: many('retry'),
    deleteMany: many('delete'),
    redrive: async (name) => (await call<{ redriven: number }>('events/redrive', 'POST', { name })).redriven,
    stats: async () => (await call<{ stats: StatsRow[] }>('events/stats')).stats,
    statsByMinute: async () => (await call<{ minutes: MinuteStats[] }>('events/stats/minutes')).minutes,

    subscribe: (filter: SubscribeFilter, callback: (change: EventChange) => void, opts?: SubscribeOptions) =>
      subscribe(client, filter, callback, opts),
    waitFor: async (eventId: number, states?: readonly EventState[], opts?: WaitOptions) =>
      waitFor(client, getEvent, id(eventId), states, opts),

    handlers: {
      create: (handler: HandlerSpec) => call<HandlerRow>('handlers', 'POST', handler),
      list: async () => (await call<{ handlers: HandlerRow[] }>('handlers')).handlers,
      get: (name: string) => call<HandlerRow>(`handlers/${segment(name)}`),
      update: (name: string, patch: HandlerPolicy) => call<HandlerRow>(`handlers/${segment(name)}`, 'PATCH', patch),
      delete: (name: string) => call<HandlerRow>(`handlers/${segment(name)}`, 'DELETE'),
    },

    schedules: {
      create: (schedule: ScheduleSpec) => call<ScheduleRow>('schedules', 'POST', schedule),
      list: async () => (await call<{ schedules: ScheduleRow[] }>('schedules')).schedules,
      get: (name: string) => call<ScheduleRow>(`schedules/${segment(name)}`),
      delete: (name: string) => call<ScheduleRow>(`schedules/${segment(name)}`, 'DELETE'),
    },
  };
}
