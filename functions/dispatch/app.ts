// dispatch: runs events. Two routes, service role only:
//   POST /dispatch        a batch claimed by queue.tick() (the cron path):
//                         { worker, events, handlers }; runs every event,
//                         then records all outcomes with one settle().
//   POST /dispatch/drain  a kick: claims and runs due events itself for a
//                         bounded time (see drain.ts).
// A handler's failure is data on its run; it never fails the request.
import { Hono } from 'hono';
import { heartbeat, type ClaimedEvent, type Sql } from '../../src/shared/db.ts';
import { invalidRequest } from '../../src/shared/errors.ts';
import { notFoundHandler, onError, readJson, requireRole, type Env } from '../../src/shared/http.ts';
import { HANDLER_KINDS } from '../../src/shared/states.ts';
import { codeHandlers as defaultCodeHandlers, type CodeHandler } from './code-handlers.ts';
import { drain, type DrainOptions } from './drain.ts';
import type { HandlerTarget, RunDeps } from './run-event.ts';
import { createRunner } from './runner.ts';

export interface DispatchDeps {
  sql: Sql;
  functionsUrl: string;
  serviceRoleKey: string;
  /** (Default: the built-in Addition, Subtraction, Multiplication, Division) */
  codeHandlers?: Record<string, CodeHandler>;
  /** (Default: globalThis.fetch) */
  fetch?: typeof fetch;
  /** Drainer tuning (Default: see DrainOptions) */
  drain?: DrainOptions;
  /** Lease heartbeat period in ms (Default: 10000) */
  heartbeatMs?: number;
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
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.id) || !Number.isSafeInteger(e.run_id) || typeof e.name !== 'string') {
      throw invalidRequest(`events[${i}] must be a claimed event with integer id and run_id and a name.`);
    }
  }
  const handlers = b.handlers ?? {};
  if (typeof handlers !== 'object' || handlers === null || Array.isArray(handlers)) throw invalidRequest('"handlers" must map event names to handlers.');
  for (const [name, h] of Object.entries(handlers)) {
    if (!HANDLER_KINDS.includes(h?.kind) || typeof h.target !== 'string' || !Number.isSafeInteger(h.timeout_ms)) {
      throw invalidRequest(`handlers.${name} must be { kind, target, timeout_ms }.`);
    }
  }
  return { worker: String(b.worker ?? 'unknown'), events: b.events, handlers };
}

export function createApp(deps: DispatchDeps) {
  const run: RunDeps = {
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
    // A batch may arrive late (pg_net was down): attempts already reclaimed are skipped.
    const live = batch.events.length ? await heartbeat(deps.sql, batch.events.map((e) => e.run_id)) : new Map();
    const running = batch.events.filter((e) => live.get(e.run_id) === 'running');
    const runner = createRunner({ sql: deps.sql, run, heartbeatMs: deps.heartbeatMs });
    runner.start(running, batch.handlers);
    const { settled } = await runner.idle();
    return c.json({ worker: batch.worker, settled, skipped: batch.events.length - running.length });
  });

  app.post('/drain', async (c) => {
    const result = await drain(deps.sql, run, { heartbeatMs: deps.heartbeatMs, ...deps.drain });
    return c.json(result);
  });

  return app;
}
