// Group commit for enqueue: calls that arrive while the worker's connections
// are busy go to the database together, as one queue.enqueue_many statement
// (one transaction: one WAL flush, one NOTIFY, one kick check). An insert's
// NOTIFY serializes committing transactions, so one transaction per request
// tops out near one commit per fsync however many clients wait; grouped, the
// queue takes what arrives while the previous commit flushes. A call that
// finds a connection free goes at once: an idle queue adds no latency.
//
// Each call keeps its own answer: its rows, in its order. A group that
// Postgres refused with an ERROR (the statement rolled back, nothing was
// written, the session lives on) is retried call by call, so one call's bad
// event (a name without a handler, a value out of range) fails that call
// only. Any other failure (a FATAL such as a terminated backend, or a broken
// connection: the commit may or may not have happened) fails every call of
// the group as it would have failed the call alone: retrying could write an
// accepted event twice.
import postgres from 'postgres';
import { enqueueMany, type Enqueued, type Sql } from './db.ts';
import { MAX_BATCH, type EnqueueItem } from './validate.ts';

interface Call {
  items: EnqueueItem[];
  owner: string | null;
  resolve: (rows: Enqueued[]) => void;
  reject: (err: unknown) => void;
}

export type Enqueue = (items: EnqueueItem[], owner: string | null) => Promise<Enqueued[]>;

/**
 * An enqueue that groups concurrent calls. As many statements are in flight
 * at once as the pool has connections (more would only wait for one). A
 * group holds calls of one owner (enqueue_many takes one), up to MAX_BATCH
 * events.
 */
export function groupCommit(sql: Sql): Enqueue {
  const slots = sql.options.max;
  const waiting: Call[] = [];
  let inFlight = 0;

  /** The oldest waiting call and the later ones of its owner that fit beside it. */
  function take(): Call[] {
    const first = waiting.shift()!;
    const group = [first];
    let events = first.items.length;
    for (let i = 0; i < waiting.length;) {
      const call = waiting[i];
      if (call.owner === first.owner && events + call.items.length <= MAX_BATCH) {
        group.push(call);
        events += call.items.length;
        waiting.splice(i, 1);
      } else {
        i++;
      }
    }
    return group;
  }

  async function run(group: Call[]) {
    const alone = (call: Call) => enqueueMany(sql, call.items, call.owner).then(call.resolve, call.reject);
    if (group.length === 1) return alone(group[0]);
    let rows: Enqueued[];
    try {
      rows = await enqueueMany(sql, group.flatMap((call) => call.items), group[0].owner);
    } catch (err) {
      if (!(err instanceof postgres.PostgresError && err.severity === 'ERROR')) {
        for (const call of group) call.reject(err);
        return;
      }
      await Promise.all(group.map(alone));
      return;
    }
    let at = 0;
    for (const call of group) call.resolve(rows.slice(at, (at += call.items.length)));
  }

  function pump() {
    while (inFlight < slots && waiting.length > 0) {
      inFlight++;
      run(take()).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (items, owner) => new Promise<Enqueued[]>((resolve, reject) => {
    waiting.push({ items, owner, resolve, reject });
    pump();
  });
}
