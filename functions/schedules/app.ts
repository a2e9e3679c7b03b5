// schedules: recurring events. Service role only.
//   GET    /schedules        list         POST /schedules  create { name, event_name, cron, timezone?, props?, priority? }
//   GET    /schedules/:name  get one      DELETE /schedules/:name  delete
import { createSchedule, deleteSchedule, getSchedule, listSchedules } from '../../src/shared/db.ts';
import { notFound } from '../../src/shared/errors.ts';
import { createFunctionApp, readJson, type QueueFunctionDeps } from '../../src/shared/http.ts';
import { parseSchedule } from '../../src/shared/validate.ts';

export function createApp(deps: QueueFunctionDeps) {
  const app = createFunctionApp('schedules', { auth: deps.auth, roles: ['service_role'] });

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
