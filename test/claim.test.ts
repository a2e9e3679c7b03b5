import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claim } from '../src/shared/db.ts';
import { db, registerHandler, setKicks } from './support/queue.ts';

const sql = db();
// A handler only this file enqueues for, so counts below are this file's.
const NAME = 'ClaimTest';

// These tests claim by hand: no drainer may take the events first.
beforeAll(async () => {
  await setKicks(sql, false);
  await registerHandler(sql, { name: NAME, kind: 'code', target: 'Addition', timeout_ms: 1000 });
});
afterAll(async () => {
  await sql`update queue.handlers set enabled = false where name = ${NAME}`;
  await setKicks(sql, true);
  await sql.end();
});

async function enqueue(n: number, extra: Record<string, unknown> = {}) {
  const events = Array.from({ length: n }, (_, i) => ({ name: NAME, props: { i }, ...extra }));
  const rows = await sql<{ id: number }[]>`select id from queue.enqueue_many(${sql.json(events)}::jsonb)`;
  return rows.map((r) => r.id);
}

describe('claim', () => {
  it('never returns the same event to two concurrent claimers', async () => {
    const ids = await enqueue(2000);
    // 8 claimers on 8 separate connections, each looping until nothing is left.
    const claimers = Array.from({ length: 8 }, (_, w) => (async () => {
      const conn = db();
      const got: number[] = [];
      try {
        for (;;) {
          const rows = await conn<{ id: number; name: string }[]>`select id, name from queue.claim(${'test-' + w}, 37)`;
          const mine = rows.filter((r) => r.name === NAME);
          got.push(...mine.map((r) => r.id));
          if (rows.length === 0) break;
        }
      } finally {
        await conn.end();
      }
      return got;
    })());
    const all = (await Promise.all(claimers)).flat().filter((id) => ids.includes(id));
    expect(all.length).toBe(ids.length);
    expect(new Set(all).size).toBe(ids.length);
    const [{ running }] = await sql`select count(*)::int as running from queue.runs where event_id = any(${ids}::bigint[]) and outcome = 'running'`;
    expect(running).toBe(ids.length);
  });

  it('claim() writes only what it checked into its statement: a worker name that is not a word, or a limit that is not an integer, claims nothing (drainer.test.ts and dispatch.test.ts run it for real)', async () => {
    const [id] = await enqueue(1);
    for (const worker of ["x'::text, 1000, true); update queue.events set priority = 99; --", 'drain x', '', "é"]) {
      await expect(claim(sql, worker, 10), JSON.stringify(worker)).rejects.toThrow(TypeError);
    }
    await expect(claim(sql, 'drain:ok', 1.5)).rejects.toThrow(TypeError);
    const [row] = await sql`select state, priority from queue.events where id = ${id}`;
    expect(row).toEqual({ state: 'queued', priority: 0 });
  });

  it('does not claim an event whose run_at is in the future', async () => {
    const [id] = await enqueue(1, { run_at: new Date(Date.now() + 60_000).toISOString() });
    const claimed = await sql`select id from queue.claim('future-test', 1000)`;
    expect(claimed.map((r: any) => r.id)).not.toContain(id);
    const [row] = await sql`select state from queue.events where id = ${id}`;
    expect(row.state).toBe('scheduled');
  });

  it('claims higher priority first, then earlier run_at', async () => {
    const [low] = await enqueue(1, { priority: -5 });
    const [high] = await enqueue(1, { priority: 50 });
    const [mid] = await enqueue(1, { priority: 0 });
    const rows = await sql<{ id: number }[]>`select id from queue.claim('priority-test', 1000)`;
    const order = rows.map((r) => r.id).filter((id) => [low, high, mid].includes(id));
    expect(order).toEqual([high, mid, low]);
  });

  it('leases a claimed event for 30 s and opens a run', async () => {
    const [id] = await enqueue(1);
    const [claimed] = await sql`select * from queue.claim('lease-test', 1000) where id = ${id}`;
    expect(claimed.attempt).toBe(1);
    const [ev] = await sql`
      select state, leased_by, extract(epoch from lease_until - clock_timestamp())::float8 as lease_s
        from queue.events where id = ${id}`;
    expect(ev.state).toBe('processing');
    expect(ev.leased_by).toBe('lease-test');
    expect(ev.lease_s).toBeGreaterThan(28);
    expect(ev.lease_s).toBeLessThanOrEqual(30);
    const [run] = await sql`select outcome, attempt, worker from queue.runs where id = ${claimed.run_id}`;
    expect(run).toEqual({ outcome: 'running', attempt: 1, worker: 'lease-test' });
  });
});
