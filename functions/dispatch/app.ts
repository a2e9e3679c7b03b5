// dispatch: runs events. Two routes, service role only, each answering 202
// at once and working after the response (EdgeRuntime.waitUntil): pg_net
// takes its next batch of requests only when every request of the current
// one has finished, so a request held open by dispatch would hold up every
// other pg_net user of the project.
//   POST /dispatch        a batch claimed by queue.tick() (the cron path):
//                         { worker, events: [claimed rows, each with its handler] }
//   POST /dispatch/drain  a kick: start (or wake) this worker's drainer.
// A handler's failure is data on its run; it never fails the request.
import type { AuthConfig } from '../../src/shared/auth.ts';
import type { Claimed } from '../../src/shared/db.ts';
import { invalidRequest } from '../../src/shared/errors.ts';
import { createFunctionApp, readJson } from '../../src/shared/http.ts';
import { HANDLER_KINDS } from '../../src/shared/states.ts';
import type { Dispatcher } from './dispatcher.ts';

export interface DispatchDeps {
  dispatcher: Dispatcher;
  auth: AuthConfig;
  /** Keeps the worker alive for work after the response (EdgeRuntime.waitUntil on the platform). */
  waitUntil: (work: Promise<unknown>) => void;
  log?: (line: string) => void;
}

interface Batch {
  worker: string;
  events: Claimed[];
}

function parseBatch(body: unknown): Batch {
  const b = body as Partial<Batch> | null;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalidRequest('The body must be a batch: { worker, events }.');
  const unknown = Object.keys(b).filter((k) => k !== 'worker' && k !== 'events');
  if (unknown.length) throw invalidRequest(`${unknown.map((k) => `"${k}"`).join(', ')} is not a field of a batch: { worker, events }.`);
  if (!Array.isArray(b.events)) throw invalidRequest('"events" must be an array of claimed events.');
  for (const [i, e] of b.events.entries()) {
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.id) || !Number.isSafeInteger(e.run_id) || typeof e.name !== 'string') {
      throw invalidRequest(`events[${i}] must be a claimed event with integer id and run_id and a name.`);
    }
    if (!HANDLER_KINDS.includes(e.kind) || typeof e.target !== 'string' || !Number.isSafeInteger(e.timeout_ms)) {
      throw invalidRequest(`events[${i}] must carry its handler: kind, target and timeout_ms.`);
    }
  }
  return { worker: String(b.worker ?? 'unknown'), events: b.events };
}

export function createApp(deps: DispatchDeps) {
  const log = deps.log ?? ((line: string) => console.error(line));
  const background = (what: string, work: Promise<unknown>) =>
    deps.waitUntil(work.catch((err) => log(`dispatch: ${what} failed: ${err}`)));
  // No CORS: only pg_net (the tick, kicks) and dispatch itself call it, never a browser.
  const app = createFunctionApp('dispatch', { auth: deps.auth, roles: ['service_role'], cors: false });

  app.post('/', async (c) => {
    const batch = parseBatch(await readJson(c));
    background(`batch ${batch.worker}`, deps.dispatcher.runBatch(batch.events));
    return c.json({ worker: batch.worker, accepted: batch.events.length }, 202);
  });

  app.post('/drain', (c) => {
    background('drain', deps.dispatcher.drain());
    return c.json({ accepted: true }, 202);
  });

  return app;
}
