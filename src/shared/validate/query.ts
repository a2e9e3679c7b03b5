// GET /events query strings, the bulk verbs' filter bodies, and path ids.
import { invalidRequest } from '../errors.ts';
import { EVENT_STATES, type EventState } from '../states.ts';
import { integer, isObject, NAME_RE, NAME_RULE, Problems, unknownFields, type Obj } from './fields.ts';
import { parseTimestamp } from './timestamp.ts';

/** Which events: the filter GET /events lists and the bulk verbs act on. */
export interface EventFilterInput {
  state?: EventState;
  name?: string;
  /** Only the events this schedule enqueued (queue._enqueued_by reads their idempotency key). */
  schedule?: string;
  created_after?: string;
  created_before?: string;
  before_id?: number;
}

export interface ListQuery extends EventFilterInput {
  limit: number;
}

/** A bulk verb's request (POST /events/cancel, /retry, /delete): a filter, a batch size, and whether only to count. */
export interface BulkInput {
  filter: EventFilterInput & { limit?: number };
  dry_run: boolean;
}

/** Most events one bulk request acts on (queue._bulk clamps `limit` to the same; its Default is 1000). */
export const MAX_BULK = 10_000;

const FILTER_FIELDS = ['state', 'name', 'schedule', 'created_after', 'created_before', 'before_id', 'limit'] as const;

/** The filter's string fields (state, name, schedule, created_after, created_before), the same in a query string and a JSON body. */
function filterFields(q: Obj, p: Problems): EventFilterInput {
  const out: EventFilterInput = {};
  if (q.state !== undefined) {
    if (!EVENT_STATES.includes(q.state as EventState)) p.add('state', `must be one of: ${EVENT_STATES.join(', ')}.`);
    else out.state = q.state as EventState;
  }
  if (q.name !== undefined) {
    if (typeof q.name !== 'string' || !NAME_RE.test(q.name)) p.add('name', 'must be an event name.');
    else out.name = q.name;
  }
  if (q.schedule !== undefined) {
    // POST /schedules' rule (schedules_name_format): a value it refuses names no schedule, so say so instead of listing nothing.
    if (typeof q.schedule !== 'string' || !NAME_RE.test(q.schedule)) p.add('schedule', `must be a schedule name: ${NAME_RULE}`);
    else out.schedule = q.schedule;
  }
  for (const key of ['created_after', 'created_before'] as const) {
    if (q[key] === undefined) continue;
    const d = parseTimestamp(q[key]);
    if (!d) p.add(key, 'must be an ISO 8601 date-time with a time zone.');
    else out[key] = d.toISOString();
  }
  return out;
}

/** Query string of GET /events. */
export function parseListQuery(q: Record<string, string | undefined>): ListQuery {
  const p = new Problems();
  unknownFields(q, FILTER_FIELDS, p);
  const out: ListQuery = { ...filterFields(q, p), limit: 50 };
  if (q.before_id !== undefined) {
    const id = parseId(q.before_id);
    if (id === undefined) p.add('before_id', 'must be a positive integer.');
    else out.before_id = id;
  }
  if (q.limit !== undefined) {
    const n = /^\d{1,3}$/.test(q.limit) ? Number(q.limit) : NaN;
    if (!(n >= 1 && n <= 500)) p.add('limit', 'must be an integer from 1 to 500.');
    else out.limit = n;
  }
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return out;
}

/**
 * Body of POST /events/cancel, /events/retry and /events/delete: the filter
 * of GET /events as JSON (before_id a number), `limit` the batch size
 * (1-10000, Default: 1000) and `dry_run` (Default: false). `{}` is every event
 * the caller may see.
 */
export function parseBulk(body: unknown): BulkInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object: the filter of GET /events, e.g. { "name": "Division", "state": "dead" }.');
  const p = new Problems();
  unknownFields(body, [...FILTER_FIELDS, 'dry_run'], p);
  const filter: BulkInput['filter'] = filterFields(body, p);
  const beforeId = integer(body, 'before_id', 1, Number.MAX_SAFE_INTEGER, p);
  if (beforeId !== undefined) filter.before_id = beforeId;
  const limit = integer(body, 'limit', 1, MAX_BULK, p);
  if (limit !== undefined) filter.limit = limit;
  if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') p.add('dry_run', 'must be true or false.');
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return { filter, dry_run: body.dry_run === true };
}

/** A positive integer id from a path or query parameter. */
export function parseId(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^[1-9]\d{0,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}
