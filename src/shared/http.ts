// What every function's Hono app shares: reading JSON bodies, the caller's
// JWT claims and role checks, and the one onError.
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { fromPgError, forbidden, invalidRequest, payloadTooLarge, QueueError, unauthorized } from './errors.ts';
import type { Role } from './states.ts';

/** Largest request body accepted, in bytes. (Default: 10 MiB) */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface Claims {
  role: Role | string;
  sub?: string;
  [claim: string]: unknown;
}

export type Env = { Variables: { claims: Claims } };

/** CORS for browser clients (supabase-js sends these headers); preflights need no JWT. */
export const corsMiddleware = () => cors({
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

function decodeClaims(token: string): Claims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (ch) => ch.charCodeAt(0))));
    return typeof claims === 'object' && claims !== null && typeof claims.role === 'string' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Requires one of `roles` in the caller's JWT. The signature was checked by
 * the gateway (verify_jwt = true in config.toml), so here the claims are only
 * decoded. No token is a 401; a valid token with another role is a 403.
 */
export function requireRole(...roles: Role[]): MiddlewareHandler<Env> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw unauthorized('Send a project JWT as "Authorization: Bearer <token>".');
    const claims = decodeClaims(token);
    if (!claims) throw unauthorized('The Authorization header does not carry a valid JWT.');
    if (!roles.includes(claims.role as Role)) {
      throw forbidden(`This route needs the ${roles.join(' or ')} role; the token has role "${claims.role}".`);
    }
    c.set('claims', claims);
    await next();
  };
}

/**
 * The owner to scope a call to: null (all events) for the service role, the
 * user's id (JWT sub) otherwise. A user token without a uuid sub is refused,
 * never widened to "all events".
 */
export function ownerOf(claims: Claims): string | null {
  if (claims.role === 'service_role') return null;
  const sub = claims.sub;
  if (typeof sub !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub)) {
    throw forbidden('This token has no user id (sub claim); sign in or use the service role.');
  }
  return sub;
}

export function errorBody(err: QueueError) {
  return { error: { code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }) } };
}

/** The one error handler: QueueErrors and mapped SQLSTATEs keep their status; the rest is a 500. */
export const onError: ErrorHandler = (err, c) => {
  const known = err instanceof QueueError ? err : fromPgError(err);
  if (known) return c.json(errorBody(known), known.status);
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody(new QueueError(err.status as 400, 'invalid_request', err.message || 'Bad request.')), err.status);
  }
  console.error(err);
  return c.json(errorBody(new QueueError(500, 'internal', 'The queue failed to handle this request; it has been logged.')), 500);
};

/** Unknown routes get the same error shape. */
export const notFoundHandler = (c: Context) =>
  c.json(errorBody(new QueueError(404, 'not_found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`)), 404);
