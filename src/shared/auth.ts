// Who is calling: every credential a request carries is verified here, with
// Supabase's own @supabase/server (no hand-written JWT decoding), because the
// functions run with verify_jwt = false (the platform's check only knows
// legacy JWTs). What is accepted, and the role each credential gets:
//
//   Authorization: Bearer <user access token>  its `role` claim (authenticated), `sub` = the user.
//                    A JWT from this project's Auth: `kid` in the JWKS, signature,
//                    expiry, a `sub`. A present token that fails is a 401, never a
//                    fall-through to the apikey (no downgrade).
//   apikey: sb_secret_…                        service_role (any of SUPABASE_SECRET_KEYS)
//   apikey: sb_publishable_…                   anon (any of SUPABASE_PUBLISHABLE_KEYS)
//   the legacy service_role / anon key          service_role / anon, as `apikey` or as
//                                              `Authorization: Bearer` (pg_net, old clients)
//
// The user token is tried first: supabase-js sends `apikey: <publishable>`
// beside a signed-in user's token, and the user must win.
import { verifyCredentials } from '@supabase/server/core';
import { unauthorized, QueueError } from './errors.ts';
import type { Role } from './states.ts';

export interface AuthConfig {
  url: string;
  publishableKeys: Record<string, string>;
  secretKeys: Record<string, string>;
  jwks: { keys: unknown[] } | null;
  legacyAnonKey?: string;
  legacyServiceRoleKey?: string;
}

/** The caller as the routes see it: a role and, for a user, their id. */
export interface Caller {
  role: Role | string;
  sub?: string;
  [claim: string]: unknown;
}

function keyMap(name: string, raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${name} is not JSON; it must be an object of key name to key, e.g. {"default":"sb_…"}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)
    || !Object.values(parsed).every((v) => typeof v === 'string' && v !== '')) {
    throw new Error(`${name} must be a JSON object of key name to key, e.g. {"default":"sb_…"}.`);
  }
  return parsed as Record<string, string>;
}

function jwksOf(raw: string | undefined): { keys: unknown[] } | null {
  if (raw === undefined || raw.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('SUPABASE_JWKS is not JSON; it must be a JWKS, {"keys":[…]}.');
  }
  if (Array.isArray(parsed)) return { keys: parsed };
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('SUPABASE_JWKS must be a JWKS, {"keys":[…]}.');
  return { keys };
}

/**
 * Reads SUPABASE_URL, SUPABASE_PUBLISHABLE_KEYS, SUPABASE_SECRET_KEYS,
 * SUPABASE_JWKS, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY through `get`
 * (index.ts passes Deno.env.get). The key maps are JSON objects of name to
 * key, as the platform injects them ({"default":"sb_secret_…"}). A value that
 * is set but malformed throws, so a function fails at boot, not per request.
 */
export function authConfigFromEnv(get: (name: string) => string | undefined): AuthConfig {
  const url = get('SUPABASE_URL');
  if (!url) throw new Error('SUPABASE_URL is not set');
  const legacyAnonKey = get('SUPABASE_ANON_KEY') || undefined;
  const legacyServiceRoleKey = get('SUPABASE_SERVICE_ROLE_KEY') || undefined;
  return {
    url,
    publishableKeys: keyMap('SUPABASE_PUBLISHABLE_KEYS', get('SUPABASE_PUBLISHABLE_KEYS')),
    secretKeys: keyMap('SUPABASE_SECRET_KEYS', get('SUPABASE_SECRET_KEYS')),
    jwks: jwksOf(get('SUPABASE_JWKS')),
    ...(legacyAnonKey && { legacyAnonKey }),
    ...(legacyServiceRoleKey && { legacyServiceRoleKey }),
  };
}

/** The key this project's own outbound calls use: the default secret key, else the legacy service_role key. */
export function secretKeyOf(auth: AuthConfig): string {
  const key = auth.secretKeys.default ?? Object.values(auth.secretKeys)[0] ?? auth.legacyServiceRoleKey;
  if (!key) throw new Error('No secret key: SUPABASE_SECRET_KEYS has none and SUPABASE_SERVICE_ROLE_KEY is not set.');
  return key;
}

