// The local stack's JWT secret and API keys.
//
// These are the documented local-only defaults of the Supabase CLI: the same
// secret `supabase start` uses, so the anon and service_role keys it prints
// are the ones every Supabase tutorial shows. Never use them on a hosted
// project. Override with SUPABASE_JWT_SECRET if you need other keys locally.
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';

/** Supabase CLI's local default (Default: 'super-secret-jwt-token-with-at-least-32-characters-long'). */
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** Expiry of the demo keys, as in the Supabase CLI (2032-10-31). */
const DEMO_EXPIRY = 1983812996;

export interface LocalKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
}

export async function signJwt(secret: string, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

export async function verifyJwt(secret: string, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
  return payload;
}

export async function localKeys(secret = process.env.SUPABASE_JWT_SECRET ?? DEFAULT_JWT_SECRET): Promise<LocalKeys> {
  return {
    jwtSecret: secret,
    anonKey: await signJwt(secret, { iss: 'supabase-demo', role: 'anon', exp: DEMO_EXPIRY }),
    serviceRoleKey: await signJwt(secret, { iss: 'supabase-demo', role: 'service_role', exp: DEMO_EXPIRY }),
  };
}

/** A user's access token, as Supabase Auth would issue it (for tests and examples). */
export async function userJwt(secret: string, userId: string, expiresInSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(secret, {
    iss: 'supabase-demo', sub: userId, aud: 'authenticated', role: 'authenticated',
    iat: now, exp: now + expiresInSeconds,
  });
}
