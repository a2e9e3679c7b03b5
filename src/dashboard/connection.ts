// Who the page talks to and as whom. The project URL (and the publishable
// key, which is public) come from ./config.json; the credential the operator
// types is kept in sessionStorage only: it lasts for this browser tab's
// session and is never written to localStorage or put in a URL. A user's
// session is either an access token pasted or a sign-in here (email and
// password, through the project's Auth); either way its access token is sent
// as the pasted one is.
import { createClient, isAuthApiError, isAuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import { createQueue, QueueError, type Queue } from '../sdk/index.ts';

export interface Credentials {
  /** The API key sent as `apikey`: the publishable key, the secret key, or a legacy JWT key. */
  key: string;
  /** A signed-in user's access token, pasted (sent as Bearer, with the publishable key). */
  userToken?: string;
  /**
   * Signed in on this page: supabase-js keeps the session (in this tab's
   * sessionStorage) and refreshes it; its access token is sent as a pasted
   * userToken is.
   */
  signedIn?: boolean;
}

/**
 * What the page may do: `operator` (the service role: every event, every
 * action), `user` (a signed-in user's own events, read-only here), `anon`
 * (the publishable key alone: the API shows it nothing).
 */
export type Access = 'operator' | 'user' | 'anon';

export interface Connection {
  url: string;
  access: Access;
  supabase: SupabaseClient;
  queue: Queue;
  /** Signed in on this page: who, and how to end the session. */
  signedIn?: { email: string; signOut(): Promise<void> };
}

const STORAGE_KEY = 'supaqueue.dashboard.credentials';

export function loadCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Credentials) : null;
  } catch {
    return null;
  }
}

export function saveCredentials(c: Credentials | null): void {
  if (c) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(STORAGE_KEY);
}

export interface DashboardConfig {
  url: string;
  publishableKey?: string;
}

/** ./config.json beside the page (written by the local server); a static host may leave it out. */
export async function loadConfig(): Promise<DashboardConfig | null> {
  try {
    const res = await fetch('./config.json', { cache: 'no-store' });
    if (!res.ok) return null;
    const config = await res.json();
    return typeof config?.url === 'string' ? config : null;
  } catch {
    return null;
  }
}

const SESSION_KEY = 'supaqueue.dashboard.session';
const authClients = new Map<string, SupabaseClient>();

/**
 * The client that signs in (with the publishable key), one per project and
 * key: its session is kept in this tab's sessionStorage, never in
 * localStorage, and refreshed before it expires.
 */
function authClient(url: string, key: string): SupabaseClient {
  const id = `${url} ${key}`;
  let c = authClients.get(id);
  if (!c) {
    c = createClient(url, key, {
      auth: { storage: sessionStorage, storageKey: SESSION_KEY, persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
    });
    authClients.set(id, c);
  }
  return c;
}

/** Signs in with email and password (supabase-js signInWithPassword); rejects with Auth's error. */
export async function signIn(url: string, key: string, email: string, password: string): Promise<Credentials> {
  const { error } = await authClient(url, key).auth.signInWithPassword({ email, password });
  if (error) throw error;
  return { key, signedIn: true };
}

function client(url: string, c: Credentials): SupabaseClient {
  // The session's current access token (null once it has ended: the key alone is sent then).
  const sessionToken = c.signedIn
    ? async () => (await authClient(url, c.key).auth.getSession()).data.session?.access_token ?? null
    : c.userToken ? async () => c.userToken! : undefined;
  return createClient(url, c.key, {
    // No Auth session of its own: the credential is what the operator typed, or the sign-in's session.
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(sessionToken && { accessToken: sessionToken }),
  });
}

/**
 * Connects and finds out what the credential may do by asking the API (the
 * only judge): the handlers route answers the service role only; a user
 * token is tried on the events route. A refused credential or an
 * unreachable API rejects with the API's QueueError (code and message).
 */
export async function connect(url: string, c: Credentials): Promise<Connection> {
  let signedIn: Connection['signedIn'];
  if (c.signedIn) {
    const auth = authClient(url, c.key).auth;
    const { data } = await auth.getSession();
    if (!data.session) throw new Error('The session has ended: sign in again.');
    // scope local: this tab's session only, not the user's sessions elsewhere.
    signedIn = { email: data.session.user.email ?? '', signOut: async () => { await auth.signOut({ scope: 'local' }); } };
  }
  const supabase = client(url, c);
  const queue = createQueue(supabase);
  if (signedIn || c.userToken) {
    await queue.listEvents({ limit: 1 });
    return { url, access: 'user', supabase, queue, ...(signedIn && { signedIn }) };
  }
  try {
    await queue.handlers.list();
    return { url, access: 'operator', supabase, queue };
  } catch (err) {
    if (err instanceof QueueError && err.code === 'forbidden') return { url, access: 'anon', supabase, queue };
    throw err;
  }
}

/** A sentence for an error the API (or the network) gave. */
export function describeError(err: unknown): string {
  // Auth's own refusals (wrong password, a weak one…) carry its message; no answer at all is a network failure.
  if (isAuthApiError(err)) return `Sign-in refused: ${err.message}`;
  if (isAuthRetryableFetchError(err)) return `Auth cannot be reached: ${err.message}`;
  if (err instanceof QueueError) {
    if (err.code === 'unavailable') return `The API cannot be reached: ${err.message}`;
    if (err.code === 'unauthorized') return `The key was refused: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
