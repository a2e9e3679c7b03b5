// schedules: recurring events. Service role only.
//   GET    /schedules        list         POST /schedules  create { name, event_name, cron, timezone?, props?, priority? }
//   GET    /schedules/:name  get one      DELETE /schedules/:name  delete
import { Hono } from 'hono';
import type { AuthConfig } from '../../src/shared/auth.ts';
import { createSchedule, deleteSchedule, getSchedule, listSchedules, type Sql } from '../../src/shared/db.ts';
import { notFound } from '../../src/shared/errors.ts';
import { corsMiddleware, notFoundHandler, onError, readJson, requireRole, type Env } from '../../src/shared/http.ts';
import { parseSchedule } from '../../src/shared/validate.ts';

export interface SchedulesDeps {
  sql: Sql;
  /** Who may call: the project's keys and JWKS (authConfigFromEnv). */
  auth: AuthConfig;
}

export function createApp(deps: SchedulesDeps) {
  const app = new Hono<Env>().basePath('/schedules');
  app.onError(onError);
  app.notFound(notFoundHandler);
  app.use('*', corsMiddleware());
  app.use('*', requireRole(deps.auth, 'service_role'));

  app.get('/', async (c) => c.json({ schedules: await listSchedules(deps.sql) }));

  app.post('/', async (c) => c.json(await createSchedule(deps.sql, parseSchedule(await readJson(c))), 201));

  app.get('/:name', async (c) => {
    const schedule = await getSchedule(deps.sql, c.req.param('name'));
    if (!schedule) throw notFound(`No schedule is named "${c.req.param('name')}".`);
    return c.json(schedule);
  });

  app.delete('/:name', async (c) => c.json(await deleteSchedule(deps.sql, c.req.param('name'))));

  return app;
}
