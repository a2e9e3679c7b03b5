-- Reading and steering events: list, get, cancel, retry, redrive, the stats
-- views (with the per-minute samples of the oldest due age the tick records),
-- reschedule, delete, and the bulk verbs (cancel_many, retry_many,
-- delete_many: one verb on every event a filter matches).
-- `p_owner` scopes every call to one user's events; null means all events
-- (the service role).

-- queue._enqueued_by(idempotency_key text, schedule text) -> boolean
-- Whether an event with this idempotency key was enqueued by the schedule
-- named `schedule`: enqueue_due_schedules keys each occurrence
-- 'schedule:<name>:<occurrence>', the occurrence always 20 characters
-- (YYYY-MM-DDTHH:MI:SSZ). starts_with, not LIKE, as a name may hold '_'; the
-- length check, because a name may hold ':': without it schedule 'a' would
-- claim the events of schedule 'a:b'. (An event enqueued by hand with a key of
-- that form is taken for the schedule's: the key is all an event keeps of
-- where it came from.) The filter `schedule` of list_events and _in_filter.
-- No search_path setting, so that the planner can inline it.
create function queue._enqueued_by(p_idempotency_key text, p_schedule text)
returns boolean
language sql immutable
as $$
  select starts_with(p_idempotency_key, 'schedule:' || p_schedule || ':')
     and char_length(p_idempotency_key) = char_length(p_schedule) + 30
$$;

-- queue.list_events(...) -> setof queue.events
-- Newest first, keyset-paginated: pass the last id of a page as `p_before_id`
-- to get the next one. Filters are ANDed; null means "any". `p_schedule`:
-- the events that schedule enqueued (_enqueued_by).
create function queue.list_events(
  p_state queue.event_state default null,
  p_name text default null,
  p_schedule text default null,
  p_created_after timestamptz default null,
  p_created_before timestamptz default null,
  p_before_id bigint default null,
  p_limit integer default 50,
  p_owner uuid default null
)
returns setof queue.events
language sql stable
set search_path = ''
as $$
  select e.*
    from queue.events e
   where (p_state is null or e.state = p_state)
     and (p_name is null or e.name = p_name)
     and (p_schedule is null or queue._enqueued_by(e.idempotency_key, p_schedule))
     and (p_created_after is null or e.created_at >= p_created_after)
     and (p_created_before is null or e.created_at < p_created_before)
     and (p_before_id is null or e.id < p_before_id)
     and (p_owner is null or e.owner = p_owner)
   order by e.id desc
   limit least(greatest(coalesce(p_limit, 50), 1), 500)
$$;

-- queue.get_event(id bigint, owner uuid) -> jsonb
-- The event with its runs (oldest first) under "runs"; null when there is no
-- such event (or it belongs to another owner).
create function queue.get_event(p_id bigint, p_owner uuid default null)
returns jsonb
language sql stable
set search_path = ''
as $$
  select to_jsonb(e) || jsonb_build_object('runs', coalesce((
           select jsonb_agg(to_jsonb(r) order by r.id) from queue.runs r where r.event_id = e.id
         ), '[]'::jsonb))
    from queue.events e
   where e.id = p_id and (p_owner is null or e.owner = p_owner)
$$;

