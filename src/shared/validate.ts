// Request validation, once, at the edge. Messages are sentences a user can act
// on. The database's constraints are the real guard; these parsers exist so
// that bad input gets a precise 400 before anything is sent to Postgres.
export { MAX_BATCH, parseEnqueue, parseReschedule, type EnqueueItem, type RescheduleInput } from './validate/enqueue.ts';
export { parseHandler, type HandlerInput } from './validate/handler.ts';
export { MAX_BULK, parseBulk, parseId, parseListQuery, type BulkInput, type EventFilterInput, type ListQuery } from './validate/query.ts';
export { parseRedrive, parseSchedule, type ScheduleInput } from './validate/schedule.ts';
export { parseTimestamp } from './validate/timestamp.ts';
