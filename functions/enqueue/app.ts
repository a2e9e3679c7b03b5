// enqueue: POST one event { name, props, ... } or a batch { events: [...] }.
// Returns the ids; an idempotency key that was seen before returns the
// existing event with created: false.
import { enqueueMany } from '../../src/shared/db.ts';
import { createFunctionApp, ownerOf, readJson, type QueueFunctionDeps } from '../../src/shared/http.ts';
import { parseEnqueue } from '../../src/shared/validate.ts';

export function createApp(deps: QueueFunctionDeps) {
  const app = createFunctionApp('enqueue', { auth: deps.auth, roles: ['authenticated', 'service_role'] });

  app.post('/', async (c) => {
    const { batch, items } = parseEnqueue(await readJson(c));
    const rows = await enqueueMany(deps.sql, items, ownerOf(c.get('claims')));
    if (batch) return c.json({ events: rows }, 201);
    return c.json(rows[0], rows[0].created ? 201 : 200);
  });

  return app;
}
