-- Retention: finished events (with their runs), and old rows of pg_cron's and
-- pg_net's logs, deleted in bounded batches by a scheduled job.

alter table queue.settings
  add column log_retention interval not null default interval '1 day'
    constraint settings_log_retention_positive check (log_retention > interval '0');
comment on column queue.settings.log_retention is
  'cron.job_run_details and net._http_response rows older than this are deleted by prune.';

create index events_finished_idx on queue.events (finished_at) where finished_at is not null;

-- queue.prune() -> table (events, job_runs, http_responses)
-- Deletes at most settings.prune_batch_size rows from each of:
--   queue.events finished longer than settings.retention ago (their runs go
--   with them, on delete cascade), oldest first;
--   cron.job_run_details and net._http_response older than log_retention.
-- Bounded so that one call never holds locks for long; the job runs every
-- five minutes, so a backlog drains over several calls. SKIP LOCKED: a row
-- someone is touching is left for the next call.
create function queue.prune()
returns table (events integer, job_runs integer, http_responses integer)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_settings queue.settings;
begin
  select * into v_settings from queue.settings;

  with doomed as (
    select e.id from queue.events e
     where e.finished_at < now() - v_settings.retention
     order by e.finished_at
     limit v_settings.prune_batch_size
       for update skip locked
  )
  delete from queue.events e using doomed where e.id = doomed.id;
  get diagnostics events = row_count;

  delete from cron.job_run_details d
   where d.runid in (
     select d2.runid from cron.job_run_details d2
      where d2.end_time < now() - v_settings.log_retention
      order by d2.runid
      limit v_settings.prune_batch_size
   );
  get diagnostics job_runs = row_count;

  delete from net._http_response r
   where r.id in (
     select r2.id from net._http_response r2
      where r2.created < now() - v_settings.log_retention
      order by r2.id
      limit v_settings.prune_batch_size
   );
  get diagnostics http_responses = row_count;

  return next;
end;
$$;

-- Every five minutes. pg_cron's schedule() replaces a job of the same name,
-- so re-running this statement is harmless.
select cron.schedule('queue-prune', '*/5 * * * *', 'select queue.prune()');
