// Request validation, once, at the edge. Messages are sentences a user can act
// on. The database's constraints are the real guard; this module exists so
// that bad input gets a precise 400 before anything is sent to Postgres.
import { invalidRequest, payloadTooLarge } from './errors.ts';
import { EVENT_STATES, HANDLER_KINDS, type EventState, type HandlerKind } from './states.ts';

/** Most events one enqueue request may carry. (Default: 10000) */
export const MAX_BATCH = 10_000;
/** Longest delay or furthest run_at accepted: one year. */
const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;
const NAME_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, unknown>;

/** One event as the SQL function queue.enqueue_many takes it. */
export interface EnqueueItem {
  name: string;
  props: { [key: string]: Json };
  run_at?: string;
  priority?: number;
  idempotency_key?: string;
  max_attempts?: number;
  backoff_base_ms?: number;
  backoff_factor?: number;
  backoff_max_ms?: number;
}

export interface HandlerInput {
  name?: string;
  kind?: HandlerKind;
  target?: string;
  max_attempts?: number;
  backoff_base_ms?: number;
  backoff_factor?: number;
  backoff_max_ms?: number;
  backoff_jitter?: number;
  /** null removes the limit (update only). */
  concurrency_limit?: number | null;
  rate_limit?: number | null;
  rate_period_ms?: number | null;
  timeout_ms?: number;
  enabled?: boolean;
}

export interface ScheduleInput {
  name: string;
  event_name: string;
  cron: string;
  timezone?: string;
  props: { [key: string]: Json };
  priority?: number;
}

export interface ListQuery {
  state?: EventState;
  name?: string;
  created_after?: string;
  created_before?: string;
  before_id?: number;
  limit: number;
}

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects problems as "field: message" so one response names them all. */
class Problems {
  readonly list: string[] = [];
  add(field: string, message: string) { this.list.push(`${field} ${message}`); }
  get ok() { return this.list.length === 0; }
}

function unknownFields(o: Obj, allowed: readonly string[], p: Problems, prefix = '') {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) p.add(`${prefix}${key}`, `is not a known field (expected one of: ${allowed.join(', ')}).`);
  }
}

function integer(o: Obj, key: string, min: number, max: number, p: Problems, prefix = ''): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.add(`${prefix}${key}`, `must be an integer from ${min} to ${max}.`);
    return undefined;
  }
  return v;
}

function text(o: Obj, key: string, max: number, p: Problems, prefix = ''): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    p.add(`${prefix}${key}`, `must be a non-empty string of at most ${max} characters.`);
    return undefined;
  }
  return v;
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * Parses an ISO 8601 date-time with a time zone. Date.parse alone accepts too
 * much (it rolls 2026-02-30 over to March 2), so every field is range-checked.
 */
export function parseTimestamp(v: unknown): Date | undefined {
  if (typeof v !== 'string' || v.length > 40) return undefined;
  const m = TIMESTAMP_RE.exec(v);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = 0, , offH = 0, offM = 0] = [
    m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9],
  ].map((x) => (x === undefined || x === 'Z' ? undefined : Number(x))) as number[];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const EVENT_FIELDS = [
  'name', 'props', 'run_at', 'delay_ms', 'priority', 'idempotency_key', 'max_attempts',
  'backoff_base_ms', 'backoff_factor', 'backoff_max_ms',
] as const;

function factor(o: Obj, key: string, p: Problems, prefix = ''): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 10) {
    p.add(`${prefix}${key}`, 'must be a number from 1 to 10.');
    return undefined;
  }
  return v;
}

