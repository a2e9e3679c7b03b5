// One request to an edge function through supabase.functions.invoke, with
// every failure turned into a QueueError carrying the route's stable `code`
// ({ "error": { "code", "message", "details"? } }), so callers branch on
// `err.code` whatever went wrong: the queue, the gateway or the network.
import { QueueError } from '../shared/errors.ts';
import type { HttpMethod, SupabaseLike } from './supabase-like.ts';
import { isoTimestamps } from './timestamps.ts';

type Status = QueueError['status'];
const STATUSES: readonly number[] = [400, 401, 403, 404, 409, 413, 422, 500, 503];
const CODES: Record<number, string> = {
  400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large',
};

interface ResponseLike { status: number; text(): Promise<string> }
const isResponse = (v: unknown): v is ResponseLike =>
  typeof v === 'object' && v !== null && typeof (v as ResponseLike).status === 'number' && typeof (v as ResponseLike).text === 'function';

/** A status QueueError can carry: itself when known, else 500 for server errors and 400 for the rest. */
const statusOf = (status: number): Status => (STATUSES.includes(status) ? status : status >= 500 ? 500 : 400) as Status;

/**
 * Maps what functions.invoke returned as `error` to a QueueError:
 * the queue's own error body keeps its status, code, message and details
 * (a refused credential is the function's own 401 `unauthorized` or 403
 * `forbidden`); a gateway's 401 `{ code, message }` (a function deployed with
 * verify_jwt on) becomes `unauthorized`; a relay or network
 * failure becomes 503 `unavailable`. The HTTP status is also in details when
 * it is not one QueueError names.
 */
export async function toQueueError(error: unknown, route: string): Promise<QueueError> {
  const err = error as { name?: string; message?: string; context?: unknown };
  if (err?.name === 'FunctionsHttpError' && isResponse(err.context)) {
    const res = err.context;
    const text = await res.text().catch(() => '');
    let body: any;
    try { body = JSON.parse(text); } catch { body = undefined; }
    const status = statusOf(res.status);
    const extra = status === res.status ? {} : { http_status: res.status };
    if (body?.error && typeof body.error.code === 'string') {
      const details = body.error.details ?? (Object.keys(extra).length ? extra : undefined);
      return new QueueError(status, body.error.code, String(body.error.message ?? ''), details);
    }
    const message = typeof body?.message === 'string' ? body.message : `The ${route} function answered ${res.status}: ${text.slice(0, 200)}`;
    return new QueueError(status, CODES[res.status] ?? (res.status >= 500 ? 'unavailable' : 'invalid_request'), message, { http_status: res.status });
  }
  if (err?.name === 'FunctionsRelayError' || err?.name === 'FunctionsFetchError') {
    return new QueueError(503, 'unavailable', `Could not reach the ${route} function (${err.message}).`);
  }
  return new QueueError(500, 'internal', `Calling the ${route} function failed: ${err?.message ?? String(error)}`);
}

/** Calls `<function>/<path>` and returns its JSON answer (timestamps in toISOString() form), or throws a QueueError. */
export async function request<T>(client: SupabaseLike, path: string, method: HttpMethod, body?: unknown): Promise<T> {
  const { data, error } = await client.functions.invoke(path, { method, ...(body !== undefined && { body }) });
  if (error) throw await toQueueError(error, path.split(/[/?]/)[0]);
  return isoTimestamps(data) as T;
}

/** A query string from the defined values (`?a=1&b=x`), or '' when there are none. */
export function query(params: Record<string, string | number | Date | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined) q.set(k, v instanceof Date ? v.toISOString() : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
