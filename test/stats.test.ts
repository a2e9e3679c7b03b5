import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, enqueueUnclaimed, registerHandler, setKicks, tickUntil, tokenFor } from './support/queue.ts';

const sql = db();
beforeAll(async () => {
  await registerHandler(sql, { name: 'Counted', kind: 'code', target: 'Division', max_attempts: 1 });
});
afterAll(() => sql.end());

describe('stats', () => {
  it('counts events per state, the oldest due age and recent runs, per name', async () => {
    const { body } = await call('enqueue', {
      method: 'POST',
      json: { events: [{ name: 'Counted', props: { x: 1, y: 1 } }, { name: 'Counted', props: { x: 1, y: 0 } }] },
    });
    await tickUntil(sql, body.events.map((e: any) => e.id));
    await setKicks(sql, false);
    await call('enqueue', { method: 'POST', json: { name: 'Counted', props: { x: 1, y: 1 } } });
    await call('enqueue', { method: 'POST', json: { name: 'Counted', props: { x: 1, y: 1 }, delay_ms: 3_600_000 } });
    await new Promise((r) => setTimeout(r, 300));

    const res = await call('events/stats');
    await setKicks(sql, true);
    expect(res.status).toBe(200);
    const counted = res.body.stats.find((s: any) => s.name === 'Counted');
    expect(counted).toMatchObject({ succeeded: 1, dead: 1, queued: 1, scheduled: 1, processing: 0, runs_last_minute: 2, failures_last_5_minutes: 1 });
    expect(counted.oldest_due_age_ms).toBeGreaterThanOrEqual(300);

    // The same runs in the last hour's per-minute series (other files' runs count there too).
    const minutes = await call('events/stats/minutes');
    expect(minutes.status).toBe(200);
    const rows = minutes.body.minutes as Array<{ minute: string; runs: number; failures: number }>;
    expect(rows).toHaveLength(60);
    const at = rows.map((r) => Date.parse(r.minute));
    expect(at.slice(1).map((t, i) => t - at[i])).toEqual(Array(59).fill(60_000));
    expect(at[59]).toBeLessThanOrEqual(Date.now());
    expect(at[59]).toBeGreaterThan(Date.now() - 120_000);
    const lastTwo = rows.slice(-2);
    expect(lastTwo.reduce((n, r) => n + r.runs, 0)).toBeGreaterThanOrEqual(2);
    expect(lastTwo.reduce((n, r) => n + r.failures, 0)).toBeGreaterThanOrEqual(1);
    for (const r of rows) expect(r.failures).toBeLessThanOrEqual(r.runs);
  });

  it('gives each minute the oldest due age its tick saw (oldest_due_age_ms), null where no tick ran', async () => {
    // Nothing claims it: it stays due.
    const id = await enqueueUnclaimed(sql, 'DueSampled', 90_000);
    try {
      const [{ minute }] = await sql<{ minute: Date }[]>`select date_trunc('minute', now()) as minute from queue.tick()`;
      const res = await call('events/stats/minutes');
      expect(res.status).toBe(200);
      const rows = res.body.minutes as Array<{ minute: string; oldest_due_age_ms: number | null }>;
      const ticked = rows.find((r) => Date.parse(r.minute) === minute.getTime());
      expect(ticked?.oldest_due_age_ms).toBeGreaterThanOrEqual(90_000);
      for (const r of rows) expect(r.oldest_due_age_ms === null || typeof r.oldest_due_age_ms === 'number').toBe(true);
    } finally {
      await sql`delete from queue.events where id = ${id}`;
    }
  });

  it('is for the service role only', async () => {
    const user = await tokenFor(randomUUID());
    expect((await call('events/stats', { key: user })).status).toBe(403);
    expect((await call('events/stats/minutes', { key: user })).status).toBe(403);
  });
});