-- queue._event_for_update(id bigint, owner uuid, states queue.event_state[], refusal text) -> queue.events
-- The event, row-locked, for the verbs on one event (cancel, retry,
-- reschedule, delete_event), once it is known to be in one of `p_states`,
-- the states the calling verb can act on (_verb_states). Raises QU404 if
-- there is no such event or it belongs to another owner (the same answer, so
-- a user cannot probe for other users' ids), and QU409 when it is in another
-- state, with `p_refusal` as the message: a format string given the id and
-- the state.
create function queue._event_for_update(
  p_id bigint, p_owner uuid, p_states queue.event_state[], p_refusal text
)
returns queue.events
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.events;
begin
  select e.* into v_row from queue.events e
   where e.id = p_id and (p_owner is null or e.owner = p_owner)
     for update;
  if not found then
    raise exception using errcode = 'QU404', message = format('Event %s does not exist.', p_id);
  end if;
  if v_row.state <> all(p_states) then
    raise exception using errcode = 'QU409', message = format(p_refusal, p_id, v_row.state);
  end if;
  return v_row;
end;
$$;

-- queue._verb_states(verb text) -> queue.event_state[]
-- The states `verb` may act on: the one table of which verb takes which
-- state, for the verbs on one event (through _event_for_update) and their
-- bulk forms (_bulk).
--   cancel      every state that has not ended (processing: the attempt is
--               stopped at its next heartbeat)
--   retry       dead or cancelled
--   reschedule  scheduled or queued (it has not started)
--   delete      every state but processing (a running attempt would settle
--               into a row that is gone)
-- Null for another verb. Reads only the enum's labels, takes no locks,
-- raises nothing; with a constant verb the planner computes it once.
create function queue._verb_states(p_verb text)
returns queue.event_state[]
language sql stable
set search_path = ''
as $$
  select case p_verb
           when 'cancel' then array(select s from unnest(enum_range(null::queue.event_state)) s where not queue._is_final(s))
           when 'retry' then '{dead,cancelled}'::queue.event_state[]
           when 'reschedule' then '{scheduled,queued}'::queue.event_state[]
           when 'delete' then array(select s from unnest(enum_range(null::queue.event_state)) s where s <> 'processing')
         end
$$;

-- queue._cancel(ids bigint[]) -> setof queue.events
-- Cancels the events `ids`: scheduled or queued ones end 'cancelled' at
-- once; a processing one keeps running with cancel_requested_at set (its
-- attempt is stopped at the next heartbeat or recorded at its outcome, and
-- not retried). Returns the events as they are now. The one definition of
-- "cancel" that cancel and cancel_many share. The caller has locked the rows
-- and checked that none has ended.
create function queue._cancel(p_ids bigint[])
returns setof queue.events
language sql
set search_path = ''
as $$
  update queue.events e
     set state = case when e.state = 'processing' then e.state else 'cancelled' end,
         finished_at = case when e.state = 'processing' then null else now() end,
         cancel_requested_at = coalesce(e.cancel_requested_at, now()),
         updated_at = now()
   where e.id = any(p_ids)
  returning e.*
$$;

-- queue.cancel(id bigint, owner uuid) -> queue.events
-- Cancels an event. Scheduled or queued: it is 'cancelled' at once and never
-- runs. Processing: cancel_requested_at is set; the running attempt is
-- stopped at its next heartbeat (or recorded at its outcome) and the event
-- ends 'cancelled' unless that attempt succeeds; it is not retried.
-- Cancelling again is harmless. Locks the event row (_event_for_update).
-- Raises QU404 if there is no such event, QU409 if it already ended
-- (succeeded, dead or cancelled).
create function queue.cancel(p_id bigint, p_owner uuid default null)
returns queue.events
language sql
set search_path = ''
as $$
  select c.*
    from queue._cancel(array[(queue._event_for_update(p_id, p_owner, queue._verb_states('cancel'),
           'Event %s is already %s; only scheduled, queued or processing events can be cancelled.')).id]) c
$$;

-- queue._requeue(ids bigint[]) -> setof queue.events
-- Puts events back to 'queued', due now, with a fresh attempt budget
-- (attempts reset to 0; earlier runs are kept), and kicks a drainer. Returns
-- the events as they are now. The one definition of "run it again" that
-- retry and redrive share. The caller has locked the rows and checked their
-- state.
create function queue._requeue(p_ids bigint[])
returns setof queue.events
language plpgsql
set search_path = ''
as $$
begin
  return query
  update queue.events e
     set state = 'queued', attempts = 0, run_at = now(), finished_at = null,
         cancel_requested_at = null, updated_at = now()
   where e.id = any(p_ids)
  returning e.*;
  if found then
    perform queue.kick();
  end if;
end;
$$;

-- queue.retry(id bigint, owner uuid) -> queue.events
-- Runs a dead or cancelled event again, now, with a fresh attempt budget
-- (attempts reset to 0; earlier runs are kept). Locks the event row
-- (_event_for_update). Raises QU404 if there is no such event, QU409 if it
-- is not dead or cancelled.
create function queue.retry(p_id bigint, p_owner uuid default null)
returns queue.events
language sql
set search_path = ''
as $$
  select r.*
    from queue._requeue(array[(queue._event_for_update(p_id, p_owner, queue._verb_states('retry'),
           'Event %s is %s; only dead or cancelled events can be retried.')).id]) r
$$;

-- queue.redrive(name text, owner uuid) -> integer
-- Retries every dead event of one name (the owner's only, when given), each
-- with a fresh attempt budget, as retry does. Returns how many. SKIP LOCKED:
-- an event changing right now is left alone.
create function queue.redrive(p_name text, p_owner uuid default null)
returns integer
language sql
set search_path = ''
as $$
  select count(*)::integer
    from queue._requeue(array(
           select e.id from queue.events e
            where e.name = p_name and e.state = 'dead' and (p_owner is null or e.owner = p_owner)
            order by e.id
              for update skip locked
         ))
$$;

-- queue._is_failure(outcome) -> boolean
-- The outcomes that count as failures in the stats: the handler failed,
-- timed out, or its attempt was lost. (Cancelled is an operator's choice.)
create function queue._is_failure(p_outcome queue.run_outcome)
returns boolean
language sql immutable
set search_path = ''
as $$ select p_outcome in ('failed', 'timed_out', 'lost') $$;

-- queue.stats: what an operator checks first, per event name.
--   counts per state, the age of the oldest due event (how far behind the
--   queue is), and runs started / failed in the last minute and 5 minutes.
create view queue.stats
with (security_invoker = true)
as
with names as (
  select name from queue.handlers
  union
  select distinct e.name from queue.events e where not queue._is_final(e.state)
),
counts as (
  select e.name,
         count(*) filter (where e.state = 'scheduled')  as scheduled,
         count(*) filter (where e.state = 'queued')     as queued,
         count(*) filter (where e.state = 'processing') as processing,
         count(*) filter (where e.state = 'succeeded')  as succeeded,
         count(*) filter (where e.state = 'dead')       as dead,
         count(*) filter (where e.state = 'cancelled')  as cancelled,
         min(e.run_at) filter (where e.state = 'queued' or (e.state = 'scheduled' and e.run_at <= now())) as oldest_due_at
    from queue.events e
   group by e.name
),
recent as (
  select r.name,
         count(*) filter (where r.started_at > now() - interval '1 minute')  as runs_last_minute,
         count(*) filter (where r.started_at > now() - interval '5 minutes') as runs_last_5_minutes,
         count(*) filter (where r.started_at > now() - interval '5 minutes'
                            and queue._is_failure(r.outcome)) as failures_last_5_minutes
    from queue.runs r
   where r.started_at > now() - interval '5 minutes'
   group by r.name
)
select n.name,
       coalesce(c.scheduled, 0)::bigint  as scheduled,
       coalesce(c.queued, 0)::bigint     as queued,
       coalesce(c.processing, 0)::bigint as processing,
       coalesce(c.succeeded, 0)::bigint  as succeeded,
       coalesce(c.dead, 0)::bigint       as dead,
       coalesce(c.cancelled, 0)::bigint  as cancelled,
       (extract(epoch from now() - c.oldest_due_at) * 1000)::float8 as oldest_due_age_ms,
       coalesce(r.runs_last_minute, 0)::bigint as runs_last_minute,
       coalesce(r.runs_last_5_minutes, 0)::bigint as runs_last_5_minutes,
       coalesce(r.failures_last_5_minutes, 0)::bigint as failures_last_5_minutes
  from names n
  left join counts c on c.name = n.name
  left join recent r on r.name = n.name
 order by n.name;
comment on view queue.stats is 'Per event name: counts per state, oldest due event age, recent runs and failures.';

grant select on queue.stats to service_role;

-- queue._due_samples: the oldest due age over every name, one row a minute,
-- the largest any tick of that minute saw. The age itself exists only in the
-- present (queue.stats); these rows make the last hour of it a history that
-- stats_by_minute shows beside runs and failures. Written by
-- _record_due_sample, which keeps 2 hours (the view reads one), so the table
-- holds at most ~120 rows and needs nothing from prune.
create table queue._due_samples (
  minute            timestamptz primary key,
  oldest_due_age_ms bigint not null
                    constraint due_samples_age_nonnegative check (oldest_due_age_ms >= 0)
);
comment on table queue._due_samples is 'Internal: the oldest due age over every name, per minute, as the tick saw it (read through queue.stats_by_minute).';

-- Read by service_role through stats_by_minute (a security_invoker view);
-- anon and authenticated get nothing, as for the view.
alter table queue._due_samples enable row level security;
grant select on queue._due_samples to service_role;
create policy due_samples_service_role on queue._due_samples
  for select to service_role using (true);

-- queue._oldest_due_at() -> timestamptz
-- The run_at of the oldest due event over every name: the earliest queued
-- event, or the earliest scheduled one whose time has come (the tick promotes
-- those only as it claims). Null when nothing is due. queue.stats finds the
-- same per name by reading every event; this stays cheap however large the
-- backlog, on the indexes claim and promotion already keep:
--   queued: the first entry of each (name, priority) in events_claim_idx is
--     that group's earliest run_at, so a skip scan visits one entry per
--     (name, priority) present (a few probes per group) rather than every
--     queued event. An index on queued run_at alone would make this one probe
--     but cost every enqueue and every claim an index write, for a read made
--     once per tick.
--   scheduled: the first entry of events_scheduled_idx.
-- Reads only; takes no locks; raises nothing.
create function queue._oldest_due_at()
returns timestamptz
language sql stable
set search_path = ''
as $$
  with recursive firsts as (
    (select e.name, e.priority, e.run_at
       from queue.events e
      where e.state = 'queued'
      order by e.name, e.priority desc, e.run_at, e.id
      limit 1)
    union all
    select nx.name, nx.priority, nx.run_at
      from firsts f
     cross join lateral (
       -- The next group in index order: a lower priority of the same name,
       -- else the next name.
       (select e.name, e.priority, e.run_at
          from queue.events e
         where e.state = 'queued' and e.name = f.name and e.priority < f.priority
         order by e.name, e.priority desc, e.run_at, e.id
         limit 1)
       union all
       (select e.name, e.priority, e.run_at
          from queue.events e
         where e.state = 'queued' and e.name > f.name
         order by e.name, e.priority desc, e.run_at, e.id
         limit 1)
       limit 1
     ) nx
  )
  select least(
    (select min(f.run_at) from firsts f),
    (select min(e.run_at) from queue.events e where e.state = 'scheduled' and e.run_at <= now())
  )
$$;

-- queue._record_due_sample() -> void
-- Records the oldest due age now (_oldest_due_at; 0 when nothing is due) as
-- the current minute's sample, keeping the larger when the minute has one:
-- on hosted Supabase six ticks share a minute, and the minute's figure is
-- the worst of them. Deletes samples older than 2 hours in the same
-- statement. Called by every tick. Locking: the minute's row (two concurrent
-- ticks serialize on it). Raises nothing of its own.
create function queue._record_due_sample()
returns void
language sql
set search_path = ''
as $$
  with pruned as (
    delete from queue._due_samples s where s.minute < now() - interval '2 hours'
  )
  insert into queue._due_samples as s (minute, oldest_due_age_ms)
  values (date_trunc('minute', now()),
          greatest(0, coalesce((extract(epoch from now() - queue._oldest_due_at()) * 1000)::bigint, 0)))
  on conflict (minute) do update
    set oldest_due_age_ms = greatest(s.oldest_due_age_ms, excluded.oldest_due_age_ms)
$$;

-- queue.stats_by_minute: the last hour, one row a minute (oldest first, the
-- current minute last, empty minutes 0): attempts started and how many of
-- them failed, over every name, and the oldest due age the ticks of that
-- minute saw (_due_samples; null for a minute no tick ran in). The
-- dashboard's charts.
create view queue.stats_by_minute
with (security_invoker = true)
as
select m.minute,
       count(r.id)::bigint as runs,
       count(r.id) filter (where queue._is_failure(r.outcome))::bigint as failures,
       (select d.oldest_due_age_ms from queue._due_samples d where d.minute = m.minute) as oldest_due_age_ms
  from generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') m(minute)
  left join queue.runs r on r.started_at >= m.minute and r.started_at < m.minute + interval '1 minute'
 group by m.minute
 order by m.minute;
comment on view queue.stats_by_minute is 'The last hour, per minute: attempts started and failed, and the oldest due age, over every name.';

grant select on queue.stats_by_minute to service_role;

-- queue.reschedule(id bigint, run_at timestamptz, priority integer, owner uuid) -> queue.events
-- Gives a scheduled or queued event a new run_at and/or priority (null keeps
-- the current one). It is then 'scheduled' if its run_at is in the future,
-- 'queued' otherwise, as enqueue decides; attempts and runs are kept (a
-- retry waiting out its backoff can be brought forward). When the new run_at
-- is due within the kick horizon it is announced as an insert is (NOTIFY
-- queue_events, kick), so that a drainer takes it at once.
-- Locking: the event's row (_event_for_update). Raises 22023 when neither
-- run_at nor priority is given, QU404 if there is no such event, QU409 if it
-- is processing or has ended, 23514 for a priority out of range.
create function queue.reschedule(
  p_id bigint,
  p_run_at timestamptz default null,
  p_priority integer default null,
  p_owner uuid default null
)
returns queue.events
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.events;
begin
  if p_run_at is null and p_priority is null then
    raise exception using errcode = '22023', message = 'Give run_at or priority (or both) to reschedule an event.';
  end if;
  perform queue._event_for_update(p_id, p_owner, queue._verb_states('reschedule'),
    'Event %s is %s; only scheduled or queued events can be rescheduled.');

  update queue.events e
     set run_at = coalesce(p_run_at, e.run_at),
         priority = coalesce(p_priority, e.priority),
         state = case when coalesce(p_run_at, e.run_at) > now() then 'scheduled' else 'queued' end::queue.event_state,
         updated_at = now()
   where e.id = p_id
  returning e.* into v_row;
  if p_run_at is not null and v_row.run_at < now() + queue._kick_horizon() then
    perform queue._wake();
  end if;
  return v_row;
end;
$$;

-- queue.delete_event(id bigint, owner uuid) -> queue.events
-- Deletes an event that is not processing, and returns it as it was. Its
-- runs go with it (on delete cascade), as prune deletes them: a run is one
-- attempt of its event and means nothing without it, and keeping them would
-- leave rows no policy can show (runs_owner_select looks through the event).
-- Realtime sends a DELETE change for the event and for each run. A schedule
-- whose last_event_id names it keeps the number. Locking: the event's row
-- (_event_for_update). Raises QU404 if there is no such event, QU409 if it
-- is processing (cancel it first; it can be deleted once it has ended).
create function queue.delete_event(p_id bigint, p_owner uuid default null)
returns queue.events
language sql
set search_path = ''
as $$
  delete from queue.events e
   where e.id = (select (queue._event_for_update(p_id, p_owner, queue._verb_states('delete'),
                   'Event %s is %s; cancel it first, and delete it once it has ended.')).id)
  returning e.*
$$;

-- queue._in_filter(event queue.events, filter jsonb, owner uuid) -> boolean
-- Whether an event fits a filter, the fields GET /events takes: state, name,
-- schedule (the events it enqueued: _enqueued_by), created_after
-- (inclusive), created_before (exclusive), before_id (ids below it). An
-- absent field means "any"; fields are ANDed; with an owner,
-- only the owner's events fit. Raises 22P02/22007 for a malformed value.
-- No search_path setting, so that the planner can inline it.
create function queue._in_filter(p_event queue.events, p_filter jsonb, p_owner uuid)
returns boolean
language sql stable
as $$
  select (p_filter->>'state' is null or p_event.state = (p_filter->>'state')::queue.event_state)
     and (p_filter->>'name' is null or p_event.name = p_filter->>'name')
     and (p_filter->>'schedule' is null or queue._enqueued_by(p_event.idempotency_key, p_filter->>'schedule'))
     and (p_filter->>'created_after' is null or p_event.created_at >= (p_filter->>'created_after')::timestamptz)
     and (p_filter->>'created_before' is null or p_event.created_at < (p_filter->>'created_before')::timestamptz)
     and (p_filter->>'before_id' is null or p_event.id < (p_filter->>'before_id')::bigint)
     and (p_owner is null or p_event.owner = p_owner)
$$;

-- queue._bulk(verb text, filter jsonb, owner uuid, dry_run boolean) -> table (count, next_before_id)
-- What cancel_many, retry_many and delete_many share: `verb` (cancel, retry
-- or delete) on one batch of the events that fit `filter` (_in_filter) and
-- that the verb may act on (_verb_states), newest first: at most filter.limit of
-- them (Default: 1000; 1-10000). Returns how many it acted on and, when the
-- batch was full, the id to send as before_id for the next batch (null:
-- there is no more). Each batch is one transaction, so a bulk verb never
-- holds more than `limit` row locks; a caller walks the batches until
-- next_before_id is null, and an event is never visited twice in one walk
-- (retried events that fail again are not retried again).
-- Locking: FOR UPDATE SKIP LOCKED, as claim does: an event someone is
-- changing right now (a claim, a settle, another bulk verb) is left alone,
-- and two bulk calls never wait on each other. A processing event is never
-- deleted: its state refuses it, and the lock is held until the delete.
-- With dry_run: counts every event the verb would act on (no batch limit,
-- no lock) and changes nothing; next_before_id is null.
-- Raises 22023 for another verb, 22P02/22007 for malformed filter values.
create function queue._bulk(p_verb text, p_filter jsonb, p_owner uuid, p_dry_run boolean)
returns table (count integer, next_before_id bigint)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_limit integer := least(greatest(coalesce((p_filter->>'limit')::integer, 1000), 1), 10000);
  v_ids bigint[];
begin
  if p_verb is null or p_verb not in ('cancel', 'retry', 'delete') then
    raise exception using errcode = '22023', message = format('%s is not a bulk verb (cancel, retry or delete).', p_verb);
  end if;
  if p_dry_run then
    select count(*)::integer, null::bigint into count, next_before_id
      from queue.events e
     where queue._in_filter(e, p_filter, p_owner) and e.state = any(queue._verb_states(p_verb));
    return next;
    return;
  end if;

  v_ids := array(
    select e.id from queue.events e
     where queue._in_filter(e, p_filter, p_owner) and e.state = any(queue._verb_states(p_verb))
     order by e.id desc
     limit v_limit
       for update skip locked
  );
  next_before_id := case when cardinality(v_ids) = v_limit then v_ids[v_limit] end;
  if p_verb = 'cancel' then
    select count(*)::integer into count from queue._cancel(v_ids);
  elsif p_verb = 'retry' then
    select count(*)::integer into count from queue._requeue(v_ids);
  else
    delete from queue.events e where e.id = any(v_ids);
    get diagnostics count = row_count;
  end if;
  return next;
end;
$$;

-- queue.cancel_many(filter jsonb, owner uuid, dry_run boolean) -> table (count, next_before_id)
-- Cancels one batch of the events that fit the filter and have not ended,
-- as cancel does each (_bulk: batches, locking, dry run). Processing ones
-- are stopped at their next heartbeat.
create function queue.cancel_many(p_filter jsonb, p_owner uuid default null, p_dry_run boolean default false)
returns table (count integer, next_before_id bigint)
language sql
set search_path = ''
as $$ select * from queue._bulk('cancel', p_filter, p_owner, p_dry_run) $$;

-- queue.retry_many(filter jsonb, owner uuid, dry_run boolean) -> table (count, next_before_id)
-- Retries one batch of the dead or cancelled events that fit the filter, as
-- retry does each (_bulk: batches, locking, dry run). redrive is
-- retry_many of one name's dead events, all batches at once.
create function queue.retry_many(p_filter jsonb, p_owner uuid default null, p_dry_run boolean default false)
returns table (count integer, next_before_id bigint)
language sql
set search_path = ''
as $$ select * from queue._bulk('retry', p_filter, p_owner, p_dry_run) $$;

-- queue.delete_many(filter jsonb, owner uuid, dry_run boolean) -> table (count, next_before_id)
-- Deletes one batch of the events that fit the filter and are not
-- processing, with their runs, as delete_event does each (_bulk: batches,
-- locking, dry run).
create function queue.delete_many(p_filter jsonb, p_owner uuid default null, p_dry_run boolean default false)
returns table (count integer, next_before_id bigint)
language sql
set search_path = ''
as $$ select * from queue._bulk('delete', p_filter, p_owner, p_dry_run) $$;