function enqueueItem(raw: unknown, p: Problems, prefix: string, now: number): EnqueueItem | undefined {
  if (!isObject(raw)) {
    p.add(prefix ? prefix.slice(0, -1) : 'body', 'must be a JSON object.');
    return undefined;
  }
  unknownFields(raw, EVENT_FIELDS, p, prefix);
  const { name, props } = raw;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    p.add(`${prefix}name`, 'is required: a string of 1-100 letters, digits or _ . : - starting with a letter.');
  }
  if (props !== undefined && !isObject(props)) p.add(`${prefix}props`, 'must be a JSON object.');

  let runAt: string | undefined;
  if (raw.run_at !== undefined && raw.delay_ms !== undefined) {
    p.add(`${prefix}run_at`, 'and delay_ms cannot both be given.');
  } else if (raw.run_at !== undefined) {
    const d = parseTimestamp(raw.run_at);
    if (!d || Math.abs(d.getTime() - now) > MAX_DELAY_MS) {
      p.add(`${prefix}run_at`, 'must be an ISO 8601 date-time with a time zone (e.g. 2030-01-01T12:00:00Z) within a year of now.');
    } else runAt = d.toISOString();
  } else if (raw.delay_ms !== undefined) {
    const delay = integer(raw, 'delay_ms', 0, MAX_DELAY_MS, p, prefix);
    if (delay !== undefined) runAt = new Date(now + delay).toISOString();
  }
  const priority = integer(raw, 'priority', -100, 100, p, prefix);
  const key = text(raw, 'idempotency_key', 200, p, prefix);
  const maxAttempts = integer(raw, 'max_attempts', 1, 100, p, prefix);
  const backoffBase = integer(raw, 'backoff_base_ms', 0, 86_400_000, p, prefix);
  const backoffFactor = factor(raw, 'backoff_factor', p, prefix);
  const backoffMax = integer(raw, 'backoff_max_ms', 0, 604_800_000, p, prefix);
  if (!p.ok) return undefined;
  return {
    name: name as string,
    props: (props ?? {}) as EnqueueItem['props'],
    ...(runAt !== undefined && { run_at: runAt }),
    ...(priority !== undefined && { priority }),
    ...(key !== undefined && { idempotency_key: key }),
    ...(maxAttempts !== undefined && { max_attempts: maxAttempts }),
    ...(backoffBase !== undefined && { backoff_base_ms: backoffBase }),
    ...(backoffFactor !== undefined && { backoff_factor: backoffFactor }),
    ...(backoffMax !== undefined && { backoff_max_ms: backoffMax }),
  };
}

/**
 * An enqueue request body: one event `{ name, props, ... }` or a batch
 * `{ events: [ ... ] }`. Returns the items and whether it was a batch.
 */
export function parseEnqueue(body: unknown, now = Date.now(), maxBatch = MAX_BATCH): { batch: boolean; items: EnqueueItem[] } {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object: { "name", "props" } or { "events": [...] }.');
  if ('events' in body) {
    const extra = Object.keys(body).filter((k) => k !== 'events');
    if (extra.length) throw invalidRequest(`A batch takes only "events"; unexpected: ${extra.join(', ')}.`);
    const events = body.events;
    if (!Array.isArray(events) || events.length === 0) throw invalidRequest('"events" must be a non-empty array of events.');
    if (events.length > maxBatch) throw payloadTooLarge(`A batch holds at most ${maxBatch} events; this one has ${events.length}.`);
    const items: EnqueueItem[] = [];
    const errors: Array<{ index: number; problems: string[] }> = [];
    events.forEach((raw, index) => {
      const p = new Problems();
      const item = enqueueItem(raw, p, '', now);
      if (item) items.push(item);
      else errors.push({ index, problems: p.list });
    });
    if (errors.length) {
      throw invalidRequest(`${errors.length} of ${events.length} events are invalid; nothing was enqueued.`, errors);
    }
    return { batch: true, items };
  }
  const p = new Problems();
  const item = enqueueItem(body, p, '', now);
  if (!item) throw invalidRequest(p.list.join(' '), p.list);
  return { batch: false, items: [item] };
}

const HANDLER_FIELDS = [
  'name', 'kind', 'target', 'max_attempts', 'backoff_base_ms', 'backoff_factor', 'backoff_max_ms', 'backoff_jitter',
  'concurrency_limit', 'rate_limit', 'rate_period_ms', 'timeout_ms', 'enabled',
] as const;

