// LOCAL ONLY. Token checks as Supabase Realtime makes them
// (RealtimeWeb.ChannelsAuthorization, RealtimeWeb.JwtVerification and
// RealtimeChannel.confirm_token): a JWT with header typ "JWT" and an HS*
// alg, signed with the project secret (with or without a `kid`: Realtime
// verifies an HS256 token whose kid names no JWK with the JWT secret, which
// is how Supabase Auth's HS256 tokens carry theirs), with `role` and `exp`
// claims, not expired. Failures carry Realtime's own reason strings, which
// realtime-js passes to the subscribe callback as the CHANNEL_ERROR's message.
//
// Realtime itself only knows JWTs. The API gateway in front of it turns the
// socket's `apikey` query parameter from a publishable or secret key into the
// legacy anon or service_role JWT (the Supabase CLI's Kong config does exactly
// this, `QueryToken` in internal/start/start.go); gatewayApiKey() is that
// step. An `sb_` access_token in a join or refresh is ignored by Realtime
// (join.ts), so a client created with an `sb_` key runs on the socket's key.
import { decodeProtectedHeader, errors } from 'jose';
import { localKeys, verifyJwt, type LocalKeys } from '../keys/keys.ts';

export type Claims = Record<string, unknown> & { role: string; exp: number; sub?: string };

export type Verified = { ok: true; claims: Claims } | { ok: false; reason: string };

const keysBySecret = new Map<string, Promise<LocalKeys>>();

/**
 * The socket's `apikey` as the gateway hands it to Realtime: the publishable
 * key becomes the legacy anon JWT, the secret key the legacy service_role JWT;
 * anything else (a legacy key, a user's JWT, a wrong key) passes unchanged,
 * to be verified (and refused) as a JWT.
 */
export async function gatewayApiKey(secret: string, apikey: string): Promise<string> {
  if (!apikey.startsWith('sb_')) return apikey;
  let keys = keysBySecret.get(secret);
  if (!keys) keysBySecret.set(secret, keys = localKeys(secret));
  const { publishableKey, secretKey, anonKey, serviceRoleKey } = await keys;
  if (apikey === secretKey) return serviceRoleKey;
  if (apikey === publishableKey) return anonKey;
  return apikey;
}

const SIGNER_ERROR = 'JwtSignerError: Failed to generate JWT signer, check your JWT secret or JWKS configuration';

export async function verifyToken(secret: string, token: unknown): Promise<Verified> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    return { ok: false, reason: 'MalformedJWT: The token provided is not a valid JWT' };
  }
  const compact = token.replace(/\s/g, '');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(compact);
  } catch {
    return { ok: false, reason: 'MalformedJWT: The token provided is not a valid JWT' };
  }
  // Realtime builds a signer only for typ "JWT"; the local project has no
  // asymmetric keys, so only HS* tokens can be signed by it.
  if (header.typ !== 'JWT' || typeof header.alg !== 'string' || !/^HS(256|384|512)$/.test(header.alg)) {
    return { ok: false, reason: SIGNER_ERROR };
  }
  try {
    // Realtime checks `exp` itself to report how long ago it passed.
    const claims = await verifyJwt(secret, compact) as Record<string, unknown>;
    if (typeof claims.role !== 'string' || typeof claims.exp !== 'number') {
      return { ok: false, reason: 'InvalidJWTToken: Fields `role` and `exp` are required in JWT' };
    }
    return { ok: true, claims: claims as Claims };
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      const exp = Number((err.payload as { exp?: number }).exp);
      return { ok: false, reason: `InvalidJWTToken: Token has expired ${Math.floor(Date.now() / 1000) - exp} seconds ago` };
    }
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) {
      return { ok: false, reason: 'JwtSignatureError: Failed to validate JWT signature' };
    }
    return { ok: false, reason: 'MalformedJWT: The token provided is not a valid JWT' };
  }
}
