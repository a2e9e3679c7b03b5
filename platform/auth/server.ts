// LOCAL ONLY. The Auth stand-in behind the gateway's /auth/v1/: the GoTrue
// endpoints supabase-js v2 uses for email and password (signUp,
// signInWithPassword, refreshSession, getUser, signOut). Like the hosted API
// gateway, it wants the project's API key as `apikey` (header or query)
// first, and answers CORS preflights itself. Errors take GoTrue's two shapes:
// { code, message } for a client that asks for API version 2024-01-01
// (supabase-js does, with X-Supabase-Api-Version), else
// { code: <status>, error_code, msg } (curl), with x-sb-error-code either way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import postgres from 'postgres';
import { verifyJwt, type LocalKeys } from '../keys/keys.ts';
import { AuthError, refreshSession, signInWithPassword, signOut, signUp, userJson, userOfClaims, type Issuer } from './users.ts';

export interface AuthOptions {
  dbUrl: string;
  keys: LocalKeys;
  /** The `iss` of access tokens: the project's Auth URL, <API URL>/auth/v1, as hosted. */
  issuer: string;
}

export interface AuthServer {
  /** Answers a request whose path starts with /auth/v1/. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  stop(): Promise<void>;
}

const API_VERSION_HEADER = 'x-supabase-api-version';
const BODY_LIMIT = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }), ...headers });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, err: AuthError) {
  // GoTrue's DetermineClosestAPIVersion: any date from 2024-01-01 on is that version.
  const version = String(req.headers[API_VERSION_HEADER] ?? '');
  const dated = /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= '2024-01-01';
  const headers: Record<string, string> = { 'x-sb-error-code': err.code, ...(dated && { [API_VERSION_HEADER]: '2024-01-01' }) };
  send(res, err.status, dated
    ? { code: err.code, message: err.message, ...err.extra }
    : { code: err.status, error_code: err.code, msg: err.message, ...err.extra }, headers);
}

/** The hosted gateway's refusals before a request reaches Auth (not GoTrue's shape). */
function apiKeyProblem(req: IncomingMessage, url: URL, keys: LocalKeys): { message: string; hint: string } | null {
  const key = req.headers.apikey ?? url.searchParams.get('apikey');
  if (!key) return { message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' };
  const known = [keys.publishableKey, keys.secretKey, keys.anonKey, keys.serviceRoleKey];
  if (!known.includes(String(key))) return { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' };
  return null;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new AuthError(413, 'request_too_large', 'Request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    const body = JSON.parse(text);
    return typeof body === 'object' && body !== null ? body : {};
  } catch (err) {
    throw new AuthError(400, 'bad_json', `Could not parse request body as JSON: ${(err as Error).message}`);
  }
}

/** GoTrue's requireAuthentication: a Bearer access token of this project, then its user (and session). */
async function authenticate(ctx: Issuer, req: IncomingMessage) {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) throw new AuthError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
  let claims: Record<string, unknown>;
  try {
    claims = await verifyJwt(ctx.jwtSecret, match[1]) as Record<string, unknown>;
  } catch (err) {
    throw new AuthError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${(err as Error).message}`);
  }
  return { claims, ...(await userOfClaims(ctx, claims)) };
}

async function route(ctx: Issuer, req: IncomingMessage, res: ServerResponse, url: URL) {
  const path = url.pathname.replace(/^\/auth\/v1/, '').replace(/\/+$/, '');
  if (req.method === 'POST' && path === '/signup') return send(res, 200, await signUp(ctx, await readJson(req)));
  if (req.method === 'POST' && path === '/token') {
    const grant = url.searchParams.get('grant_type');
    if (grant === 'password') return send(res, 200, await signInWithPassword(ctx, await readJson(req)));
    if (grant === 'refresh_token') return send(res, 200, await refreshSession(ctx, await readJson(req)));
    // GoTrue's own (odd) answer to any other grant type.
    throw new AuthError(400, 'invalid_credentials', 'unsupported_grant_type');
  }
  if (req.method === 'GET' && path === '/user') {
    const { claims, user } = await authenticate(ctx, req);
    if (claims.aud !== 'authenticated') throw new AuthError(400, 'validation_failed', "Token audience doesn't match request audience");
    return send(res, 200, userJson(user));
  }
  if (req.method === 'POST' && path === '/logout') {
    const scope = url.searchParams.get('scope') ?? 'global';
    if (!['global', 'local', 'others'].includes(scope)) throw new AuthError(400, 'validation_failed', `Unsupported logout scope "${scope}"`);
    const { user, sessionId } = await authenticate(ctx, req);
    await signOut(ctx, user.id, sessionId, scope);
    return send(res, 204, undefined);
  }
  throw new AuthError(404, 'not_found', 'This endpoint is not in the local Auth stand-in (email and password only).');
}

export function startAuth(opts: AuthOptions): AuthServer {
  const sql = postgres(opts.dbUrl, { max: 4, onnotice: () => {} });
  const ctx: Issuer = { sql, jwtSecret: opts.keys.jwtSecret, issuer: opts.issuer };
  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // The hosted gateway answers CORS, preflights included, before any key check.
      res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-expose-headers', 'X-Total-Count, Link, X-Supabase-Api-Version');
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        return send(res, 204, undefined, {
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
          'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'apikey, authorization, content-type'),
          'access-control-max-age': '600',
        });
      }
      const refused = apiKeyProblem(req, url, opts.keys);
      if (refused) return send(res, 401, refused);
      route(ctx, req, res, url).catch((err) => {
        if (res.headersSent) return res.destroy();
        if (err instanceof AuthError) return sendError(req, res, err);
        // The database is down or broken: GoTrue's answer to an unexpected failure.
        sendError(req, res, new AuthError(500, 'unexpected_failure', 'Unexpected failure, please check server logs for more information'));
      });
    },
    stop: () => sql.end({ timeout: 5 }),
  };
}
