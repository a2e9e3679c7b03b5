// POST /enqueue bodies: one event or a batch.
import { invalidRequest, payloadTooLarge } from '../errors.ts';
import type { Json } from '../json.ts';
import { factor, integer, isObject, NAME_RE, NAME_RULE, Problems, propsWithinLimits, text, unknownFields, type Obj } from './fields.ts';
import type { EnqueueOptions, RescheduleOptions } from '../requests.ts';
import { parseTimestamp } from './timestamp.ts';

/**
 * The integer ranges of queue.events' CHECK constraints, for messages a
 * caller can act on (the constraints decide; test/closed-sets.test.ts holds
 * this table to them).
 */
export const EVENT_RANGES = {
  priority: [-100, 100],
  max_attempts: [1, 100],
  backoff_base_ms: [0, 86_400_000],
  backoff_max_ms: [0, 604_800_000],
} as const satisfies Record<string, readonly [number, number]>;

/** Most events one enqueue request may carry. (Default: 10000) */
export const MAX_BATCH = 10_000;
/** Longest delay or furthest run_at accepted: one year. */
const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;

/** One event as the SQL function queue.enqueue_many takes it: delay_ms already turned into run_at. */
export type EnqueueItem = Omit<EnqueueOptions, 'run_at' | 'delay_ms'> & {
  name: string;
  props: { [key: string]: Json };
  run_at?: string;
};

const EVENT_FIELDS = [
  'name', 'props', 'run_at', 'delay_ms', 'priority', 'idempotency_key', 'max_attempts',
  'backoff_base_ms', 'backoff_factor', 'backoff_max_ms',
] as const;

/** `run_at` or `delay_ms` (not both) as an ISO 8601 run_at within a year of `now`; undefined when neither is given. */
function runAtOf(raw: Obj, p: Problems, prefix: string, now: number): string | undefined {
  if (raw.run_at !== undefined && raw.delay_ms !== undefined) {
    p.add(`${prefix}run_at`, 'and delay_ms cannot both be given.');
  } else if (raw.run_at !== undefined) {
    const d = parseTimestamp(raw.run_at);
    if (!d || Math.abs(d.getTime() - now) > MAX_DELAY_MS) {
      p.add(`${prefix}run_at`, 'must be an ISO 8601 date-time with a time zone (e.g. 2030-01-01T12:00:00Z) within a year of now.');
    } else return d.toISOString();
  } else if (raw.delay_ms !== undefined) {
    const delay = integer(raw, 'delay_ms', 0, MAX_DELAY_MS, p, prefix);
    if (delay !== undefined) return new Date(now + delay).toISOString();
  }
  return undefined;
}

function enqueueItem(raw: unknown, p: Problems, prefix: string, now: number): EnqueueItem | undefined {
  if (!isObject(raw)) {
    p.add(prefix ? prefix.slice(0, -1) : 'body', 'must be a JSON object.');
    return undefined;
  }
  unknownFields(raw, EVENT_FIELDS, p, prefix);
  const { name, props } = raw;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    p.add(`${prefix}name`, `is required: ${NAME_RULE}`);
  }
  if (props !== undefined && !isObject(props)) p.add(`${prefix}props`, 'must be a JSON object.');
  else if (props !== undefined) propsWithinLimits(props, `${prefix}props`, p);

  const runAt = runAtOf(raw, p, prefix, now);
  const priority = integer(raw, 'priority', ...EVENT_RANGES.priority, p, prefix);
  const key = text(raw, 'idempotency_key', 200, p, prefix);
  const maxAttempts = integer(raw, 'max_attempts', ...EVENT_RANGES.max_attempts, p, prefix);
  const backoffBase = integer(raw, 'backoff_base_ms', ...EVENT_RANGES.backoff_base_ms, p, prefix);
  const backoffFactor = factor(raw, 'backoff_factor', p, prefix);
  const backoffMax = integer(raw, 'backoff_max_ms', ...EVENT_RANGES.backoff_max_ms, p, prefix);
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

/** What POST /events/:id/reschedule sends to queue.reschedule: delay_ms already turned into run_at. */
export interface RescheduleInput {
  run_at?: string;
  priority?: number;
}

const RESCHEDULE_FIELDS = ['run_at', 'delay_ms', 'priority'] as const satisfies ReadonlyArray<keyof RescheduleOptions>;

/** POST /events/:id/reschedule: { run_at | delay_ms, priority }, at least one, checked as enqueue checks them. */
export function parseReschedule(body: unknown, now = Date.now()): RescheduleInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object: { "run_at" or "delay_ms", "priority" }.');
  const p = new Problems();
  unknownFields(body, RESCHEDULE_FIELDS, p);
  const runAt = runAtOf(body, p, '', now);
  const priority = integer(body, 'priority', ...EVENT_RANGES.priority, p);
  if (p.ok && runAt === undefined && priority === undefined) p.add('body', 'must give run_at, delay_ms or priority.');
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return { ...(runAt !== undefined && { run_at: runAt }), ...(priority !== undefined && { priority }) };
}
