-- Retention: finished events (with their runs), and old rows of pg_cron's and
-- pg_net's logs, deleted in bounded batches by a scheduled job.

alter table queue.settings
  add column log_retention interval not null default interval '1 day'
    constraint settings_log_retention_positive check (log_retention > interval '0');
comment on column queue.settings.log_retention is
  'cron.job_run_details and net._http_response rows older than this are deleted by prune.';

create index events_finished_idx on queue.events (finished_at) where finished_at is not null;

-- queue._prune_log(log regclass, key text, stamp text, before timestamptz, limit integer) -> integer
-- Deletes at most `p_limit` rows of a log table (pg_cron's run details,
-- pg_net's responses) whose `p_stamp` column is older than `p_before`,
-- lowest `p_key` first, and returns how many. One definition of the
-- bounded log deletion prune applies to each log. Rows are locked only as
-- they are deleted; raises nothing of its own.
create function queue._prune_log(
  p_log regclass, p_key text, p_stamp text, p_before timestamptz, p_limit integer
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  execute format(
    'delete from %1$s where %2$I in (select %2$I from %1$s where %3$I < $1 order by %2$I limit $2)',
    p_log, p_key, p_stamp)
    using p_before, p_limit;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

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

  job_runs := queue._prune_log('cron.job_run_details', 'runid', 'end_time',
                                now() - v_settings.log_retention, v_settings.prune_batch_size);
  http_responses := queue._prune_log('net._http_response', 'id', 'created',
                                      now() - v_settings.log_retention, v_settings.prune_batch_size);

  return next;
end;
$$;

-- Every five minutes. pg_cron's schedule() replaces a job of the same name,
-- so re-running this statement is harmless.
select cron.schedule('queue-prune', '*/5 * * * *', 'select queue.prune()');
