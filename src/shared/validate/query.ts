// GET /events query strings and path ids.
import { invalidRequest } from '../errors.ts';
import { EVENT_STATES, type EventState } from '../states.ts';
import { NAME_RE, Problems, unknownFields } from './fields.ts';
import { parseTimestamp } from './timestamp.ts';

export interface ListQuery {
  state?: EventState;
  name?: string;
  created_after?: string;
  created_before?: string;
  before_id?: number;
  limit: number;
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
