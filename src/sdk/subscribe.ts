// subscribe: changes of queue.events over Realtime (postgres_changes), as
// `{ type, event, old }`. Realtime filters one column server-side, so the
// most selective given (id, then name, then state) goes to the server and the
// rest is checked here. What a client hears follows RLS: a user, their own
// events; the service role, all.
import { QueueError } from '../shared/errors.ts';
import type { EventState } from '../shared/states.ts';
import type { AnyProps, EventRow } from './rows.ts';
import { isoTimestamps } from './timestamps.ts';
import type { ChannelStatus, SupabaseLike } from './supabase-like.ts';

/** Which events to hear about; every field given must match. */
export interface SubscribeFilter<N extends string = string> {
  /** One event. (Default: any event) */
  id?: number;
  /** Events of this name. (Default: any name) */
  name?: N;
  /** Events now in this state, or one of these. (Default: any state) */
  state?: EventState | readonly EventState[];
}

export interface SubscribeOptions {
  /** How long to wait for Realtime to confirm the subscription, in ms. (Default: 10000) */
  timeoutMs?: number;
  /** Told each channel status: SUBSCRIBED again after a reconnect, CHANNEL_ERROR, CLOSED. (Default: none) */
  onStatus?: (status: ChannelStatus, error?: Error) => void;
}

/**
 * One change of an event, in commit order. `event` is the row after the
 * change (for DELETE, what Realtime sends of the removed row: all of it for
 * the service role, only `id` for a user); `old` the row before (UPDATE).
 */
export interface EventChange<P = AnyProps> {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  event: EventRow<P>;
  old: Partial<EventRow<P>> | null;
  /** When the change committed (ISO 8601). */
  commit_timestamp: string;
}

/** Stops the subscription (and removes its channel). Safe to call twice. */
export type Unsubscribe = () => Promise<void>;

/** A Realtime row in the routes' form; null for an empty one. */
function normalize(row: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  return row && Object.keys(row).length ? isoTimestamps(row) : null;
}

const states = (s: SubscribeFilter['state']): readonly EventState[] | undefined => (s === undefined ? undefined : typeof s === 'string' ? [s] : s);

/** The one server-side filter: the most selective field given. */
export function serverFilter(f: SubscribeFilter): string | undefined {
  if (f.id !== undefined) return `id=eq.${f.id}`;
  if (f.name !== undefined) return `name=eq.${f.name}`;
  const s = states(f.state);
  if (s) return s.length === 1 ? `state=eq.${s[0]}` : `state=in.(${s.join(',')})`;
  return undefined;
}

/** Whether a row fits the whole filter (a field the row lacks does not fit). */
export function matches(f: SubscribeFilter, row: Record<string, unknown>): boolean {
  const s = states(f.state);
  return (f.id === undefined || row.id === f.id) && (f.name === undefined || row.name === f.name) &&
    (s === undefined || s.includes(row.state as EventState));
}

let channels = 0;

/**
 * Subscribes to changes of the events that fit `filter` and resolves once
 * Realtime confirms (so every change committed after that is heard), with
 * the function that unsubscribes. Rejects with QueueError `unavailable` when
 * the subscription is refused or not confirmed in time.
 */
export async function subscribe<P = AnyProps>(
  client: SupabaseLike, filter: SubscribeFilter, callback: (change: EventChange<P>) => void, options: SubscribeOptions = {},
): Promise<Unsubscribe> {
  const server = serverFilter(filter);
  const topic = `queue-events-${++channels}-${Math.random().toString(36).slice(2, 10)}`;
  // wait: SUBSCRIBED only once the server's postgres_changes subscription is live, not merely joined.
  const channel = client.channel(topic, { config: { postgres_changes_options: { wait: true } } });
  channel.on('postgres_changes', { event: '*', schema: 'queue', table: 'events', ...(server && { filter: server }) }, (payload) => {
    const type = payload?.eventType as EventChange['type'];
    const old = normalize(payload?.old);
    const event = type === 'DELETE' ? old : normalize(payload?.new);
    if (!event || !matches(filter, event)) return;
    callback({ type, event: event as unknown as EventRow<P>, old: old as Partial<EventRow<P>> | null, commit_timestamp: payload.commit_timestamp });
  });

  let subscribed = false;
  let removed = false;
  const unsubscribe: Unsubscribe = async () => {
    if (removed) return;
    removed = true;
    await client.removeChannel(channel);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      channel.subscribe((status, error) => {
        options.onStatus?.(status, error);
        if (status === 'SUBSCRIBED') {
          subscribed = true;
          resolve();
        } else if (!subscribed) {
          reject(new QueueError('unavailable', `Realtime refused the subscription to queue.events (${status}${error ? `: ${error.message}` : ''}).`, { cause: error }));
        }
      }, options.timeoutMs ?? 10_000);
    });
  } catch (err) {
    await unsubscribe();
    throw err;
  }
  return unsubscribe;
}
