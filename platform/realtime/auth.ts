// LOCAL ONLY. Token checks as Supabase Realtime makes them
// (RealtimeWeb.ChannelsAuthorization + RealtimeChannel.confirm_token): an
// HS256 JWT signed with the project secret, with `role` and `exp` claims, not
// expired. Failures carry Realtime's own reason strings, which realtime-js
// passes to the subscribe callback as the CHANNEL_ERROR's message.
import { errors } from 'jose';
import { verifyJwt } from '../keys/keys.ts';

export type Claims = Record<string, unknown> & { role: string; exp: number; sub?: string };

export type Verified = { ok: true; claims: Claims } | { ok: false; reason: string };

export async function verifyToken(secret: string, token: unknown): Promise<Verified> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    return { ok: false, reason: 'MalformedJWT: The token provided is not a valid JWT' };
  }
  try {
    // Realtime checks `exp` itself to report how long ago it passed.
    const claims = await verifyJwt(secret, token.replace(/\s/g, '')) as Record<string, unknown>;
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
