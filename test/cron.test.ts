// The real cron path: pg_cron fires queue.tick() at the minute, pg_net posts
// the batch, dispatch runs it. Waits for one minute boundary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, eventsById, registerHandler, setKicks } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

const sql = db();

// Kicks off: this file proves the per-minute safety net on its own.
beforeAll(async () => {
  await setKicks(sql, false);
  await registerHandler(sql, { name: 'Multiplication', kind: 'code', target: 'Multiplication' });
});
afterAll(async () => {
  await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
  await setKicks(sql, true);
  await sql.end();
});

describe('the per-minute cron job', () => {
  it('is scheduled every minute to run queue.tick()', async () => {
    const rows = await sql`select schedule, command, database from cron.job where jobname = 'queue-tick'`;
    expect(rows).toEqual([{ schedule: '* * * * *', command: 'select queue.tick()', database: 'postgres' }]);
  });

  it('moves a due event to succeeded through pg_net and dispatch, and runs a scheduled one only after its time', { timeout: 200_000 }, async () => {
    const due = (await call('enqueue', { method: 'POST', json: { name: 'Multiplication', props: { x: 6, y: 7 } } })).body;
    const runAt = new Date(Date.now() + 60_000);
    const later = (await call('enqueue', { method: 'POST', json: { name: 'Multiplication', props: { x: 2, y: 2 }, run_at: runAt.toISOString() } })).body;
    await sql`select cron.alter_job(jobid, active := true) from cron.job where jobname = 'queue-tick'`;

    const [done] = await waitFor('the cron-driven run', async () => {
      const events = await eventsById(sql, [due.id]);
      return events[0].state === 'succeeded' && events;
    }, 75_000, 250);
    expect(done.result).toBe(42);
    const [job] = await sql`
      select d.status from cron.job_run_details d join cron.job j using (jobid)
       where j.jobname = 'queue-tick' order by d.runid desc limit 1`;
    expect(job.status).toBe('succeeded');
    // Dispatch answered pg_net at once and ran the batch after the response.
    const [req] = await sql`select status_code from net._http_response order by id desc limit 1`;
    expect(req.status_code).toBe(202);

    // The cron pass that ran `due` came before `later`'s time: it is still waiting.
    const [waiting] = await eventsById(sql, [later.id]);
    if (Date.now() < runAt.getTime()) expect(['scheduled', 'queued']).toContain(waiting.state);

    const [ran] = await waitFor('the scheduled event', async () => {
      const events = await eventsById(sql, [later.id]);
      return events[0].state === 'succeeded' && events;
    }, 130_000, 250);
    const [run] = await sql`select started_at from queue.runs where event_id = ${later.id}`;
    expect(run.started_at.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    // ...and by the first tick after its time: pg_cron fires on the minute.
    expect(run.started_at.getTime() - runAt.getTime()).toBeLessThan(61_000);
    expect(ran.result).toBe(4);
  });
});
