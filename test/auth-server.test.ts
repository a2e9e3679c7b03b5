// The Auth stand-in (platform/auth) as supabase-js v2 uses it against the
// test stack, on the API port under /auth/v1: sign up, sign in, a wrong
// password, refresh, the user, sign out; and a session's access token acting
// as its user in the functions (enqueue, GET /events) and in Realtime.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createQueue, type EventChange } from '../src/sdk/index.ts';
import { jwtKid } from '../platform/keys/keys.ts';
import { db, stack } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();
afterAll(() => sql.end());

const AUTH = `${stack.apiUrl}/auth/v1`;
const PASSWORD = 'correct horse battery';
const newEmail = () => `user-${randomUUID()}@example.com`;

/** A browser-like supabase-js client on the publishable key, its session in memory. */
const userClient = (): SupabaseClient => createClient(stack.apiUrl, stack.publishableKey, {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: WebSocket as any },
});

const post = (path: string, body: unknown, headers: Record<string, string> = { apikey: stack.publishableKey }) =>
  fetch(`${AUTH}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A signed-up user's client, signed in. */
async function signedIn(email = newEmail()): Promise<{ supabase: SupabaseClient; id: string; email: string }> {
  const supabase = userClient();
  const { data, error } = await supabase.auth.signUp({ email, password: PASSWORD });
  expect(error).toBeNull();
  return { supabase, id: data.user!.id, email };
}

describe('Auth stand-in', () => {
  it('signs up with email and password and answers with a session, its token signed as userJwt() signs', async () => {
    const email = newEmail().toUpperCase();
    const res = await post('/signup', { email, password: PASSWORD });
    expect(res.status).toBe(200);
    const session = await res.json();
    expect(session).toMatchObject({ token_type: 'bearer', expires_in: 3600, refresh_token: expect.stringMatching(/^[a-z0-9]{12}$/) });
    expect(Math.abs(session.expires_at - (Date.now() / 1000 + 3600))).toBeLessThan(10);
    expect(session.user).toMatchObject({ aud: 'authenticated', role: 'authenticated', email: email.toLowerCase(), app_metadata: { provider: 'email' } });
    expect(session.user.email_confirmed_at).toBeTruthy(); // autoconfirm, as the CLI's local config

    expect(decodeProtectedHeader(session.access_token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: jwtKid(stack.jwtSecret) });
    const claims = decodeJwt(session.access_token);
    expect(claims).toMatchObject({
      sub: session.user.id, role: 'authenticated', aud: 'authenticated', email: email.toLowerCase(),
      iss: `${stack.apiUrl}/auth/v1`, exp: session.expires_at, session_id: expect.any(String),
    });
    const [row] = await sql`select encrypted_password from auth.users where id = ${session.user.id}`;
    expect(row.encrypted_password).toMatch(/^\$2a\$10\$/); // bcrypt by pgcrypto's crypt(), GoTrue's cost

    const again = await post('/signup', { email: email.toLowerCase(), password: PASSWORD });
    expect(again.status).toBe(422);
    expect(await again.json()).toEqual({ code: 422, error_code: 'user_already_exists', msg: 'User already registered' });
  });

  it('signs in with supabase-js signInWithPassword and gets the user', async () => {
    const { id, email } = await signedIn();
    const supabase = userClient();
    const { data, error } = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
    expect(error).toBeNull();
    expect(data.session!.user.id).toBe(id);
    const { data: got } = await supabase.auth.getUser();
    expect(got.user).toMatchObject({ id, email });
  });

  it('refuses a wrong password or an unknown email with 400 invalid_credentials, in both of GoTrue\'s shapes', async () => {
    const { email } = await signedIn();
    for (const body of [{ email, password: 'wrong password' }, { email: newEmail(), password: PASSWORD }]) {
      const plain = await post('/token?grant_type=password', body);
      expect(plain.status).toBe(400);
      expect(plain.headers.get('x-sb-error-code')).toBe('invalid_credentials');
      expect(await plain.json()).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
      // supabase-js asks for API version 2024-01-01, which answers { code, message }.
      const dated = await post('/token?grant_type=password', body, { apikey: stack.publishableKey, 'x-supabase-api-version': '2024-01-01' });
      expect(dated.status).toBe(400);
      expect(await dated.json()).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });
    }
    const { error } = await userClient().auth.signInWithPassword({ email, password: 'wrong password' });
    expect(error).toMatchObject({ name: 'AuthApiError', status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });
  });

  it('wants the project\'s API key, as the hosted gateway does', async () => {
    const none = await post('/token?grant_type=password', { email: newEmail(), password: PASSWORD }, {});
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' });
    const wrong = await post('/token?grant_type=password', { email: newEmail(), password: PASSWORD }, { apikey: 'sb_publishable_not-this-project' });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).message).toBe('Invalid API key');
  });

  it('refreshes a session once per refresh token; a spent one is refused and ends the session', async () => {
    const { supabase } = await signedIn();
    const before = (await supabase.auth.getSession()).data.session!;
    await new Promise((r) => setTimeout(r, 1100)); // a new iat, so a new access token
    const { data, error } = await supabase.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session!.refresh_token).not.toBe(before.refresh_token);
    expect(data.session!.access_token).not.toBe(before.access_token);
    expect(decodeJwt(data.session!.access_token).session_id).toBe(decodeJwt(before.access_token).session_id);

    const reused = await post('/token?grant_type=refresh_token', { refresh_token: before.refresh_token });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error_code: 'refresh_token_already_used' });
    const after = await post('/token?grant_type=refresh_token', { refresh_token: data.session!.refresh_token });
    expect(await after.json()).toMatchObject({ error_code: 'refresh_token_not_found' });
  });

  it('signs out: the session\'s access token no longer gets the user', async () => {
    const { supabase } = await signedIn();
    const token = (await supabase.auth.getSession()).data.session!.access_token;
    expect((await supabase.auth.signOut()).error).toBeNull();
    const res = await fetch(`${AUTH}/user`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error_code: 'session_not_found' });
  });

  it("a session's access token enqueues as its user, and GET /events lists only that user's events", async () => {
    const [alice, bob] = [await signedIn(), await signedIn()];
    const asAlice = createQueue(alice.supabase);
    const mine = (await asAlice.enqueue('Addition', { x: 1, y: 2 }, { delay_ms: 3_600_000 })).id;
    const theirs = (await createQueue(bob.supabase).enqueue('Addition', { x: 3, y: 4 }, { delay_ms: 3_600_000 })).id;
    const rows = await sql`select id, owner from queue.events where id in (${mine}, ${theirs}) order by id`;
    expect(rows.map((r) => [Number(r.id), r.owner])).toEqual([[mine, alice.id], [theirs, bob.id]]);
    const { events } = await asAlice.listEvents({ limit: 500 });
    expect(events.map((e) => e.id)).toEqual([mine]);
  });

  it("a Realtime subscription with a session gets only its user's events", async () => {
    const [alice, bob] = [await signedIn(), await signedIn()];
    const got: EventChange[] = [];
    const unsubscribe = await createQueue(alice.supabase).subscribe({}, (c) => got.push(c));
    try {
      const ofBob = (await createQueue(bob.supabase).enqueue('Addition', { x: 5, y: 6 }, { delay_ms: 3_600_000 })).id;
      const ofAlice = (await createQueue(alice.supabase).enqueue('Addition', { x: 7, y: 8 }, { delay_ms: 3_600_000 })).id;
      await waitFor("alice's insert", async () => got.some((c) => c.event.id === ofAlice), 20_000, 50);
      await new Promise((r) => setTimeout(r, 300));
      expect(got.every((c) => c.event.owner === alice.id)).toBe(true);
      expect(got.some((c) => c.event.id === ofBob)).toBe(false);
    } finally {
      await unsubscribe();
    }
  });
});
