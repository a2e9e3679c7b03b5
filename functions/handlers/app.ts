// handlers: which handler runs each event name (queue.handlers). Service role only.
//   GET /handlers          list          POST   /handlers        create
//   GET /handlers/:name    get one       PATCH  /handlers/:name  update
//                                        DELETE /handlers/:name  delete
import { createHandler, deleteHandler, getHandler, listHandlers, updateHandler } from '../../src/shared/db.ts';
import { notFound } from '../../src/shared/errors.ts';
import { createFunctionApp, readJson, type QueueFunctionDeps } from '../../src/shared/http.ts';
import { parseHandler } from '../../src/shared/validate.ts';

export function createApp(deps: QueueFunctionDeps) {
  const app = createFunctionApp('handlers', { auth: deps.auth, roles: ['service_role'] });

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
