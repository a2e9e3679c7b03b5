// One error vocabulary. Every error a route returns is a QueueError with a
// stable `code`; one onError (http.ts) turns it into
// { "error": { "code", "message", "details"? } } with its status.

export class QueueError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 503,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'QueueError';
  }
}

/** The request is malformed: bad JSON, wrong types, out-of-range values. */
export const invalidRequest = (message: string, details?: unknown) =>
  new QueueError(400, 'invalid_request', message, details);
export const unauthorized = (message: string) => new QueueError(401, 'unauthorized', message);
export const forbidden = (message: string) => new QueueError(403, 'forbidden', message);
export const notFound = (message: string) => new QueueError(404, 'not_found', message);
export const conflict = (message: string) => new QueueError(409, 'conflict', message);
export const payloadTooLarge = (message: string) => new QueueError(413, 'payload_too_large', message);
/** Well-formed, but names an event with no enabled handler. */
export const noHandler = (message: string, details?: unknown) => new QueueError(422, 'no_handler', message, details);

/**
 * SQLSTATEs raised by the queue's SQL functions (and by constraints) and what
 * each means for an API caller. Anything not listed is a 500.
 */
const SQLSTATES: Record<string, (message: string) => QueueError> = {
  QU404: (m) => notFound(m),
  QU409: (m) => conflict(m),
  QU422: (m) => noHandler(m),
  '23505': () => conflict('A record with the same key already exists.'),
  '23514': (m) => invalidRequest(`A value is out of range (${m}).`),
  '23502': (m) => invalidRequest(`A required value is missing (${m}).`),
  '22P02': (m) => invalidRequest(`A value has the wrong type (${m}).`),
  '22007': (m) => invalidRequest(`A date is invalid (${m}).`),
  '22008': (m) => invalidRequest(`A date is out of range (${m}).`),
  '22003': (m) => invalidRequest(`A number is out of range (${m}).`),
  '22023': (m) => invalidRequest(m),
  '22001': (m) => invalidRequest(`A value is too long (${m}).`),
};

/** Maps a postgres.js error to a QueueError, or returns undefined. */
export function fromPgError(err: unknown): QueueError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return undefined;
  return SQLSTATES[code]?.(String(message ?? ''));
}