/** A handler for POST /registry (create) or PATCH /registry/:name (update). */
export function parseHandler(body: unknown, mode: 'create' | 'update'): HandlerInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object describing the handler.');
  const p = new Problems();
  const allowed = mode === 'create' ? HANDLER_FIELDS : HANDLER_FIELDS.filter((f) => f !== 'name');
  unknownFields(body, allowed, p);
  const out: HandlerInput = {};
  if (mode === 'create') {
    if (typeof body.name !== 'string' || !NAME_RE.test(body.name)) {
      p.add('name', 'is required: a string of 1-100 letters, digits or _ . : - starting with a letter.');
    } else out.name = body.name;
  }
  if (body.kind !== undefined || mode === 'create') {
    if (!HANDLER_KINDS.includes(body.kind as HandlerKind)) p.add('kind', `must be one of: ${HANDLER_KINDS.join(', ')}.`);
    else out.kind = body.kind as HandlerKind;
  }
  if (body.target !== undefined || mode === 'create') {
    const target = text(body, 'target', 2000, p);
    if (target === undefined && body.target === undefined) p.add('target', 'is required.');
    const kind = out.kind;
    if (target !== undefined && kind === 'url' && !/^https?:\/\/\S+$/.test(target)) p.add('target', 'must be an http(s) URL for kind "url".');
    if (target !== undefined && kind === 'function' && !/^[A-Za-z0-9_-]{1,100}$/.test(target)) p.add('target', 'must be an edge function name for kind "function".');
    if (target !== undefined) out.target = target;
  }
  const ints: Array<[keyof HandlerInput & string, number, number]> = [
    ['max_attempts', 1, 100], ['backoff_base_ms', 0, 86_400_000], ['backoff_max_ms', 0, 604_800_000], ['timeout_ms', 100, 150_000],
  ];
  for (const [key, min, max] of ints) {
    const v = integer(body, key, min, max, p);
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  const f = factor(body, 'backoff_factor', p);
  if (f !== undefined) out.backoff_factor = f;
  if (body.backoff_jitter !== undefined) {
    const j = body.backoff_jitter;
    if (typeof j !== 'number' || !Number.isFinite(j) || j < 0 || j > 1) p.add('backoff_jitter', 'must be a number from 0 to 1.');
    else out.backoff_jitter = j;
  }
  // Limits: a number sets one; null (update) removes it. Rate limits come as a pair.
  const limits: Array<[keyof HandlerInput & string, number, number]> = [
    ['concurrency_limit', 1, 10_000], ['rate_limit', 1, 100_000], ['rate_period_ms', 100, 86_400_000],
  ];
  for (const [key, min, max] of limits) {
    if (body[key] === null) (out as Record<string, unknown>)[key] = null;
    else {
      const v = integer(body, key, min, max, p);
      if (v !== undefined) (out as Record<string, unknown>)[key] = v;
    }
  }
  if (('rate_limit' in out) !== ('rate_period_ms' in out) || (out.rate_limit === null) !== (out.rate_period_ms === null)) {
    p.add('rate_limit', 'and rate_period_ms must be given together (both numbers, or both null to remove the limit).');
  }
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') p.add('enabled', 'must be true or false.');
    else out.enabled = body.enabled;
  }
  if (mode === 'update' && p.ok && Object.keys(out).length === 0) p.add('body', 'must change at least one field.');
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return out;
}

const SCHEDULE_FIELDS = ['name', 'event_name', 'cron', 'timezone', 'props', 'priority'] as const;

/** A recurring event for POST /schedules. The cron expression is checked by the database. */
export function parseSchedule(body: unknown): ScheduleInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object describing the schedule.');
  const p = new Problems();
  unknownFields(body, SCHEDULE_FIELDS, p);
  for (const key of ['name', 'event_name'] as const) {
    if (typeof body[key] !== 'string' || !NAME_RE.test(body[key] as string)) {
      p.add(key, 'is required: a string of 1-100 letters, digits or _ . : - starting with a letter.');
    }
  }
  if (typeof body.cron !== 'string' || body.cron.trim() === '' || body.cron.length > 200) {
    p.add('cron', 'is required: a cron expression such as "*/5 * * * *" or "@daily".');
  }
  const timezone = text(body, 'timezone', 64, p);
  if (body.props !== undefined && !isObject(body.props)) p.add('props', 'must be a JSON object.');
  const priority = integer(body, 'priority', -100, 100, p);
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return {
    name: body.name as string,
    event_name: body.event_name as string,
    cron: body.cron as string,
    props: (body.props ?? {}) as ScheduleInput['props'],
    ...(timezone !== undefined && { timezone }),
    ...(priority !== undefined && { priority }),
  };
}

/** POST /events/redrive: { name } */
export function parseRedrive(body: unknown): { name: string } {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object: { "name": "<event name>" }.');
  const p = new Problems();
  unknownFields(body, ['name'], p);
  if (typeof body.name !== 'string' || !NAME_RE.test(body.name)) p.add('name', 'is required: the event name whose dead events to retry.');
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return { name: body.name as string };
}

/** Query string of GET /events. */
export function parseListQuery(q: Record<string, string | undefined>): ListQuery {
  const p = new Problems();
  unknownFields(q, ['state', 'name', 'created_after', 'created_before', 'before_id', 'limit'], p);
  const out: ListQuery = { limit: 50 };
  if (q.state !== undefined) {
    if (!EVENT_STATES.includes(q.state as EventState)) p.add('state', `must be one of: ${EVENT_STATES.join(', ')}.`);
    else out.state = q.state as EventState;
  }
  if (q.name !== undefined) {
    if (!NAME_RE.test(q.name)) p.add('name', 'must be an event name.');
    else out.name = q.name;
  }
  for (const key of ['created_after', 'created_before'] as const) {
    if (q[key] === undefined) continue;
    const d = parseTimestamp(q[key]);
    if (!d) p.add(key, 'must be an ISO 8601 date-time with a time zone.');
    else out[key] = d.toISOString();
  }
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

/** A positive integer id from a path or query parameter. */
export function parseId(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^[1-9]\d{0,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}
