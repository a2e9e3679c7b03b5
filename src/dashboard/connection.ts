// Who the page talks to and as whom. The project URL (and the publishable
// key, which is public) come from ./config.json; the credential the operator
// types is kept in sessionStorage only: it lasts for this browser tab's
// session and is never written to localStorage or put in a URL.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { createQueue, QueueError, type Queue } from '../sdk/index.ts';

export interface Credentials {
  /** The API key sent as `apikey`: the publishable key, the secret key, or a legacy JWT key. */
  key: string;
  /** A signed-in user's access token (sent as Bearer, with the publishable key). */
  userToken?: string;
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

function client(url: string, c: Credentials): SupabaseClient {
  return createClient(url, c.key, {
    // No Auth session of its own: the credential is what the operator typed.
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(c.userToken && { accessToken: async () => c.userToken! }),
  });
}

/**
 * Connects and finds out what the credential may do by asking the API (the
 * only judge): the handlers route answers the service role only; a user
 * token is tried on the events route. A refused credential or an
 * unreachable API rejects with the API's QueueError (code and message).
 */
export async function connect(url: string, c: Credentials): Promise<Connection> {
  const supabase = client(url, c);
  const queue = createQueue(supabase);
  if (c.userToken) {
    await queue.listEvents({ limit: 1 });
    return { url, access: 'user', supabase, queue };
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
  if (err instanceof QueueError) {
    if (err.code === 'unavailable') return `The API cannot be reached: ${err.message}`;
    if (err.code === 'unauthorized') return `The key was refused: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
