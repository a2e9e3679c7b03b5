-- Reading and steering events: list, get, cancel, retry, redrive, and the
-- stats view.
-- `p_owner` scopes every call to one user's events; null means all events
-- (the service role).

-- queue.list_events(...) -> setof queue.events
-- Newest first, keyset-paginated: pass the last id of a page as `p_before_id`
-- to get the next one. Filters are ANDed; null means "any".
create function queue.list_events(
  p_state queue.event_state default null,
  p_name text default null,
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
-- The event, row-locked, for cancel and retry, once it is known to be in one
-- of `p_states`, the states the calling verb can act on. Raises QU404 if
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
  update queue.events e
     set state = case when e.state = 'processing' then e.state else 'cancelled' end,
         finished_at = case when e.state = 'processing' then null else now() end,
         cancel_requested_at = coalesce(e.cancel_requested_at, now()),
         updated_at = now()
   where e.id = (select (queue._event_for_update(p_id, p_owner,
                   array(select s from unnest(enum_range(null::queue.event_state)) s where not queue._is_final(s)),
                   'Event %s is already %s; only scheduled, queued or processing events can be cancelled.')).id)
  returning e.*
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
    from queue._requeue(array[(queue._event_for_update(p_id, p_owner, '{dead,cancelled}',
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
                            and r.outcome in ('failed', 'timed_out', 'lost')) as failures_last_5_minutes
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
