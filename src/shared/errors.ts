// One error vocabulary. Every error a route returns is a QueueError with a
// stable `code`; one onError (http.ts) turns it into
// { "error": { "code", "message", "details"? } } with the code's status, and
// the SDK (src/sdk/request.ts) reads it back through the same map.

/** Every error code, with the HTTP status that goes with it. The one table of codes and statuses. */
export const ERROR_CODES = {
  /** The request is malformed: bad JSON, wrong types, out-of-range values. */
  invalid_request: 400,
  /** No credential, or one that does not verify. */
  unauthorized: 401,
  /** A valid credential whose role may not call the route. */
  forbidden: 403,
  /** No such event, handler, schedule or route (or not the caller's). */
  not_found: 404,
  /** The name is taken, or the event's state refuses the verb. */
  conflict: 409,
  /** The body or a batch is larger than accepted. */
  payload_too_large: 413,
  /** Well-formed, but names an event with no enabled handler. */
  no_handler: 422,
  /** The queue failed to handle the request (it is logged). */
  internal: 500,
  /** The SDK could not reach a function or Realtime; try again. */
  unavailable: 503,
  /**
   * waitFor's own deadline passed (not an HTTP answer). 503 like
   * `unavailable`: nothing failed, try again later; not 504, which would say
   * a gateway gave up on the function.
   */
  timeout: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorStatus = (typeof ERROR_CODES)[ErrorCode];

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);

/** The code of each status the queue answers with; 4xx statuses each have exactly one. */
const CODE_OF_STATUS = new Map<number, ErrorCode>();
for (const [code, status] of Object.entries(ERROR_CODES) as Array<[ErrorCode, ErrorStatus]>) {
  if (!CODE_OF_STATUS.has(status)) CODE_OF_STATUS.set(status, code);
}

/**
 * The code for an HTTP status that came without the queue's error body (a
 * gateway, a proxy, a framework default): its own code where one has it;
 * else `invalid_request` for a 4xx and, for any 5xx, `unavailable` (the
 * function could not be run or reached: the queue's own 500s carry a body).
 */
export function codeOfStatus(status: number): ErrorCode {
  if (status >= 500) return 'unavailable';
  return CODE_OF_STATUS.get(status) ?? 'invalid_request';
}

export class QueueError extends Error {
  /** The HTTP status of `code` (ERROR_CODES). */
  readonly status: ErrorStatus;
  readonly details?: unknown;

  /** `details` go to the caller in the error body; `cause` (e.g. a Postgres error) stays on the server, for logs. */
  constructor(readonly code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QueueError';
    this.status = ERROR_CODES[code];
    this.details = options.details;
  }
}

export const invalidRequest = (message: string, details?: unknown) => new QueueError('invalid_request', message, { details });
export const unauthorized = (message: string) => new QueueError('unauthorized', message);
export const forbidden = (message: string) => new QueueError('forbidden', message);
export const notFound = (message: string) => new QueueError('not_found', message);
export const conflict = (message: string) => new QueueError('conflict', message);
export const payloadTooLarge = (message: string) => new QueueError('payload_too_large', message);
export const noHandler = (message: string, details?: unknown) => new QueueError('no_handler', message, { details });

/** What postgres.js puts on an error from the server. */
interface PgError {
  code: string;
  message: string;
  detail?: string;
}

/** A unique violation names its key in `detail`: "Key (name)=(Twice) already exists." */
function duplicateKey({ detail }: PgError): string {
  const key = /^Key \((.+?)\)=\((.*)\) already exists\.?$/s.exec(detail ?? '');
  if (!key) return 'A record with the same key already exists.';
  const [, columns, values] = key;
  return columns.includes(',')
    ? `A record with (${columns}) = (${values}) already exists.`
    : `A record with ${columns} = ${values} already exists.`;
}

/**
 * SQLSTATEs raised by the queue's SQL functions (and by constraints): the
 * code each means for an API caller, and the message it gets. Anything not
 * listed is a 500.
 */
const SQLSTATES: Record<string, [ErrorCode, (e: PgError) => string]> = {
  QU404: ['not_found', (e) => e.message],
  QU409: ['conflict', (e) => e.message],
  QU422: ['no_handler', (e) => e.message],
  '23505': ['conflict', duplicateKey],
  '23514': ['invalid_request', (e) => `A value is out of range (${e.message}).`],
  '23502': ['invalid_request', (e) => `A required value is missing (${e.message}).`],
  '22P02': ['invalid_request', (e) => `A value has the wrong type (${e.message}).`],
  '22007': ['invalid_request', (e) => `A date is invalid (${e.message}).`],
  '22008': ['invalid_request', (e) => `A date is out of range (${e.message}).`],
  '22003': ['invalid_request', (e) => `A number is out of range (${e.message}).`],
  '22023': ['invalid_request', (e) => e.message],
  '22001': ['invalid_request', (e) => `A value is too long (${e.message}).`],
};

/** Maps a postgres.js error to a QueueError (the Postgres error as its cause), or returns undefined. */
export function fromPgError(err: unknown): QueueError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message, detail } = err as { code?: unknown; message?: unknown; detail?: unknown };
  if (typeof code !== 'string' || !Object.hasOwn(SQLSTATES, code)) return undefined;
  const [queueCode, say] = SQLSTATES[code];
  const pg: PgError = { code, message: String(message ?? ''), ...(typeof detail === 'string' && { detail }) };
  return new QueueError(queueCode, say(pg), { cause: err });
}
