// The page's one Realtime subscription: every change of queue.events the
// credential may see (RLS decides), handed to the pages in batches, one per
// animation frame, so a burst of changes costs one render. When the
// connection comes back after a drop, `generation` goes up: the pages read
// again what they show, since Realtime does not promise every change.
import type { EventChange, Unsubscribe } from '../sdk/index.ts';
import type { Connection } from './connection.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

type Listener = (changes: EventChange[]) => void;

export class LiveEvents {
  status: LiveStatus = 'connecting';
  /** Goes up each time the subscription is live again after a drop. */
  generation = 0;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<() => void>();
  private pending: EventChange[] = [];
  private frame = 0;
  private unsubscribe?: Unsubscribe;
  private retry?: ReturnType<typeof setTimeout>;
  /** Goes up at every open and stop: a subscription of an earlier one is dropped when it resolves. */
  private session = 0;
  private everLive = false;

  constructor(private readonly conn: Connection) {}

  private setStatus(status: LiveStatus) {
    if (status === 'live' && this.status !== 'live' && this.everLive) this.generation++;
    if (status === 'live') this.everLive = true;
    this.status = status;
    for (const l of this.statusListeners) l();
  }

  /** Subscribes (again, after a stop: React's StrictMode mounts effects twice). */
  open() {
    void this.start(++this.session);
  }

  private async start(session: number) {
    const current = () => session === this.session;
    try {
      const unsubscribe = await this.conn.queue.subscribe({}, (change) => { if (current()) this.push(change); }, {
        onStatus: (status) => {
          if (current()) this.setStatus(status === 'SUBSCRIBED' ? 'live' : 'reconnecting');
        },
      });
      if (current()) this.unsubscribe = unsubscribe;
      else await unsubscribe();
    } catch {
      // Realtime could not be reached or refused: try again, the list still works without it.
      if (!current()) return;
      this.setStatus('off');
      this.retry = setTimeout(() => void this.start(session), 3000);
    }
  }

  private push(change: EventChange) {
    this.pending.push(change);
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      const batch = this.pending;
      this.pending = [];
      for (const l of this.listeners) l(batch);
    });
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async stop() {
    this.session++;
    clearTimeout(this.retry);
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.pending = [];
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
  }
}
