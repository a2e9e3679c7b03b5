// handlers: which handler runs each event name (queue.handlers). Service role only.
//   GET /handlers          list          POST   /handlers        create
//   GET /handlers/:name    get one       PATCH  /handlers/:name  update
//                                        DELETE /handlers/:name  delete
import { Hono } from 'hono';
import type { AuthConfig } from '../../src/shared/auth.ts';
import { createHandler, deleteHandler, getHandler, listHandlers, updateHandler, type Sql } from '../../src/shared/db.ts';
import { notFound } from '../../src/shared/errors.ts';
import { corsMiddleware, notFoundHandler, onError, readJson, requireRole, type Env } from '../../src/shared/http.ts';
import { parseHandler } from '../../src/shared/validate.ts';

export interface HandlersDeps {
  sql: Sql;
  /** Who may call: the project's keys and JWKS (authConfigFromEnv). */
  auth: AuthConfig;
}

export function createApp(deps: HandlersDeps) {
  const app = new Hono<Env>().basePath('/handlers');
  app.onError(onError);
  app.notFound(notFoundHandler);
  app.use('*', corsMiddleware());
  app.use('*', requireRole(deps.auth, 'service_role'));

  app.get('/', async (c) => c.json({ handlers: await listHandlers(deps.sql) }));

  app.post('/', async (c) => {
    const handler = parseHandler(await readJson(c), 'create');
    return c.json(await createHandler(deps.sql, handler), 201);
  });

  app.get('/:name', async (c) => {
    const handler = await getHandler(deps.sql, c.req.param('name'));
    if (!handler) throw notFound(`No handler is registered for event "${c.req.param('name')}".`);
    return c.json(handler);
  });

  app.patch('/:name', async (c) => {
    const patch = parseHandler(await readJson(c), 'update');
    return c.json(await updateHandler(deps.sql, c.req.param('name'), patch));
  });

  app.delete('/:name', async (c) => c.json(await deleteHandler(deps.sql, c.req.param('name'))));

  return app;
}
