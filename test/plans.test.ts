// How the queue's operations are planned as the tables grow. A drainer's
// session lives for minutes, and PL/pgSQL keeps its statements' plans for the
// session: a generic plan made while queue.events was small found the
// claimed events by scanning the whole table, and every later claim read
// every row (supabase/migrations/*_queue_plans.sql). On a stack of this
// file's own, so the table starts empty as a new project's does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claim, connect, settle, type Claimed, type Outcome, type Queryable } from '../src/shared/db.ts';
import { ownStack, type OwnStack } from './support/own-stack.ts';
import { enqueueMany, registerHandler, setKicks } from './support/queue.ts';

/** Rows of queue.events and queue.runs read by sequential scans in the current transaction. */
async function seqRead(tx: Queryable): Promise<{ events: number; runs: number }> {
  const rows = await tx<{ relname: string; n: number }[]>`
    select relname, seq_tup_read::int as n from pg_stat_xact_user_tables where schemaname = 'queue' and relname in ('events', 'runs')`;
  return { events: rows.find((r) => r.relname === 'events')?.n ?? 0, runs: rows.find((r) => r.relname === 'runs')?.n ?? 0 };
}

const succeeded = (rows: Claimed[]): Outcome[] => rows.map((r) => ({ run_id: r.run_id, outcome: 'succeeded', result: null }));

describe('plans as queue.events grows within one session', () => {
  let own: OwnStack;
  let session: ReturnType<typeof connect>;

  beforeAll(async () => {
    own = await ownStack();
    await setKicks(own.sql, false); // only this file's session claims
    await registerHandler(own.sql, { name: 'Plans', kind: 'code', target: 'Addition' });
    // As in the minute before autovacuum's next analyze: the statistics stay those of a small table.
    await own.sql`alter table queue.events set (autovacuum_enabled = false)`;
    await own.sql`alter table queue.runs set (autovacuum_enabled = false)`;
    session = connect(own.stack.dbUrl, { max: 1 }); // one backend: one plan cache, as a drainer's
  }, 180_000);
  afterAll(async () => {
    await session?.end();
    await own?.close();
  });

  it('claims and settles by index with 100,000 more events than when the session first planned them', { timeout: 120_000 }, async () => {
    // More than five calls while the table is small: Postgres may settle on a generic plan after five.
    for (let round = 0; round < 8; round++) {
      await enqueueMany(session, 'Plans', 20, { x: 1, y: 1 });
      const rows = await claim(session, 'drain:plans', 20, { delivered: true });
      await settle(session, succeeded(rows));
    }
    await own.sql`insert into queue.events (name, props, state, finished_at)
                  select 'Plans', '{}', 'succeeded', now() from generate_series(1, 100000)`;
    await enqueueMany(own.sql, 'Plans', 500, { x: 1, y: 1 });

    const claimed = await session.begin(async (tx) => {
      const rows = await claim(tx, 'drain:plans', 500, { delivered: true });
      return { rows, read: await seqRead(tx) };
    });
    expect(claimed.rows).toHaveLength(500);
    // A scan of the table reads its 100,000+ rows; by index, a claim reads
    // what it takes (heap scans of a few pages count here too: 1,440 rows).
    expect(claimed.read.events).toBeLessThan(10_000);

    const settled = await session.begin(async (tx) => {
      const rows = await settle(tx, succeeded(claimed.rows));
      return { rows, read: await seqRead(tx) };
    });
    expect(settled.rows.filter((r) => r.state === 'succeeded')).toHaveLength(500);
    expect(settled.read.events).toBeLessThan(10_000);
    expect(settled.read.runs).toBeLessThan(10_000);
  });
});
