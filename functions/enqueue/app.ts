// enqueue: POST one event { name, props, ... } or a batch { events: [...] }.
// Returns the ids; an idempotency key that was seen before returns the
// existing event with created: false.
import { groupCommit } from '../../src/shared/group-commit.ts';
import { createFunctionApp, ownerOf, readJson, type QueueFunctionDeps } from '../../src/shared/http.ts';
import { parseEnqueue } from '../../src/shared/validate.ts';

export function createApp(deps: QueueFunctionDeps) {
  const app = createFunctionApp('enqueue', { auth: deps.auth, roles: ['authenticated', 'service_role'] });

  const enqueue = groupCommit(deps.sql);

  app.post('/', async (c) => {
    const { batch, items } = parseEnqueue(await readJson(c));
    const rows = await enqueue(items, ownerOf(c.get('claims')));
    if (batch) return c.json({ events: rows }, 201);
    return c.json(rows[0], rows[0].created ? 201 : 200);
  });

  return app;
}
