// LOCAL ONLY. The local stack's JWT secret and API keys.
//
// These are the documented local-only defaults of the Supabase CLI
// (apps/cli-go/pkg/config/apikeys.go in supabase/cli): the JWT secret
// `supabase start` uses, so the legacy anon and service_role keys it prints
// are the ones every Supabase tutorial shows, and the fixed publishable and
// secret keys it prints beside them. Never use them on a hosted project.
// Overrides: SUPABASE_JWT_SECRET (and with it the legacy keys and the JWKS),
// SUPABASE_PUBLISHABLE_KEY, SUPABASE_SECRET_KEY.
//
// The JWKS: the CLI hands functions SUPABASE_JWKS = {"keys":[{"kty":"oct","k":
// base64url(secret)}]}, without `kid` or `alg`, and its Auth server signs
// user tokens with the bare secret (no `kid`). @supabase/server only accepts
// a user token whose `kid` names a JWK of the same `alg`, as a hosted project
// on JWT signing keys issues them. So this stand-in's JWKS is that same oct
// key with `alg: "HS256"` and a `kid` derived from the secret, and userJwt()
// puts that `kid` in the header: user tokens verify as they do on hosted.
import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify, type JWK, type JWTPayload } from 'jose';

/** Supabase CLI's local default (Default: 'super-secret-jwt-token-with-at-least-32-characters-long'). */
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** Supabase CLI's fixed local publishable key (role anon). */
export const DEFAULT_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';

/** Supabase CLI's fixed local secret key (role service_role). */
export const DEFAULT_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

/** Expiry of the demo keys, as in the Supabase CLI (2032-10-31). */
const DEMO_EXPIRY = 1983812996;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface LocalKeys {
  jwtSecret: string;
  /** Legacy JWT-based anon key (no kid, no sub). */
  anonKey: string;
  /** Legacy JWT-based service_role key (no kid, no sub). */
  serviceRoleKey: string;
  /** `sb_publishable_…`: the anon role, sent as `apikey`. */
  publishableKey: string;
  /** `sb_secret_…`: the service_role, sent as `apikey`. */
  secretKey: string;
  /** The signing key's id, in every user token's header. */
  kid: string;
  /** What functions get as SUPABASE_JWKS: the HS256 signing key with its kid. */
  jwks: { keys: JWK[] };
}

/** The `kid` of the HS256 signing key made from `secret`: stable, and different for another secret. */
export function jwtKid(secret: string): string {
  return createHash('sha256').update(`supaqueue-local-jwt:${secret}`).digest('hex').slice(0, 16);
}

/** The JWKS for `secret`: one symmetric (oct) JWK, alg HS256, with jwtKid(secret). */
export function localJwks(secret: string): { keys: JWK[] } {
  return { keys: [{ kty: 'oct', k: Buffer.from(secret).toString('base64url'), alg: 'HS256', kid: jwtKid(secret) }] };
}

/** An HS256 JWT of `claims`; with `kid`, in the header (as Auth's signing keys do), else none (legacy). */
export async function signJwt(secret: string, claims: JWTPayload, kid?: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid !== undefined && { kid }) })
    .sign(new TextEncoder().encode(secret));
}

/**
 * The gateway's verify_jwt check: an HS256 JWT signed with the project secret,
 * with or without a `kid` (the CLI's edge runtime checks HS256 tokens against
 * the secret alone). Throws jose's errors on a bad signature, expiry, etc.
 */
export async function verifyJwt(secret: string, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
  return payload;
}

export async function localKeys(secret = process.env.SUPABASE_JWT_SECRET ?? DEFAULT_JWT_SECRET): Promise<LocalKeys> {
  return {
    jwtSecret: secret,
    anonKey: await signJwt(secret, { iss: 'supabase-demo', role: 'anon', exp: DEMO_EXPIRY }),
    serviceRoleKey: await signJwt(secret, { iss: 'supabase-demo', role: 'service_role', exp: DEMO_EXPIRY }),
    publishableKey: process.env.SUPABASE_PUBLISHABLE_KEY || DEFAULT_PUBLISHABLE_KEY,
    secretKey: process.env.SUPABASE_SECRET_KEY || DEFAULT_SECRET_KEY,
    kid: jwtKid(secret),
    jwks: localJwks(secret),
  };
}

/**
 * A user's access token, as Supabase Auth with JWT signing keys issues it
 * (for tests and examples, and the Auth stand-in's sessions): HS256 with the
 * JWKS's `kid`, `sub` = `userId` (must be a uuid, as Auth's user ids are),
 * role and aud `authenticated`, valid for `expiresInSeconds` (Default: 3600;
 * negative gives an expired token). `claims` adds to those or overrides them
 * (the Auth stand-in gives `iss`, `email`, `session_id`… as Auth does).
 */
export async function userJwt(secret: string, userId: string, expiresInSeconds = 3600, claims: JWTPayload = {}): Promise<string> {
  if (!UUID.test(userId)) throw new TypeError(`userJwt: the user id must be a uuid (Supabase Auth's user ids are), got ${JSON.stringify(userId)}.`);
  const now = Math.floor(Date.now() / 1000);
  return signJwt(secret, {
    iss: 'supabase-demo', sub: userId, aud: 'authenticated', role: 'authenticated',
    iat: now, exp: now + expiresInSeconds, ...claims,
  }, jwtKid(secret));
}
