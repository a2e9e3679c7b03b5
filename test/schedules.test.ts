// Recurring events: created, listed and deleted through the API; each
// occurrence is enqueued exactly once even with several ticks racing; the
// `schedule` filter of GET /events and the bulk verbs finds exactly the
// events one schedule enqueued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, eventsById, registerHandler } from './support/queue.ts';

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

describe('the schedule filter of GET /events and the bulk verbs', () => {
  const suffix = Date.now().toString(36);
  // A fresh event name whose handler is enabled only while a schedule fires, so no tick claims its events.
  const EVENT = `Digest_${suffix}`;
  // '_', which LIKE would take for any character, and B named A plus ':', so every key of B's begins with A's prefix.
  const A = `digest_${suffix}`;
  const B = `${A}:eu`;

  /**
   * Fires `name`'s occurrence of `minutesAgo` minutes ago as the tick does
   * (queue.enqueue_due_schedules), in one transaction that enables the
   * handler for it, and returns the event it enqueued.
   */
  const fire = (name: string, minutesAgo: number) => sql.begin(async (tx) => {
    await tx`update queue.handlers set enabled = true where name = ${EVENT}`;
    await tx`update queue.schedules set next_run_at = date_trunc('second', now()) - make_interval(mins => ${minutesAgo}::int)
              where name = ${name}`;
    await tx`select queue.enqueue_due_schedules()`;
    await tx`update queue.handlers set enabled = false where name = ${EVENT}`;
    const [{ id }] = await tx<{ id: number }[]>`select last_event_id as id from queue.schedules where name = ${name}`;
    return id;
  });

  it('lists, counts and acts on exactly the events one schedule enqueued', async () => {
    await registerHandler(sql, { name: EVENT, kind: 'code', target: 'Addition' });
    for (const name of [A, B]) {
      // Once a year: the only occurrences are the ones this test fires.
      const res = await call('schedules', { method: 'POST', json: { name, event_name: EVENT, cron: '0 3 1 1 *', props: { x: 1, y: 1 } } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const aIds = [await fire(A, 3), await fire(A, 2)];
    const bIds = [await fire(B, 3)];
    expect(new Set([...aIds, ...bIds]).size).toBe(3);
    const all = [...aIds, ...bIds];
    try {
      const listed = async (name: string) => {
        const res = await call(`events?${new URLSearchParams({ schedule: name })}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.events.map((e: { id: number }) => e.id);
      };
      expect(await listed(A)).toEqual([...aIds].reverse()); // newest first
      expect(await listed(B)).toEqual(bIds);
      expect(await listed(`${A}x`)).toEqual([]);

      for (const bad of [' ', `${A} `, '9digest', 'a'.repeat(101)]) {
        const res = await call(`events?${new URLSearchParams({ schedule: bad })}`);
        expect(res.status, bad).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
        expect(res.body.error.message).toContain('schedule must be a schedule name');
      }
      // Were the bad value dropped, this would be {}: delete every event there is.
      const refused = await call('events/delete', { method: 'POST', json: { schedule: `${A}!` } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('invalid_request');
      expect((await eventsById(sql, all)).map((e) => e.state)).toEqual(['queued', 'queued', 'queued']);

      const dry = await call('events/cancel', { method: 'POST', json: { schedule: A, dry_run: true } });
      expect(dry).toEqual({ status: 200, body: { count: aIds.length, next_before_id: null, dry_run: true } });
      expect((await eventsById(sql, all)).map((e) => e.state)).toEqual(['queued', 'queued', 'queued']); // a dry run changes nothing

      const cancelled = await call('events/cancel', { method: 'POST', json: { schedule: B } });
      expect(cancelled.body).toEqual({ count: 1, next_before_id: null, dry_run: false });
      expect((await eventsById(sql, all)).map((e) => e.state)).toEqual(['queued', 'queued', 'cancelled']);
    } finally {
      await sql`delete from queue.events where id = any(${all}::bigint[])`;
      await sql`delete from queue.handlers where name = ${EVENT}`;
    }
  });
});
