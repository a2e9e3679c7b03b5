import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, registerHandler, setKicks, tickUntil, tokenFor } from './support/queue.ts';

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
  });

  it('is for the service role only', async () => {
    expect((await call('events/stats', { key: await tokenFor(randomUUID()) })).status).toBe(403);
  });
});
