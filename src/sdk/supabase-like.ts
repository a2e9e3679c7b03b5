// The parts of a supabase-js client the SDK uses, described structurally so
// that it needs no import of '@supabase/supabase-js': any
// SupabaseClient (Node, Deno, browsers) fits, and so does a stand-in.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `supabase.functions`: invokes edge functions with the client's key (`apikey`) and session token (`Authorization`). */
export interface FunctionsLike {
  invoke(name: string, options?: { method?: HttpMethod; body?: any }): Promise<{ data: any; error: any }>;
}

export type ChannelStatus = 'SUBSCRIBED' | 'TIMED_OUT' | 'CLOSED' | 'CHANNEL_ERROR';

/** A Realtime channel: only its postgres_changes binding is used. */
export interface ChannelLike {
  on(
    type: 'postgres_changes',
    filter: { event: '*'; schema: string; table?: string; filter?: string },
    callback: (payload: any) => void,
  ): ChannelLike;
  subscribe(callback?: (status: ChannelStatus, err?: Error) => void, timeout?: number): ChannelLike;
}

/**
 * A supabase-js client (`createClient(url, key)`), as far as the queue SDK
 * needs it. What its key makes the caller (supabase-js ≥ 2.119 sends an
 * `sb_` key only as `apikey`, never as a Bearer token; a JWT key as both):
 *   - `createClient(url, secretKey)` or the legacy service_role key: the
 *     service role, every method. Server-side only.
 *   - `createClient(url, publishableKey, { accessToken: async () => userToken })`
 *     (or a Supabase Auth session): the signed-in user, their own events, for
 *     functions and Realtime alike. A `global.headers.Authorization` header
 *     reaches functions but not Realtime (it runs on the key unless
 *     `supabase.realtime.setAuth(userToken)`).
 *   - the publishable or legacy anon key alone: anon, refused (403) by every
 *     route; Realtime sends it nothing of the queue.
 */
export interface SupabaseLike {
  functions: FunctionsLike;
  channel(name: string, opts?: { config: { postgres_changes_options?: { wait?: boolean } } }): ChannelLike;
  removeChannel(channel: any): Promise<unknown>;
}
