// One request to an edge function through supabase.functions.invoke, with
// every failure turned into a QueueError carrying the route's stable `code`
// ({ "error": { "code", "message", "details"? } }), so callers branch on
// `err.code` whatever went wrong: the queue, the gateway or the network.
import { codeOfStatus, ERROR_CODES, isErrorCode, QueueError } from '../shared/errors.ts';
import type { HttpMethod, SupabaseLike } from './supabase-like.ts';
import { isoTimestamps } from './timestamps.ts';

interface ResponseLike { status: number; text(): Promise<string> }
const isResponse = (v: unknown): v is ResponseLike =>
  typeof v === 'object' && v !== null && typeof (v as ResponseLike).status === 'number' && typeof (v as ResponseLike).text === 'function';

/**
 * Maps what functions.invoke returned as `error` to a QueueError:
 * the queue's own error body keeps its code, message and details (a refused
 * credential is the function's own 401 `unauthorized` or 403 `forbidden`);
 * an answer without one (a gateway's 401 `{ code, message }` for a function
 * deployed with verify_jwt on, a proxy's 502) gets the code of its status
 * (errors.ts codeOfStatus); a relay or network failure is `unavailable`.
 * Whenever the HTTP status is not the code's own, it is in details.http_status.
 */
export async function toQueueError(error: unknown, route: string): Promise<QueueError> {
  const err = error as { name?: string; message?: string; context?: unknown };
  if (err?.name === 'FunctionsHttpError' && isResponse(err.context)) {
    const res = err.context;
    const text = await res.text().catch(() => '');
    let body: any;
    try { body = JSON.parse(text); } catch { body = undefined; }
    const said = typeof body?.error === 'object' && body.error !== null ? body.error : undefined;
    const code: unknown = said?.code;
    if (isErrorCode(code)) {
      const details = said.details ?? (ERROR_CODES[code] === res.status ? undefined : { http_status: res.status });
      return new QueueError(code, String(said.message ?? ''), { details });
    }
    const message = typeof said?.message === 'string' ? said.message
      : typeof body?.message === 'string' ? body.message
        : `The ${route} function answered ${res.status}: ${text.slice(0, 200)}`;
    // A code this SDK does not know (a newer server) is kept in details.
    const details = { http_status: res.status, ...(typeof code === 'string' && { code }) };
    return new QueueError(codeOfStatus(res.status), message, { details });
  }
  if (err?.name === 'FunctionsRelayError' || err?.name === 'FunctionsFetchError') {
    return new QueueError('unavailable', `Could not reach the ${route} function (${err.message}).`, { cause: error });
  }
  return new QueueError('internal', `Calling the ${route} function failed: ${err?.message ?? String(error)}`, { cause: error });
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
