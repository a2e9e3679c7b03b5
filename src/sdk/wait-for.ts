// waitFor: resolves once an event is in one of the given states. It
// subscribes first and only then reads the event, so a change that lands
// between the two is still heard; whichever shows a wanted state first wins.
// It also reads the event again every `rereadMs` while it waits: hosted
// Realtime does not guarantee delivery (a change committed just after
// SUBSCRIBED can be missed), so the stream alone could leave it waiting.
import { notFound, QueueError } from '../shared/errors.ts';
import { FINAL_STATES, type EventState } from '../shared/states.ts';
import type { EventRow, EventWithRuns } from './rows.ts';
import { subscribe, type Unsubscribe } from './subscribe.ts';
import type { SupabaseLike } from './supabase-like.ts';

export interface WaitOptions {
  /** Give up after this many ms: rejects with QueueError code `timeout`. (Default: 60000, a cron minute) */
  timeoutMs?: number;
  /** Stops waiting when aborted: rejects with the signal's reason. (Default: none) */
  signal?: AbortSignal;
  /** Reads the event again this often while waiting, in ms. (Default: 5000) */
  rereadMs?: number;
}

/** The default states waitFor waits for: the final ones. */
export const WAIT_STATES: readonly EventState[] = FINAL_STATES;

export function waitFor(
  client: SupabaseLike,
  getEvent: (id: number) => Promise<EventWithRuns>,
  id: number,
  states: readonly EventState[] = WAIT_STATES,
  options: WaitOptions = {},
): Promise<EventRow> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { signal } = options;
  return new Promise<EventRow>((resolve, reject) => {
    let done = false;
    let last: EventRow | undefined;
    let unsubscribe: Unsubscribe | undefined;
    let reread: ReturnType<typeof setInterval> | undefined;
    const onAbort = () => finish(() => reject(signal?.reason ?? new Error('aborted')));
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(reread);
      signal?.removeEventListener('abort', onAbort);
      void unsubscribe?.().catch(() => {});
      settle();
    };
    const timer = setTimeout(() => finish(() => reject(new QueueError('timeout',
      `Event ${id} did not reach ${states.join(' or ')} within ${timeoutMs} ms${last ? `; it is ${last.state}` : ''}.`,
      { details: last ? { event: last } : undefined }))), timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    // Realtime can deliver a change late, after a newer state was read (say
    // the 'dead' of before a retry): only a version at least as new as the
    // newest seen counts, and changes count only once the first read is in.
    const version = (event: EventRow) => new Date(event.updated_at).getTime();
    let read_ = false;
    let early: EventRow | undefined;
    const consider = (event: EventRow) => {
      if (last && version(event) < version(last)) return;
      last = event;
      if (states.includes(event.state)) finish(() => resolve(event));
    };
    const heard = (event: EventRow) => {
      if (read_) consider(event);
      else if (!early || version(event) >= version(early)) early = event;
    };
    // Reads the row; also after a reconnect, as changes during it may not be replayed.
    const read = () => getEvent(id).then(({ runs: _runs, ...event }) => {
      read_ = true;
      consider(event);
      if (early) consider(early);
    }, (err) => finish(() => reject(err)));
    let confirmed = false;
    reread = setInterval(() => { if (confirmed && !done) void read(); }, options.rereadMs ?? 5000);
    subscribe(client, { id }, (change) => {
      if (change.type !== 'DELETE') heard(change.event);
      else finish(() => reject(notFound(`Event ${id} was deleted (pruned) while waiting for it.`)));
    }, {
      onStatus: (status) => {
        if (status === 'SUBSCRIBED' && confirmed && !done) void read();
      },
    }).then((unsub) => {
      unsubscribe = unsub;
      confirmed = true;
      if (done) void unsub().catch(() => {});
      else void read();
    }, (err) => finish(() => reject(err)));
  });
}
