// What every function's Hono app shares: the app itself (createFunctionApp:
// basePath, onError, notFound, CORS, the role check), reading JSON bodies,
// and the owner a call is scoped to.
import { Hono, type Context, type ErrorHandler, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { authenticate, type AuthConfig, type Caller } from './auth.ts';
import { codeOfStatus, fromPgError, forbidden, invalidRequest, notFound, payloadTooLarge, QueueError } from './errors.ts';
import type { Sql } from './db.ts';
import type { Role } from './states.ts';

/** Largest request body accepted, in bytes. (Default: 10 MiB) */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The caller: `role` (service_role, anon, authenticated) and, for a user, `sub`. */
export type Claims = Caller;

export type Env = { Variables: { claims: Claims } };

/** CORS for browser clients (supabase-js sends these headers); preflights need no credentials. */
const corsMiddleware = () => cors({
  origin: '*',
  allowHeaders: ['authorization', 'x-client-info', 'apikey', 'content-type'],
  allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
});

/** Reads the body as JSON; a missing, oversized or malformed body is a 400/413. */
export async function readJson(c: Context): Promise<unknown> {
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) throw payloadTooLarge(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) throw payloadTooLarge(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  if (text.trim() === '') throw invalidRequest('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
}

/**
 * Verifies the caller's credentials (auth.ts: a user's access token, the
 * secret or publishable key in `apikey`, or a legacy key) and requires one of
 * `roles`: no, garbage, forged or expired credentials are a 401 saying what to
 * send; a valid credential with another role is a 403. Sets `claims` (role,
 * and the user's `sub`) for ownerOf. The functions run with verify_jwt =
 * false: this is the only check.
 */
function requireRole(auth: AuthConfig, ...roles: Role[]): MiddlewareHandler<Env> {
  return async (c, next) => {
    const claims = await authenticate(auth, c.req.raw.headers, roles);
    if (!roles.includes(claims.role as Role)) {
      throw forbidden(`This route needs ${rolesText(roles)}; the caller is ${callerText(claims.role)}.`);
    }
    c.set('claims', claims);
    await next();
  };
}

const ROLE_TEXT: Record<string, string> = {
  service_role: 'the secret key (service_role)',
  authenticated: 'a signed-in user\'s access token',
  anon: 'the publishable key (anon)',
};
const rolesText = (roles: Role[]) => roles.map((r) => ROLE_TEXT[r] ?? `role "${r}"`).join(' or ');
const callerText = (role: string) =>
  role === 'anon' ? 'anon (the publishable or legacy anon key, no signed-in user)'
    : role === 'authenticated' ? 'a signed-in user (role authenticated)'
      : `role "${role}"`;

/**
 * The owner to scope a call to: null (all events) for the service role, the
 * user's id (JWT sub) otherwise. A user token without a uuid sub is refused,
 * never widened to "all events".
 */
export function ownerOf(claims: Claims): string | null {
  if (claims.role === 'service_role') return null;
  const sub = claims.sub;
  if (typeof sub !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub)) {
    throw forbidden('This token has no user id (sub claim); sign in, or use the secret key.');
  }
  return sub;
}

function errorBody(err: QueueError) {
  return { error: { code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }) } };
}

/**
 * The one error handler: a QueueError or a mapped SQLSTATE answers with its
 * code's status (a 5xx one is logged with its cause); Hono's own 4xx keeps
 * its status, with the code of that status; anything else is logged and
 * answers 500 internal.
 */
export const onError: ErrorHandler = (err, c) => {
  const known = err instanceof QueueError ? err : fromPgError(err);
  if (known) {
    if (known.status >= 500) console.error(known); // with its cause, if any
    return c.json(errorBody(known), known.status);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody(new QueueError(codeOfStatus(err.status), err.message || 'Bad request.', { cause: err })), err.status);
  }
  console.error(err);
  return c.json(errorBody(new QueueError('internal', 'The queue failed to handle this request; it has been logged.')), 500);
};

/** Unknown routes get the same error shape. */
const notFoundHandler = (c: Context) => {
  const err = notFound(`No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
  return c.json(errorBody(err), err.status);
};

export interface FunctionAppOptions {
  /** Who may call: the project's keys and JWKS (authConfigFromEnv). */
  auth: AuthConfig;
  /** The roles that may call every route of the function (requireRole). */
  roles: readonly Role[];
  /** Answer browsers' CORS preflights and add CORS headers (corsMiddleware). (Default: true) */
  cors?: boolean;
}

/**
 * A function's Hono app under `/<name>`, with what every function has: the
 * one onError and notFound, CORS unless `cors` is false (dispatch is called
 * by pg_net only), and the role check in front of every route.
 */
export function createFunctionApp<N extends string>(name: N, options: FunctionAppOptions) {
  const app = new Hono<Env>().basePath(`/${name}` as `/${N}`);
  app.onError(onError);
  app.notFound(notFoundHandler);
  if (options.cors ?? true) app.use('*', corsMiddleware());
  app.use('*', requireRole(options.auth, ...options.roles));
  return app;
}

/** What a function that serves the queue's rows needs (enqueue, events, handlers, schedules). */
export interface QueueFunctionDeps {
  sql: Sql;
  /** Who may call: the project's keys and JWKS (authConfigFromEnv). */
  auth: AuthConfig;
}
