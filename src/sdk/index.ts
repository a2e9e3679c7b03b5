// The queue's TypeScript SDK: import from here in Node, Deno or a browser.
export { createQueue, type QueueOptions, type TypedQueueOptions } from './create-queue.ts';
export type { EnqueueArgs, EnqueueItem, EventName, Queue, Untyped } from './queue.ts';
export type { BulkFilter, EnqueueOptions, EventFilter, HandlerPolicy, HandlerSpec, RescheduleOptions, ScheduleSpec } from './options.ts';
export type { AnyProps, BulkBatch, Enqueued, EventPage, EventRow, EventWithRuns, HandlerRow, MinuteStats, RunRow, ScheduleRow, StatsRow } from './rows.ts';
export type { EventChange, SubscribeFilter, SubscribeOptions, Unsubscribe } from './subscribe.ts';
export { WAIT_STATES, type WaitOptions } from './wait-for.ts';
export type { SupabaseLike } from './supabase-like.ts';
export { builtinEvents } from '../shared/builtin-events.ts';
export { QueueError } from '../shared/errors.ts';
export { defineEvents, defineSchema, type EventSchemas, type FieldSpec, type Infer, type PayloadsOf, type Schema, type Shape } from '../shared/schema.ts';
export { EVENT_STATES, FINAL_STATES, type EventState, type HandlerKind, type RunOutcome } from '../shared/states.ts';
export type { Json } from '../shared/json.ts';
