// events: read and steer events. A user's token sees only the events it
// enqueued; the service role sees all.
//   GET    /events                  list (state, name, schedule, created_after, created_before, before_id, limit)
//   GET    /events/:id              one event with its runs
//   POST   /events/:id/cancel       scheduled|queued -> cancelled; processing -> cancel_requested_at set,
//                                   the attempt stopped at its next heartbeat (409 once ended)
//   POST   /events/:id/retry        dead|cancelled -> queued
//   POST   /events/:id/reschedule   { run_at | delay_ms, priority }: scheduled|queued only (409 otherwise)
//   DELETE /events/:id              delete it with its runs; not while processing (409)
//   POST   /events/cancel           { filter, limit?, dry_run? }: cancel / retry / delete one batch of the
//   POST   /events/retry              events the filter matches -> { count, next_before_id, dry_run }
//   POST   /events/delete
//   POST   /events/redrive          { name }: retry every dead event of a name
//   GET    /events/stats            per name: counts per state, oldest due age, recent runs (service role)
//   GET    /events/stats/minutes    the last hour, a row a minute: runs started and failed, oldest due age (service role)
import type { Context } from 'hono';
import { BULK_VERBS, bulk, cancel, deleteEvent, getEvent, listEvents, redrive, reschedule, retry, stats, statsByMinute } from '../../src/shared/db.ts';
import { forbidden, invalidRequest, notFound } from '../../src/shared/errors.ts';
import { createFunctionApp, ownerOf, readJson, type Env, type QueueFunctionDeps } from '../../src/shared/http.ts';
import { parseBulk, parseId, parseListQuery, parseRedrive, parseReschedule } from '../../src/shared/validate.ts';

function idParam(c: Context<Env>): number {
  const id = parseId(c.req.param('id'));
  if (id === undefined) throw invalidRequest(`"${c.req.param('id')}" is not an event id (a positive integer).`);
  return id;
}

export function createApp(deps: QueueFunctionDeps) {
  const app = createFunctionApp('events', { auth: deps.auth, roles: ['authenticated', 'service_role'] });

  app.get('/', async (c) => {
    const query = parseListQuery(c.req.query());
    const events = await listEvents(deps.sql, query, ownerOf(c.get('claims')));
    const next = events.length === query.limit ? events[events.length - 1].id : null;
    return c.json({ events, next_before_id: next });
  });

  const serviceOnly = (role: string) => {
    if (role !== 'service_role') throw forbidden('Stats cover every user\'s events: they need the service_role key.');
  };
  app.get('/stats', async (c) => {
    serviceOnly(c.get('claims').role);
    return c.json({ stats: await stats(deps.sql) });
  });

  app.get('/stats/minutes', async (c) => {
    serviceOnly(c.get('claims').role);
    return c.json({ minutes: await statsByMinute(deps.sql) });
  });

  app.post('/redrive', async (c) => {
    const { name } = parseRedrive(await readJson(c));
    return c.json({ name, redriven: await redrive(deps.sql, name, ownerOf(c.get('claims'))) });
  });

  for (const verb of BULK_VERBS) {
    app.post(`/${verb}`, async (c) => {
      const input = parseBulk(await readJson(c));
      return c.json({ ...await bulk(deps.sql, verb, input, ownerOf(c.get('claims'))), dry_run: input.dry_run });
    });
  }

  app.get('/:id', async (c) => {
    const id = idParam(c);
    const event = await getEvent(deps.sql, id, ownerOf(c.get('claims')));
    if (!event) throw notFound(`Event ${id} does not exist.`);
    return c.json(event);
  });

  app.post('/:id/cancel', async (c) => c.json(await cancel(deps.sql, idParam(c), ownerOf(c.get('claims')))));
  app.post('/:id/retry', async (c) => c.json(await retry(deps.sql, idParam(c), ownerOf(c.get('claims')))));
  app.post('/:id/reschedule', async (c) => {
    const id = idParam(c);
    const change = parseReschedule(await readJson(c));
    return c.json(await reschedule(deps.sql, id, change, ownerOf(c.get('claims'))));
  });
  app.delete('/:id', async (c) => c.json(await deleteEvent(deps.sql, idParam(c), ownerOf(c.get('claims')))));

  return app;
}
