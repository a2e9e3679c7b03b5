-- Leases: claiming due events under a lease, keeping leases alive (the
-- heartbeat, which also confirms delivery and carries cancellations), and
-- taking back the attempts whose dispatcher went away (reclaim, release).
-- How an attempt that ran is recorded is in the next migration (outcome).

-- What claim hands a dispatcher: the event, its run, and its handler.
create type queue._claimed as (
  id bigint,
  run_id bigint,
  name text,
  props jsonb,
  attempt integer,
  priority smallint,
  run_at timestamptz,
  lease_until timestamptz,
  owner uuid,
  kind queue.handler_kind,
  target text,
  timeout_ms integer
);

-- queue.claim(worker text, limit integer, delivered boolean) -> setof queue._claimed
-- Takes up to `p_limit` due events, highest priority first (ties: earlier
-- run_at, then lower id), moves them to 'processing' under a lease and opens
-- a run for each attempt. `p_delivered`: the caller is the dispatcher that
-- runs them (a drainer), so the runs are delivered now and need no first
-- heartbeat; the tick, whose batch pg_net delivers later, leaves it false.
--
-- Locking: events are taken FOR UPDATE SKIP LOCKED, so concurrent claimers
-- never block each other and never receive the same event (one running
-- attempt per event: see the indexes of queue.runs). For names with a concurrency
-- or rate limit, the handler row is locked FOR UPDATE first (in name order,
-- so claimers cannot deadlock); the free slots are then counted in a new
-- snapshot, which sees every claim committed by the previous lock holder. So
-- limits hold across any number of concurrent claimers.
-- Also promotes scheduled events whose run_at has come (bounded, SKIP LOCKED).
-- Events whose handler is missing or disabled are left queued.
-- Raises 22023 for a limit outside 1..1000.
create function queue.claim(p_worker text, p_limit integer default 100, p_delivered boolean default false)
returns setof queue._claimed
language plpgsql
set search_path = ''
as $$
declare
  v_locked text[];
  v_slots jsonb;
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception using errcode = '22023', message = 'claim limit must be between 1 and 1000.';
  end if;

  update queue.events e
     set state = 'queued', updated_at = now()
   where e.id in (
     select s.id from queue.events s
      where s.state = 'scheduled' and s.run_at <= now()
      order by s.run_at
      limit 10000
      for update skip locked
   );

  -- One probe per limited handler (the LIMIT keeps it a probe): as a
  -- semi-join the planner read every queued event of every name to find the
  -- names (10,000 queued: 3.3 ms per claim).
  select array_agg(l.name) into v_locked
    from (
      select h.name from queue.handlers h
       cross join lateral (
         select 1 from queue.events e
          where e.name = h.name and e.state = 'queued' and e.run_at <= now()
          limit 1
       ) due
       where h.enabled
         and (h.concurrency_limit is not null or h.rate_limit is not null)
       order by h.name
         for update of h
    ) l;

  -- Slots are counted only when a limited handler has due events: starting
  -- this statement's executor (its subqueries open runs and events and their
  -- indexes, run or not) was 0.3 ms of a 0.8 ms empty claim after an idle
  -- pause. Otherwise v_slots stays null and limited handlers take nothing
  -- below, which is all they have due.
  if v_locked is not null then
    select coalesce(jsonb_object_agg(h.name, greatest(0, least(
             coalesce(h.concurrency_limit - (
               select count(*) from queue.events e where e.name = h.name and e.state = 'processing'), p_limit),
             coalesce(h.rate_limit - (
               select count(*) from queue.runs r
                where r.name = h.name
                  and r.started_at > clock_timestamp() - make_interval(secs => h.rate_period_ms / 1000.0)), p_limit)
           ))), '{}'::jsonb)
      into v_slots
      from queue.handlers h
     where h.name = any(v_locked);
  end if;

  return query
  with due as (
    select c.id
      from queue.handlers h
     cross join lateral (
       select e.id, e.priority, e.run_at
         from queue.events e
        where e.name = h.name and e.state = 'queued' and e.run_at <= now()
        order by e.priority desc, e.run_at, e.id
        limit case
                when h.concurrency_limit is null and h.rate_limit is null then p_limit
                else coalesce((v_slots->>h.name)::integer, 0)
              end
          for update of e skip locked
     ) c
     where h.enabled
     order by c.priority desc, c.run_at, c.id
     limit p_limit
  ),
  -- By primary key, not joined to due: due's estimate comes from the claim
  -- index's statistics, and with those stale (a burst of enqueues since the
  -- last analyze) the planner hashed the whole table instead (20,000 events:
  -- 4.6 ms of a 250-event claim's 13 ms).
  claimed as (
    update queue.events e
       set state = 'processing',
           attempts = e.attempts + 1,
           leased_by = p_worker,
           lease_until = clock_timestamp() + queue._lease(),
           updated_at = now()
     where e.id = any(array(select due.id from due))
    returning e.*
  ),
  runs as (
    insert into queue.runs (event_id, name, attempt, worker, delivered_at)
    select c.id, c.name, c.attempts, p_worker, case when p_delivered then clock_timestamp() end from claimed c
    returning queue.runs.id as run_id, queue.runs.event_id
  )
  select c.id, r.run_id, c.name, c.props, c.attempts, c.priority, c.run_at, c.lease_until, c.owner,
         h.kind, h.target, h.timeout_ms
    from claimed c
    join runs r on r.event_id = c.id
    join queue.handlers h on h.name = c.name
   order by c.priority desc, c.run_at, c.id;
end;
$$;

-- queue.heartbeat(run_ids bigint[]) -> table (run_id, status)
-- Called by dispatchers when they take attempts (the first heartbeat is the
-- delivery confirmation: the run is marked delivered before its handler
-- starts) and then every few seconds for the attempts they are running.
-- Extends the lease of each attempt still running and answers, per run:
--   'running' - keep going (lease extended),
--   'cancelled' - the event was cancelled: stop the handler, report 'cancelled',
--   'gone'    - the attempt is over (its lease expired and it was reclaimed):
--               stop and drop it; its outcome would be ignored.
-- The delivery confirmation leaves a lease with more than two thirds of its
-- time left as claim set it: no events row is rewritten (and no Realtime
-- change sent) for an attempt that started at once. Such an attempt is read
-- without a lock; reclaim takes only expired leases, so it cannot race it.
create function queue.heartbeat(p_run_ids bigint[])
returns table (run_id bigint, status text)
language sql
set search_path = ''
as $$
  with extended as (
    update queue.events e
       set lease_until = clock_timestamp() + queue._lease()
      from queue.runs r
     where r.id = any(p_run_ids) and r.outcome = 'running'
       and e.id = r.event_id and e.state = 'processing'
       and (r.delivered_at is not null or e.lease_until < clock_timestamp() + queue._lease() * 2 / 3)
    returning r.id as run_id, e.cancel_requested_at
  ),
  fresh as (
    select r.id as run_id, e.cancel_requested_at
      from queue.runs r
      join queue.events e on e.id = r.event_id
     where r.id = any(p_run_ids) and r.outcome = 'running'
       and e.state = 'processing'
       and r.delivered_at is null and e.lease_until >= clock_timestamp() + queue._lease() * 2 / 3
  ),
  live as (
    select * from extended
    union all
    select * from fresh
  ),
  delivered as (
    update queue.runs r
       set delivered_at = clock_timestamp()
      from live l
     where r.id = l.run_id and r.delivered_at is null
  )
  select u.id,
         case
           when l.run_id is null then 'gone'
           when l.cancel_requested_at is not null then 'cancelled'
           else 'running'
         end
    from unnest(p_run_ids) u(id)
    left join live l on l.run_id = u.id
$$;

-- queue._undeliver(run_id bigint) -> void
-- Takes back an attempt that never started: its run is deleted and its event
-- returns to 'queued' as it was before the claim (the attempt is not spent).
-- The caller holds the event's row lock.
create function queue._undeliver(p_run_id bigint)
returns void
language sql
set search_path = ''
as $$
  with gone as (
    delete from queue.runs r
     where r.id = p_run_id and r.outcome = 'running' and r.delivered_at is null
    returning r.event_id
  )
  update queue.events e
     set state = 'queued', attempts = e.attempts - 1, lease_until = null, leased_by = null, updated_at = now()
    from gone
   where e.id = gone.event_id and e.state = 'processing'
$$;

-- queue._lose(run_ids bigint[], message text) -> table (event_id, state)
-- Ends the attempts whose dispatcher went away, the one definition reclaim
-- and release share: an attempt that was never delivered did not run, so it
-- is taken back unspent (_undeliver; state 'queued'); one that was delivered
-- may have done part of its work, so it is recorded 'lost' with `p_message`
-- and its event retried, dead or cancelled exactly as fail decides (state:
-- fail's answer). One row per attempt. The caller has chosen running
-- attempts of processing events and holds their events' row locks; raises
-- nothing of its own.
create function queue._lose(p_run_ids bigint[], p_message text)
returns table (event_id bigint, state queue.event_state)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_run queue.runs;
begin
  for v_run in select r.* from queue.runs r where r.id = any(p_run_ids) order by r.event_id loop
    event_id := v_run.event_id;
    if v_run.delivered_at is null then
      perform queue._undeliver(v_run.id);
      state := 'queued';
    else
      state := queue.fail(v_run.id, jsonb_build_object('message', p_message), 'lost');
    end if;
    return next;
  end loop;
end;
$$;

-- queue.reclaim(limit integer) -> integer
-- Ends the attempts whose lease expired without an outcome (dispatcher
-- crashed, the function was killed): each run is recorded as 'lost' and its
-- event is retried, ends dead, or - if a cancel was requested - ends
-- cancelled, exactly as a failure would. An attempt that was never delivered
-- (a tick batch pg_net sent too late, or never) did not run: it is taken back
-- without spending an attempt, so a slow pg_net never burns attempts (_lose).
-- Returns how many were reclaimed. SKIP LOCKED: an event being settled right
-- now is left to that settle.
create function queue.reclaim(p_limit integer default 10000)
returns integer
language sql
set search_path = ''
as $$
  select count(*)::integer
    from queue._lose(array(
           select r.id
             from queue.events e
             join queue.runs r on r.event_id = e.id and r.outcome = 'running'
            where e.state = 'processing' and e.lease_until < clock_timestamp()
            order by e.id
            limit p_limit
              for update of e skip locked
         ), 'The lease expired before the attempt reported an outcome; the attempt was lost.')
$$;

-- queue.release(run_ids bigint[]) -> integer
-- A dispatcher that is shutting down hands back the attempts it can no
-- longer finish, so they run again now instead of after their lease: each
-- is recorded 'lost' (it may have done part of its work) and retried at
-- once, or ends dead/cancelled as a failure would. Undelivered attempts are
-- taken back unspent (_lose). Returns how many were released. Waits for the
-- events' row locks (in id order), so an outcome being recorded right now
-- is recorded first.
create function queue.release(p_run_ids bigint[])
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_retried bigint[];
  v_count integer;
begin
  select array_agg(l.event_id) filter (where l.state = 'scheduled'), count(*)
    into v_retried, v_count
    from queue._lose(array(
           select r.id
             from queue.events e
             join queue.runs r on r.event_id = e.id and r.outcome = 'running'
            where r.id = any(p_run_ids) and e.state = 'processing'
            order by e.id
              for update of e
         ), 'The dispatch worker shut down while the attempt ran; it was released to run again.') l;
  update queue.events e set run_at = now(), state = 'queued' where e.id = any(v_retried);
  return v_count;
end;
$$;
