// Retention: finished events older than settings.retention go (with their
// runs), in bounded batches; so do old pg_cron and pg_net log rows.
import { afterAll, describe, expect, it } from 'vitest';
import { db } from './support/queue.ts';

const sql = db();
afterAll(async () => {
  await sql`update queue.settings set retention = '7 days', log_retention = '1 day', prune_batch_size = 5000`;
  await sql.end();
});

describe('prune', () => {
  it('deletes old finished events and their runs in bounded batches, and keeps the rest', async () => {
    await sql`update queue.settings set retention = '1 hour', prune_batch_size = 3`;
    const old = await sql<{ id: number }[]>`
      insert into queue.events (name, props, state, finished_at, created_at)
      select 'PruneMe', '{}', 'succeeded', now() - interval '2 hours', now() - interval '3 hours'
        from generate_series(1, 5) returning id`;
    const oldIds = old.map((r) => r.id);
    await sql`insert into queue.runs (event_id, name, attempt, worker, started_at, finished_at, outcome)
              select id, 'PruneMe', 1, 'test', now() - interval '2 hours', now() - interval '2 hours', 'succeeded'
                from unnest(${oldIds}::bigint[]) id`;
    const [recent] = await sql`insert into queue.events (name, props, state, finished_at) values ('PruneMe', '{}', 'dead', now()) returning id`;
    const [pending] = await sql`insert into queue.events (name, props, state, created_at) values ('PruneMe', '{}', 'scheduled', now() - interval '5 hours') returning id`;

    const [first] = await sql`select * from queue.prune()`;
    expect(first.events).toBe(3);
    const [second] = await sql`select * from queue.prune()`;
    expect(second.events).toBe(2);
    const [third] = await sql`select * from queue.prune()`;
    expect(third.events).toBe(0);

    expect(await sql`select id from queue.events where id = any(${oldIds}::bigint[])`).toHaveLength(0);
    expect(await sql`select id from queue.runs where event_id = any(${oldIds}::bigint[])`).toHaveLength(0);
    expect(await sql`select id from queue.events where id = any(${[recent.id, pending.id]}::bigint[])`).toHaveLength(2);
  });

  it('deletes cron.job_run_details and net._http_response rows older than log_retention', async () => {
    await sql`update queue.settings set log_retention = '1 hour', prune_batch_size = 1000`;
    await sql`insert into cron.job_run_details (jobid, runid, command, status, start_time, end_time)
              values (1, -1, 'select 1', 'succeeded', now() - interval '2 hours', now() - interval '2 hours'),
                     (1, -2, 'select 1', 'succeeded', now(), now())`;
    await sql`insert into net._http_response (id, status_code, created) values (-1, 200, now() - interval '2 hours'), (-2, 200, now())`;
    const [res] = await sql`select * from queue.prune()`;
    expect(res.job_runs).toBeGreaterThanOrEqual(1);
    expect(res.http_responses).toBeGreaterThanOrEqual(1);
    expect((await sql`select runid from cron.job_run_details where runid in (-1, -2)`).map((r: any) => Number(r.runid))).toEqual([-2]);
    expect((await sql`select id from net._http_response where id in (-1, -2)`).map((r: any) => Number(r.id))).toEqual([-2]);
  });

  it('is scheduled by pg_cron', async () => {
    const rows = await sql`select schedule, command from cron.job where jobname = 'queue-prune'`;
    expect(rows).toEqual([{ schedule: '*/5 * * * *', command: 'select queue.prune()' }]);
  });
});