/** Names the legacy keys get among the named keys (a name the platform never gives a key). */
const LEGACY_SERVICE_ROLE = 'legacy service_role';
const LEGACY_ANON = 'legacy anon';

type VerifyEnv = NonNullable<Parameters<typeof verifyCredentials>[1]['env']>;

/**
 * Where user tokens are verified: the inline JWKS; without one, the project's
 * published JWKS (https, or http on loopback), as @supabase/server derives it;
 * else an empty set, which refuses every user token.
 */
function jwksSource(auth: AuthConfig): VerifyEnv['jwks'] {
  if (auth.jwks) return auth.jwks as VerifyEnv['jwks'];
  try {
    const url = new URL(`${auth.url.replace(/\/+$/, '')}/auth/v1/.well-known/jwks.json`);
    const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
    if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  } catch { /* not a URL: no JWKS */ }
  return { keys: [] };
}

interface Verifier {
  env: VerifyEnv;
  modes: Array<'user' | 'secret:*' | 'publishable:*'>;
  legacy: { env: VerifyEnv; modes: Array<'secret:*' | 'publishable:*'> } | null;
  /**
   * API keys this worker has already seen accepted, by how they were sent
   * ("apikey <key>", or "bearer <key>" for a legacy key as a Bearer token), to
   * the role they got. @supabase/server compares a key in constant time with
   * two HMACs under a fresh key, about a fifth of an enqueue's CPU; a key is a
   * fixed string and the project's keys do not change during a worker's life,
   * so an accepted one need not be compared again. Only accepted keys are kept
   * (at most the project's keys): anything else is verified in full every time.
   */
  acceptedKeys: Map<string, Role>;
}

const verifiers = new WeakMap<AuthConfig, Verifier>();

function verifierOf(auth: AuthConfig): Verifier {
  const cached = verifiers.get(auth);
  if (cached) return cached;
  const legacySecret: Record<string, string> = auth.legacyServiceRoleKey ? { [LEGACY_SERVICE_ROLE]: auth.legacyServiceRoleKey } : {};
  const legacyPublishable: Record<string, string> = auth.legacyAnonKey ? { [LEGACY_ANON]: auth.legacyAnonKey } : {};
  const secretKeys = { ...auth.secretKeys, ...legacySecret };
  const publishableKeys = { ...auth.publishableKeys, ...legacyPublishable };
  const jwks = jwksSource(auth);
  // A mode whose key set is empty could never match; left out, it cannot turn a bad key into a 500.
  const keyModes = (secret: object, publishable: object) => [
    ...(Object.keys(secret).length ? ['secret:*' as const] : []),
    ...(Object.keys(publishable).length ? ['publishable:*' as const] : []),
  ];
  const legacyModes = keyModes(legacySecret, legacyPublishable);
  const verifier: Verifier = {
    env: { url: auth.url, secretKeys, publishableKeys, jwks },
    modes: ['user', ...keyModes(secretKeys, publishableKeys)],
    legacy: legacyModes.length
      ? { env: { url: auth.url, secretKeys: legacySecret, publishableKeys: legacyPublishable, jwks: { keys: [] } }, modes: legacyModes }
      : null,
    acceptedKeys: new Map(),
  };
  verifiers.set(auth, verifier);
  return verifier;
}

const SEND_SECRET = 'send the project\'s secret key as "apikey: sb_secret_…"';
const SEND_USER = 'a signed-in user\'s access token as "Authorization: Bearer <token>"';

/** What to send, for the roles a route accepts. */
function whatToSend(roles: readonly Role[]): string {
  const user = roles.includes('authenticated');
  const service = roles.includes('service_role');
  if (service && user) return `${SEND_SECRET[0].toUpperCase()}${SEND_SECRET.slice(1)}, or ${SEND_USER}.`;
  if (service) return `This route needs the service role: ${SEND_SECRET}.`;
  if (user) return `Send ${SEND_USER}.`;
  return 'Send the project\'s publishable key as "apikey: sb_publishable_…".';
}

