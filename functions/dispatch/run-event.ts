// Runs one claimed event through its handler and turns whatever happens into
// an Outcome: a handler's error or timeout is data for settle(), never an
// exception that escapes the batch.
import type { Claimed, Outcome } from '../../src/shared/db.ts';
import type { HeartbeatStatus } from '../../src/shared/states.ts';
import type { Json } from '../../src/shared/json.ts';
import type { CodeHandler } from './code-handlers.ts';

export interface RunDeps {
  codeHandlers: Record<string, CodeHandler>;
  /** Base URL of this project's functions, e.g. https://<ref>.supabase.co/functions/v1 */
  functionsUrl: string;
  /** The project's secret key, sent in `apikey` to `function` handlers. */
  secretKey: string;
  fetch: typeof fetch;
}

class Timeout extends Error {}

function describe(err: unknown): { message: string; [k: string]: Json } {
  if (err instanceof Error) return { message: err.message || err.name, name: err.name };
  return { message: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err) };
}

async function callHttp(url: string, headers: Record<string, string>, event: Claimed, deps: RunDeps, signal: AbortSignal): Promise<Json> {
  const res = await deps.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ id: event.id, name: event.name, props: event.props, attempt: event.attempt }),
    signal,
  });
  const text = await res.text();
  let body: Json = text;
  try { body = text ? JSON.parse(text) : null; } catch { /* keep the text */ }
  if (!res.ok) throw new Error(`The handler at ${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return body;
}

/**
 * How a call to another function of this project authenticates: the key in
 * `apikey`; a legacy service_role JWT also as Bearer, for a target that still
 * has verify_jwt on (an sb_ key is never a Bearer token: it is not a JWT).
 */
const functionHeaders = (key: string): Record<string, string> =>
  key.startsWith('sb_') ? { apikey: key } : { apikey: key, authorization: `Bearer ${key}` };

/**
 * Starts the handler: its answer, when a code handler gave it at once, or a
 * promise of it. `signal` makes the attempt's AbortSignal when first asked
 * for: a code handler that never reads it costs no controller.
 */
function invoke(event: Claimed, deps: RunDeps, signal: () => AbortSignal): Json | PromiseLike<Json> {
  switch (event.kind) {
    case 'code': {
      const fn = deps.codeHandlers[event.target];
      if (!fn) throw new Error(`No code handler "${event.target}" is built into dispatch.`);
      return fn(event.props, { id: event.id, name: event.name, attempt: event.attempt, get signal() { return signal(); } });
    }
    case 'function':
      return callHttp(`${deps.functionsUrl}/${event.target}`, functionHeaders(deps.secretKey), event, deps, signal());
    case 'url':
      return callHttp(event.target, {}, event, deps, signal());
  }
}

const isPromiseLike = (x: unknown): x is PromiseLike<Json> =>
  typeof x === 'object' && x !== null && typeof (x as PromiseLike<Json>).then === 'function';

/** Why a running attempt was stopped from outside: what its heartbeat answered. */
export type StopReason = Exclude<HeartbeatStatus, 'running'>;

class Stopped extends Error {
  constructor(readonly reason: StopReason) {
    super(reason === 'cancelled' ? 'The event was cancelled while this attempt ran.' : 'The attempt lost its lease.');
  }
}

/**
 * Runs one attempt. Resolves to its outcome, or to null when `stop` fired
 * with 'gone' (the attempt was reclaimed: any outcome would be ignored).
 * The handler's AbortSignal fires on timeout and on stop, so handlers that
 * honour it stop working; the outcome does not wait for those that don't.
 * A code handler that answers at once is over before anything could
 * interrupt it: no timer and no listener are set for it (a few microseconds
 * an attempt, which a drainer running thousands a second spends on nothing).
 */
export async function runEvent(event: Claimed, deps: RunDeps, stop?: AbortSignal): Promise<Outcome | null> {
  let controller: AbortController | undefined;
  let aborted = false;
  const signal = () => {
    if (!controller) {
      controller = new AbortController();
      if (aborted) controller.abort(); // asked for after the timeout or the stop
    }
    return controller.signal;
  };
  const abort = () => { aborted = true; controller?.abort(); };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onStop: (() => void) | undefined;
  try {
    if (stop?.aborted) throw new Stopped(stop.reason as StopReason);
    const answer = invoke(event, deps, signal);
    const result = !isPromiseLike(answer) ? answer : await Promise.race([answer, new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort();
        reject(new Timeout(`The handler did not finish within its timeout of ${event.timeout_ms} ms.`));
      }, event.timeout_ms);
      onStop = () => {
        abort();
        reject(new Stopped(stop!.reason as StopReason));
      };
      stop?.addEventListener('abort', onStop, { once: true });
    })]);
    return { run_id: event.run_id, outcome: 'succeeded', result: result === undefined ? null : result };
  } catch (err) {
    if (err instanceof Stopped) {
      return err.reason === 'gone' ? null : { run_id: event.run_id, outcome: 'cancelled', error: describe(err) };
    }
    return { run_id: event.run_id, outcome: err instanceof Timeout ? 'timed_out' : 'failed', error: describe(err) };
  } finally {
    clearTimeout(timer);
    if (onStop) stop?.removeEventListener('abort', onStop);
  }
}
