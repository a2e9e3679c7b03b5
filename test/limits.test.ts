// Concurrency and rate limits per event name, enforced in claim's SQL, hold
// across 8 dispatchers draining at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHandlerServer, type HandlerServer } from './support/handler-server.ts';
import { maxConcurrentRuns, notFinal, overlappingRuns } from './support/invariants.ts';
import { drainWith } from './support/dispatchers.ts';
import { call, db, registerHandler, setKicks } from './support/queue.ts';

const sql = db();
let server: HandlerServer;

beforeAll(async () => {
  server = await startHandlerServer();
  await setKicks(sql, false); // exactly the 8 dispatchers below
});
afterAll(async () => {
  await setKicks(sql, true);
  await server.close();
  await sql.end();
});

async function enqueue(name: string, n: number, props: object) {
  const events = Array.from({ length: n }, (_, i) => ({ name, props: { ...props, i } }));
  const res = await call('enqueue', { method: 'POST', json: { events } });
  expect(res.status).toBe(201);
  return res.body.events.map((e: { id: number }) => e.id) as number[];
}

// Kicks are off (no kicked drainer joins in), so these drainers don't heed it.
const drainers = (n: number) => drainWith(n, { aliveMs: Infinity, idleMs: 3000 });

describe('limits', () => {
  it('never has more than concurrency_limit events of a name processing, with 8 dispatchers', async () => {
    await registerHandler(sql, { name: 'Limited2', kind: 'url', target: server.url, concurrency_limit: 2 });
    const ids = await enqueue('Limited2', 40, { sleep_ms: 100 });

    let peakSampled = 0;
    let sampling = true;
    const sampler = (async () => {
      const probe = db();
      while (sampling) {
        const [{ n }] = await probe`select count(*)::int as n from queue.events where name = 'Limited2' and state = 'processing'`;
        peakSampled = Math.max(peakSampled, n);
        await new Promise((r) => setTimeout(r, 5));
      }
      await probe.end();
    })();
    const results = await drainers(8);
    sampling = false;
    await sampler;

    // A claim may be handed back unspent (release) and claimed again, so the
    // drainers claim at least 40; what must hold is one run per event.
    expect(results.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(40);
    expect(await notFinal(sql, ids)).toEqual({ missing: [], unfinished: [] });
    const [{ runs: limitedRuns }] = await sql`select count(*)::int as runs from queue.runs where event_id = any(${ids}::bigint[])`;
    expect(limitedRuns).toBe(40);
    const [{ succeeded }] = await sql`select count(*)::int as succeeded from queue.events where id = any(${ids}::bigint[]) and state = 'succeeded'`;
    expect(succeeded).toBe(40);
    expect(peakSampled).toBe(2);
    expect(await maxConcurrentRuns(sql, 'Limited2')).toBe(2);
    expect(await overlappingRuns(sql, ids)).toBe(0);
  });

  it('never starts more than rate_limit events of a name per period; the rest wait', async () => {
    await registerHandler(sql, { name: 'Rated', kind: 'url', target: server.url, rate_limit: 5, rate_period_ms: 1000 });
    const ids = await enqueue('Rated', 25, {});
    const results = await drainers(8);
    expect(results.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(25); // see above
    expect(await notFinal(sql, ids)).toEqual({ missing: [], unfinished: [] });

    // For every start, the starts in the period ending at it (inclusive) number at most 5.
    const [{ worst }] = await sql`
      select max(n)::int as worst from (
        select (select count(*) from queue.runs b
                 where b.name = 'Rated' and b.started_at > a.started_at - interval '1000 milliseconds'
                   and b.started_at <= a.started_at) as n
          from queue.runs a where a.name = 'Rated') s`;
    expect(worst).toBe(5);
    // Nothing was dropped: 25 events, 25 runs, all succeeded.
    const [{ runs }] = await sql`select count(*)::int as runs from queue.runs where name = 'Rated' and outcome = 'succeeded'`;
    expect(runs).toBe(25);
  });
});
