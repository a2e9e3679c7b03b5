-- The tick: what the pg_cron job queue-tick runs, and that job.

-- queue.tick(batch_size integer, max_batches integer) -> table (batches, events, reclaimed, scheduled)
-- One pass of the scheduler:
--   1. reclaim expired leases (attempts that ran are recorded as lost;
--      attempts that were never delivered are taken back unspent);
--   2. enqueue the due occurrences of recurring schedules;
--   3. record the oldest due age as this minute's sample (_record_due_sample:
--      the history of stats_by_minute), before claiming, so that it is how
--      far behind the queue was when the tick came;
--   4. unless a drainer is running (it claims for itself), claim due events
--      in batches of `p_batch_size`, at most `p_max_batches` batches
--      (Default: 100 x 10);
--   5. for each batch, one net.http_post to the dispatch function carrying
--      the claimed rows as claim returns them: each event with its handler
--      (kind, target, timeout_ms);
--   6. kick a drainer if more events come due within the kick horizon, so
--      they start on time rather than at the next tick.
-- pg_net sends the requests only after this transaction commits, so dispatch
-- never sees an event whose claim could still roll back.
-- Raises nothing when the Vault secrets are missing: it logs a warning and
-- claims nothing, so events stay queued instead of being leased to nobody.
create function queue.tick(p_batch_size integer default 100, p_max_batches integer default 10)
returns table (batches integer, events integer, reclaimed integer, scheduled integer)
language plpgsql
set search_path = ''
as $$
declare
  v_worker text;
  v_events jsonb;
  v_count integer;
begin
  batches := 0;
  events := 0;
  reclaimed := queue.reclaim();
  scheduled := queue.enqueue_due_schedules();
  perform queue._record_due_sample();

  if queue._secret('project_url') is null or queue._secret('secret_key') is null then
    raise warning 'queue.tick: Vault secrets project_url and secret_key are required to dispatch; nothing was claimed.';
    return next;
    return;
  end if;

  -- While a drainer runs it claims what is due itself, in the worker's
  -- budgets; a tick batch beside it would only pile more onto that worker.
  if exists (select 1 from queue._drainer d where d.active_until > clock_timestamp()) then
    return next;
    return;
  end if;

  for i in 1..p_max_batches loop
    v_worker := 'tick:' || gen_random_uuid()::text;
    select jsonb_agg(to_jsonb(c) order by c.priority desc, c.run_at, c.id), count(*)
      into v_events, v_count
      from queue.claim(v_worker, p_batch_size) c;
    exit when v_count = 0;

    perform queue._post_dispatch('', jsonb_build_object('worker', v_worker, 'events', v_events));
    batches := batches + 1;
    events := events + v_count;
    exit when v_count < p_batch_size;
  end loop;

  perform queue.kick_if_due();
  return next;
end;
$$;

-- queue._tick_schedule(cron_version text) -> text
-- How often pg_cron runs the tick: every 10 seconds where pg_cron accepts
-- interval schedules (1.5 and later: hosted Supabase), every minute before
-- that (Debian's pg_cron 1.4). The tick is the safety net behind the kicks,
-- so its period bounds how late an event starts when every kick is lost.
create function queue._tick_schedule(p_cron_version text)
returns text
language sql immutable
set search_path = ''
as $$
  select case
           when string_to_array(split_part(p_cron_version, '-', 1), '.')::integer[] >= array[1, 5]
             then '10 seconds'
           else '* * * * *'
         end
$$;
-- pg_cron's schedule() replaces a job of the same name, so re-running this
-- statement is harmless.
select cron.schedule('queue-tick',
  queue._tick_schedule((select extversion from pg_extension where extname = 'pg_cron')),
  'select queue.tick()');
