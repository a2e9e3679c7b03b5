// LOCAL ONLY. What the Auth stand-in does with auth.users, auth.sessions and
// auth.refresh_tokens (auth.sql), as GoTrue does it for email and password
// (internal/api/signup.go, token.go, token_refresh.go, logout.go and
// internal/tokens/service.go in supabase/auth). Each refusal is an AuthError
// with GoTrue's status, error code and message.
import { randomBytes, randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { userJwt } from '../keys/keys.ts';

type Sql = postgres.Sql;

export class AuthError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

/** The Supabase CLI's local [auth] defaults: jwt_expiry 3600 s, minimum_password_length 6. */
export const JWT_EXPIRY_SECONDS = 3600;
const MIN_PASSWORD_LENGTH = 6;
/** GoTrue's bcrypt cost (Go's bcrypt.DefaultCost). */
const BCRYPT_COST = 10;

export const INVALID_LOGIN = 'Invalid login credentials';

interface UserRow {
  id: string; aud: string; role: string; email: string;
  email_confirmed_at: Date | null; last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown>; raw_user_meta_data: Record<string, unknown>;
  created_at: Date; updated_at: Date; is_anonymous: boolean;
}

const USER_COLUMNS = 'id, aud, role, email, email_confirmed_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous';

/** A user as GoTrue's JSON shows it (models.User). No identities are stored here, so `identities` is empty. */
export function userJson(u: UserRow) {
  return {
    id: u.id, aud: u.aud, role: u.role, email: u.email,
    email_confirmed_at: u.email_confirmed_at, phone: '', confirmed_at: u.email_confirmed_at,
    last_sign_in_at: u.last_sign_in_at, app_metadata: u.raw_app_meta_data, user_metadata: u.raw_user_meta_data,
    identities: [], created_at: u.created_at, updated_at: u.updated_at, is_anonymous: u.is_anonymous,
  };
}

export interface Issuer { sql: Sql; jwtSecret: string; issuer: string }

/** A legacy (12 character, lowercase alphanumeric) refresh token, the kind GoTrue still accepts. */
function newRefreshToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The access token of a session: userJwt()'s token with the claims GoTrue adds. */
async function sessionJson(ctx: Issuer, user: UserRow, sessionId: string, refreshToken: string) {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + JWT_EXPIRY_SECONDS;
  const accessToken = await userJwt(ctx.jwtSecret, user.id, JWT_EXPIRY_SECONDS, {
    iss: ctx.issuer, iat, exp, aud: user.aud, role: user.role, email: user.email, phone: '',
    app_metadata: user.raw_app_meta_data, user_metadata: user.raw_user_meta_data,
    aal: 'aal1', amr: [{ method: 'password', timestamp: iat }], session_id: sessionId, is_anonymous: user.is_anonymous,
  });
  return {
    access_token: accessToken, token_type: 'bearer', expires_in: JWT_EXPIRY_SECONDS, expires_at: exp,
    refresh_token: refreshToken, user: userJson(user),
  };
}

/** Opens a session for `user` (a sign-in): its first refresh token, and last_sign_in_at. */
async function openSession(ctx: Issuer, userId: string) {
  return ctx.sql.begin(async (tx) => {
    const [user] = await tx.unsafe<UserRow[]>(`update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1 returning ${USER_COLUMNS}`, [userId]);
    const sessionId = randomUUID();
    const token = newRefreshToken();
    await tx`insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (${sessionId}, ${userId}, now(), now(), 'aal1')`;
    await tx`insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, session_id)
             values (${token}, ${userId}, false, now(), now(), ${sessionId})`;
    return sessionJson(ctx, user, sessionId, token);
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** POST /signup with email and password: a confirmed user (the CLI's local default, no confirmation mail) and a session. */
export async function signUp(ctx: Issuer, body: { email?: unknown; password?: unknown; data?: unknown }) {
  const password = typeof body.password === 'string' ? body.password : '';
  if (!password) throw new AuthError(400, 'validation_failed', 'Signup requires a valid password');
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AuthError(422, 'weak_password', `Password should be at least ${MIN_PASSWORD_LENGTH} characters.`, { weak_password: { reasons: ['length'] } });
  }
  if (typeof body.email !== 'string' || !body.email) throw new AuthError(400, 'validation_failed', 'Sign up only available with email provider');
  if (!EMAIL.test(body.email)) throw new AuthError(400, 'validation_failed', 'Unable to validate email address: invalid format');
  const email = body.email.toLowerCase();
  const data = typeof body.data === 'object' && body.data !== null ? body.data : {};
  const [created] = await ctx.sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', ${randomUUID()}, 'authenticated', 'authenticated', ${email},
            extensions.crypt(${password}, extensions.gen_salt('bf', ${BCRYPT_COST})), now(),
            ${ctx.sql.json({ provider: 'email', providers: ['email'] })}, ${ctx.sql.json(data as postgres.JSONValue)}, now(), now())
    on conflict (lower(email)) do nothing
    returning id`;
  if (!created) throw new AuthError(422, 'user_already_exists', 'User already registered');
  return openSession(ctx, created.id);
}

/** POST /token?grant_type=password: the same refusal whether the user is unknown or the password wrong. */
export async function signInWithPassword(ctx: Issuer, body: { email?: unknown; phone?: unknown; password?: unknown }) {
  if (body.email && body.phone) throw new AuthError(400, 'validation_failed', 'Only an email address or phone number should be provided on login.');
  if (body.phone) throw new AuthError(422, 'phone_provider_disabled', 'Phone logins are disabled');
  if (typeof body.email !== 'string' || !body.email) throw new AuthError(400, 'validation_failed', 'missing email or phone');
  const password = typeof body.password === 'string' ? body.password : '';
  const [user] = await ctx.sql`
    select id, encrypted_password = extensions.crypt(${password}, encrypted_password) as valid
      from auth.users where lower(email) = ${body.email.toLowerCase()} and aud = 'authenticated'`;
  if (!user?.valid) throw new AuthError(400, 'invalid_credentials', INVALID_LOGIN);
  return openSession(ctx, user.id);
}

/**
 * POST /token?grant_type=refresh_token: the token is spent (revoked) and its
 * child returned, in the same session. A spent token is refused and ends its
 * session (refresh token rotation, on in the CLI's defaults).
 */
export async function refreshSession(ctx: Issuer, body: { refresh_token?: unknown }) {
  const token = typeof body.refresh_token === 'string' ? body.refresh_token : '';
  if (!/^[a-z0-9]{12}$/.test(token)) throw new AuthError(400, 'validation_failed', 'Refresh token is not valid');
  return ctx.sql.begin(async (tx) => {
    const [row] = await tx`select id, revoked, session_id, user_id from auth.refresh_tokens where token = ${token} for update`;
    if (!row) throw new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
    if (row.revoked) {
      await tx`delete from auth.sessions where id = ${row.session_id}`;
      return { reused: true as const };
    }
    const child = newRefreshToken();
    await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${row.id}`;
    await tx`insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, parent, session_id)
             values (${child}, ${row.user_id}, false, now(), now(), ${token}, ${row.session_id})`;
    await tx`update auth.sessions set refreshed_at = now() at time zone 'utc', updated_at = now() where id = ${row.session_id}`;
    const [user] = await tx.unsafe<UserRow[]>(`select ${USER_COLUMNS} from auth.users where id = $1`, [row.user_id]);
    return sessionJson(ctx, user, row.session_id, child);
  }).then((r) => {
    // Thrown after the commit: the reuse ends the session for good.
    if ('reused' in r) throw new AuthError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
    return r;
  });
}

/** The user of a verified access token's claims (GoTrue's requireAuthentication), and its session if it names one. */
export async function userOfClaims(ctx: Issuer, claims: Record<string, unknown>): Promise<{ user: UserRow; sessionId?: string }> {
  const sub = claims.sub;
  if (typeof sub !== 'string' || !sub) throw new AuthError(403, 'bad_jwt', 'invalid claim: missing sub claim');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub)) throw new AuthError(400, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
  const [user] = await ctx.sql.unsafe<UserRow[]>(`select ${USER_COLUMNS} from auth.users where id = $1`, [sub]);
  if (!user) throw new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
  const sessionId = typeof claims.session_id === 'string' && claims.session_id ? claims.session_id : undefined;
  if (sessionId) {
    const [session] = await ctx.sql`select 1 from auth.sessions where id::text = ${sessionId} and user_id = ${sub}`;
    if (!session) throw new AuthError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
  }
  return { user, sessionId };
}

/** POST /logout: ends every session of the user (`global`, the default), this one (`local`) or the others (`others`). */
export async function signOut(ctx: Issuer, userId: string, sessionId: string | undefined, scope: string) {
  if (scope === 'local' && sessionId) await ctx.sql`delete from auth.sessions where id = ${sessionId}`;
  else if (scope === 'others' && sessionId) await ctx.sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  else await ctx.sql`delete from auth.sessions where user_id = ${userId}`;
}
