// POST /schedules and POST /events/redrive bodies.
import { invalidRequest } from '../errors.ts';
import type { Json } from '../json.ts';
import { integer, isObject, NAME_RE, NAME_RULE, Problems, propsWithinLimits, text, unknownFields } from './fields.ts';

export interface ScheduleInput {
  name: string;
  event_name: string;
  cron: string;
  timezone?: string;
  props: { [key: string]: Json };
  priority?: number;
}

const SCHEDULE_FIELDS = ['name', 'event_name', 'cron', 'timezone', 'props', 'priority'] as const;

/** A recurring event for POST /schedules. The cron expression is checked by the database. */
export function parseSchedule(body: unknown): ScheduleInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object describing the schedule.');
  const p = new Problems();
  unknownFields(body, SCHEDULE_FIELDS, p);
  for (const key of ['name', 'event_name'] as const) {
    if (typeof body[key] !== 'string' || !NAME_RE.test(body[key] as string)) {
      p.add(key, `is required: ${NAME_RULE}`);
    }
  }
  if (typeof body.cron !== 'string' || body.cron.trim() === '' || body.cron.length > 200) {
    p.add('cron', 'is required: a cron expression such as "*/5 * * * *" or "@daily".');
  }
  const timezone = text(body, 'timezone', 64, p);
  if (body.props !== undefined && !isObject(body.props)) p.add('props', 'must be a JSON object.');
  else if (body.props !== undefined) propsWithinLimits(body.props, 'props', p);
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
