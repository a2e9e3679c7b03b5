// Recurring events: created, listed and deleted through the API; each
// occurrence is enqueued exactly once even with several ticks racing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, registerHandler } from './support/queue.ts';

const sql = db();
beforeAll(() => registerHandler(sql, { name: 'Report', kind: 'code', target: 'Addition' }));
afterAll(async () => {
  await sql`delete from queue.schedules`;
  await sql.end();
});

describe('schedules', () => {
  it('creates, lists, gets and deletes a schedule', async () => {
    const created = await call('schedules', {
      method: 'POST',
      json: { name: 'nightly-report', event_name: 'Report', cron: '0 3 * * *', timezone: 'Europe/Paris', props: { x: 1, y: 2 } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'nightly-report', event_name: 'Report', cron: '0 3 * * *', timezone: 'Europe/Paris' });
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    const next = new Date(created.body.next_run_at);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([1, 2]).toContain(next.getUTCHours());
    expect(next.getUTCMinutes()).toBe(0);

    expect((await call('schedules')).body.schedules.map((s: any) => s.name)).toContain('nightly-report');
    expect((await call('schedules/nightly-report')).body.cron).toBe('0 3 * * *');
    expect((await call('schedules/nightly-report', { method: 'DELETE' })).status).toBe(200);
    expect((await call('schedules/nightly-report')).status).toBe(404);
  });

  it('refuses an invalid cron expression, an unknown time zone and an event without a handler', async () => {
    const bad = await call('schedules', { method: 'POST', json: { name: 'bad', event_name: 'Report', cron: '61 * * * *' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('61');
    const tz = await call('schedules', { method: 'POST', json: { name: 'bad', event_name: 'Report', cron: '* * * * *', timezone: 'Mars/Olympus' } });
    expect(tz.status).toBe(400);
    const noHandler = await call('schedules', { method: 'POST', json: { name: 'bad', event_name: 'Nobody', cron: '* * * * *' } });
    expect(noHandler.status).toBe(422);
    expect(await sql`select 1 from queue.schedules where name = 'bad'`).toHaveLength(0);
  });

  it('enqueues each occurrence exactly once with 8 ticks racing', async () => {
    await call('schedules', { method: 'POST', json: { name: 'every-minute', event_name: 'Report', cron: '* * * * *', props: { x: 2, y: 2 } } });
    // The occurrence came due a moment ago.
    await sql`update queue.schedules set next_run_at = date_trunc('minute', now()) where name = 'every-minute'`;
    const [{ due }] = await sql`select next_run_at as due from queue.schedules where name = 'every-minute'`;

    const racers = Array.from({ length: 8 }, async () => {
      const conn = db();
      try {
        const [{ n }] = await conn`select queue.enqueue_due_schedules() as n`;
        return n as number;
      } finally {
        await conn.end();
      }
    });
    const counts = await Promise.all(racers);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);

    const events = await sql`select props, run_at, idempotency_key from queue.events where name = 'Report' and run_at = ${due}`;
    expect(events).toHaveLength(1);
    expect(events[0].props).toEqual({ x: 2, y: 2 });
    const [s] = await sql`select next_run_at, last_run_at from queue.schedules where name = 'every-minute'`;
    expect(s.last_run_at.getTime()).toBe(due.getTime());
    expect(s.next_run_at.getTime()).toBeGreaterThan(Date.now() - 1000);

    // A replay of the same occurrence writes nothing.
    await sql`update queue.schedules set next_run_at = ${due} where name = 'every-minute'`;
    await sql`select queue.enqueue_due_schedules()`;
    expect(await sql`select 1 from queue.events where name = 'Report' and run_at = ${due}`).toHaveLength(1);
  });
});
