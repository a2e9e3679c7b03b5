// The queue's closed sets. Each is defined twice and no more: as a Postgres
// enum in supabase/migrations and here, as a const array with its union type.

/** Where an event is in its life. See the glossary in README.md. */
export const EVENT_STATES = ['scheduled', 'queued', 'processing', 'succeeded', 'dead', 'cancelled'] as const;
export type EventState = (typeof EVENT_STATES)[number];

/** States an event never leaves (except through retry). */
export const FINAL_STATES = ['succeeded', 'dead', 'cancelled'] as const satisfies readonly EventState[];
export type FinalState = (typeof FINAL_STATES)[number];

/** How one attempt (run) ended; 'running' until it has. */
export const RUN_OUTCOMES = ['running', 'succeeded', 'failed', 'timed_out', 'lost', 'cancelled'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/**
 * What a heartbeat answers for one running attempt (queue.heartbeat):
 * keep running, stop because the event was cancelled, or stop because the
 * attempt is gone (reclaimed; its outcome would be ignored).
 */
export const HEARTBEAT_STATUSES = ['running', 'cancelled', 'gone'] as const;
export type HeartbeatStatus = (typeof HEARTBEAT_STATUSES)[number];

/** Where a handler runs: built into dispatch, another edge function, or any URL. */
export const HANDLER_KINDS = ['code', 'function', 'url'] as const;
export type HandlerKind = (typeof HANDLER_KINDS)[number];

/** The API roles a Supabase credential grants (auth.ts); the roles themselves are the platform's. */
export type Role = 'anon' | 'authenticated' | 'service_role';
