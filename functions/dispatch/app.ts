// dispatch: runs a claimed batch. Called by queue.tick() through pg_net (and
// by tests) with { worker, events, handlers }; runs every event through its
// handler concurrently, then records all outcomes with one settle() call.
import { Hono } from 'hono';
import { settle, type ClaimedEvent, type Sql } from '../../src/shared/db.ts';
import { invalidRequest } from '../../src/shared/errors.ts';
import { notFoundHandler, onError, readJson, requireRole, type Env } from '../../src/shared/http.ts';
import { HANDLER_KINDS } from '../../src/shared/states.ts';
import { codeHandlers as defaultCodeHandlers, type CodeHandler } from './code-handlers.ts';
import { runEvent, type HandlerTarget } from './run-event.ts';

export interface DispatchDeps {
  sql: Sql;
  functionsUrl: string;
  serviceRoleKey: string;
  /** (Default: the built-in Addition, Subtraction, Multiplication, Division) */
  codeHandlers?: Record<string, CodeHandler>;
  /** (Default: globalThis.fetch) */
  fetch?: typeof fetch;
}

interface Batch {
  worker: string;
  events: ClaimedEvent[];
  handlers: Record<string, HandlerTarget>;
}

function parseBatch(body: unknown): Batch {
  const b = body as Partial<Batch> | null;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalidRequest('The body must be a batch: { worker, events, handlers }.');
  if (!Array.isArray(b.events)) throw invalidRequest('"events" must be an array of claimed events.');
  for (const [i, e] of b.events.entries()) {
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.id) || !Number.isInteger(e.run_id) || typeof e.name !== 'string') {
      throw invalidRequest(`events[${i}] must be a claimed event with integer id and run_id and a name.`);
    }
  }
  const handlers = b.handlers ?? {};
  if (typeof handlers !== 'object' || Array.isArray(handlers)) throw invalidRequest('"handlers" must map event names to handlers.');
  for (const [name, h] of Object.entries(handlers)) {
    if (!HANDLER_KINDS.includes(h?.kind) || typeof h.target !== 'string' || !Number.isInteger(h.timeout_ms)) {
      throw invalidRequest(`handlers.${name} must be { kind, target, timeout_ms }.`);
    }
  }
  return { worker: String(b.worker ?? 'unknown'), events: b.events, handlers };
}

export function createApp(deps: DispatchDeps) {
  const runDeps = {
    codeHandlers: deps.codeHandlers ?? defaultCodeHandlers,
    functionsUrl: deps.functionsUrl,
    serviceRoleKey: deps.serviceRoleKey,
    fetch: deps.fetch ?? fetch,
  };
  const app = new Hono<Env>().basePath('/dispatch');
  app.onError(onError);
  app.notFound(notFoundHandler);
  app.use('*', requireRole('service_role'));

  app.post('/', async (c) => {
    const batch = parseBatch(await readJson(c));
    const outcomes = await Promise.all(batch.events.map((e) => runEvent(e, batch.handlers[e.name], runDeps)));
    const settled = outcomes.length ? await settle(deps.sql, outcomes) : [];
    return c.json({ worker: batch.worker, settled });
  });

  return app;
}