/** A 401 whose message says what was wrong and what to send instead. */
function explain(error: { code: string; message: string; status: number }, roles: readonly Role[], authorization: string | null): QueueError {
  switch (error.code) {
    case 'MISSING_CREDENTIALS':
      return unauthorized(authorization !== null
        ? `The Authorization header must be "Bearer <access token>". ${whatToSend(roles)}`
        : `No credentials. ${whatToSend(roles)}`);
    case 'INVALID_JWT': {
      const reason = /failed verification: (.*?)\.?$/.exec(error.message)?.[1] ?? 'it failed verification';
      const fix = /expired/.test(reason)
        ? 'Refresh the session (supabase.auth.refreshSession()) and retry with the new access token.'
        : /"kid"/.test(reason)
          ? 'Access tokens must come from this project\'s Supabase Auth (signed with its JWT signing keys); an API key goes in the "apikey" header instead.'
          : whatToSend(roles);
      return unauthorized(`The access token in the Authorization header was refused: ${reason}. ${fix}`);
    }
    case 'INVALID_API_KEY':
      return unauthorized(`The apikey header is not one of this project's API keys. ${whatToSend(roles)}`);
    case 'UNUSABLE_CREDENTIAL':
      return unauthorized(`API keys (sb_…) are not JWTs: send them as "apikey: <key>", not as "Authorization: Bearer". ${whatToSend(roles)}`);
    case 'INVALID_CREDENTIALS':
      return unauthorized(`No credential was accepted. ${whatToSend(roles)}`);
    default:
      // JWKS unreachable, no keys configured: the server's configuration, not the caller.
      if (error.status >= 500) return new QueueError('internal', `The function could not verify credentials: ${error.message}`, { cause: error });
      return unauthorized(`${error.message} ${whatToSend(roles)}`);
  }
}

/**
 * Verifies the request's credentials (see the top of this file) and returns
 * the caller, or throws a 401 QueueError saying what to send. `roles` only
 * shapes that message; the role check itself is the caller's (requireRole).
 */
export async function authenticate(auth: AuthConfig, headers: Headers, roles: readonly Role[] = []): Promise<Caller> {
  const verifier = verifierOf(auth);
  const authorization = headers.get('authorization');
  const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) || null : null;
  const apikey = headers.get('apikey');
  const sentAs = bearer !== null ? `bearer ${bearer}` : apikey !== null ? `apikey ${apikey}` : null;
  const known = sentAs !== null ? verifier.acceptedKeys.get(sentAs) : undefined;
  if (known) return { role: known };
  let credentials = { token: bearer, apikey };

  // A legacy key as a Bearer token (pg_net's tick, supabase-js with a legacy
  // key) is an API key, not a user token: it has no kid and no sub.
  if (bearer && verifier.legacy && !bearer.startsWith('sb_')) {
    const { data } = await verifyCredentials({ token: null, apikey: bearer }, { auth: verifier.legacy.modes, env: verifier.legacy.env });
    if (data) credentials = { token: null, apikey: bearer };
  }

  const { data, error } = await verifyCredentials(credentials, { auth: verifier.modes, env: verifier.env });
  if (error) throw explain(error, roles, authorization);
  if (data.authMode === 'secret' || data.authMode === 'publishable') {
    const role: Role = data.authMode === 'secret' ? 'service_role' : 'anon';
    // Remembered only when the key was the credential that decided (no user token in play).
    if (sentAs !== null && credentials.token === null) verifier.acceptedKeys.set(sentAs, role);
    return { role };
  }
  const claims = (data.jwtClaims ?? {}) as Record<string, unknown>;
  if (typeof claims.role !== 'string' || claims.role === '') {
    throw unauthorized(`The access token has no "role" claim, so it grants no role. ${whatToSend(roles)}`);
  }
  return { ...claims, role: claims.role, sub: typeof claims.sub === 'string' ? claims.sub : undefined };
}
