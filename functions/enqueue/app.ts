// enqueue: POST one event { name, props, ... } or a batch { events: [...] }.
// Returns the ids; an idempotency key that was seen before returns the
// existing event with created: false.
import { Hono } from 'hono';
import type { AuthConfig } from '../../src/shared/auth.ts';
import { enqueueMany, type Sql } from '../../src/shared/db.ts';
import { corsMiddleware, notFoundHandler, onError, ownerOf, readJson, requireRole, type Env } from '../../src/shared/http.ts';
import { parseEnqueue } from '../../src/shared/validate.ts';

export interface EnqueueDeps {
  sql: Sql;
  /** Who may call: the project's keys and JWKS (authConfigFromEnv). */
  auth: AuthConfig;
}

export function createApp(deps: EnqueueDeps) {
  const app = new Hono<Env>().basePath('/enqueue');
  app.onError(onError);
  app.notFound(notFoundHandler);
  app.use('*', corsMiddleware());
  app.use('*', requireRole(deps.auth, 'authenticated', 'service_role'));

  app.post('/', async (c) => {
    const { batch, items } = parseEnqueue(await readJson(c));
    const rows = await enqueueMany(deps.sql, items, ownerOf(c.get('claims')));
    if (batch) return c.json({ events: rows }, 201);
    return c.json(rows[0], rows[0].created ? 201 : 200);
  });

  return app;
}
