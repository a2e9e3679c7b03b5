-- Claiming events under a lease, and recording how each attempt ended.

-- Extra lease time on top of the handler's timeout: covers the HTTP hop from
-- pg_net to dispatch, a cold start, and recording the outcome.
create function queue._lease_margin()
returns interval
language sql immutable
as $$ select interval '30 seconds' $$;

-- queue._backoff(attempt, base_ms, factor, max_ms) -> interval
-- Delay before retry number `p_attempt` (1 = after the first failure):
-- base * factor^(attempt-1), capped at max, then jittered by +/-20% (never
-- above the cap) so a burst of failures does not retry in lockstep.
create function queue._backoff(p_attempt integer, p_base_ms integer, p_factor numeric, p_max_ms integer)
returns interval
language sql volatile
as $$
  select make_interval(secs => least(
    p_max_ms::numeric,
    least(p_max_ms::numeric, p_base_ms * power(p_factor, greatest(p_attempt - 1, 0)))
      * (0.8 + 0.4 * random()::numeric)
  ) / 1000.0)
$$;

-- queue.claim(worker text, limit integer) -> setof queue._claimed
-- Takes up to `p_limit` due events, highest priority first (ties: earlier
-- run_at, then lower id), moves them to 'processing' under a lease of the
-- handler's timeout plus a margin, and opens a run row for each attempt.
--
-- Locking: FOR UPDATE SKIP LOCKED, so concurrent claimers never block each
-- other and never receive the same event; the partial unique index on
-- running runs is the last line of defence. First promotes scheduled events
-- whose run_at has come (bounded, also SKIP LOCKED). Events whose handler is
-- missing or disabled are left queued.
create type queue._claimed as (
  id bigint,
  run_id bigint,
  name text,
  props jsonb,
  attempt integer,
  priority smallint,
  run_at timestamptz,
  locked_until timestamptz,
  owner uuid
);

create function queue.claim(p_worker text, p_limit integer default 100)
returns setof queue._claimed
language plpgsql
set search_path = ''
as $$
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

  return query
  with due as (
    select e.id
      from queue.events e
     where e.state = 'queued'
       and e.run_at <= now()
       and exists (select 1 from queue.handlers h where h.name = e.name and h.enabled)
     order by e.priority desc, e.run_at, e.id
     limit p_limit
       for update of e skip locked
  ),
  claimed as (
    update queue.events e
       set state = 'processing',
           attempts = e.attempts + 1,
           locked_by = p_worker,
           locked_until = now() + make_interval(secs => h.timeout_ms / 1000.0) + queue._lease_margin(),
           updated_at = now()
      from due, queue.handlers h
     where e.id = due.id and h.name = e.name
    returning e.*
  ),
  runs as (
    insert into queue.runs (event_id, attempt, worker)
    select c.id, c.attempts, p_worker from claimed c
    returning queue.runs.id as run_id, queue.runs.event_id
  )
  select c.id, r.run_id, c.name, c.props, c.attempts, c.priority, c.run_at, c.locked_until, c.owner
    from claimed c join runs r on r.event_id = c.id
   order by c.priority desc, c.run_at, c.id;
end;
$$;

-- queue.complete(run_id bigint, result jsonb) -> queue.event_state
-- Records a successful attempt: the run 'succeeded', the event 'succeeded'
-- with its result. Returns null (and changes nothing) when the run is no
-- longer running, e.g. its lease expired and it was reclaimed: a late
-- outcome never overwrites a newer attempt.
create function queue.complete(p_run_id bigint, p_result jsonb default null)
returns queue.event_state
language plpgsql
set search_path = ''
as $$
declare
  v_event_id bigint;
begin
  update queue.runs r
     set outcome = 'succeeded', result = p_result, finished_at = now()
   where r.id = p_run_id and r.outcome = 'running'
  returning r.event_id into v_event_id;
  if not found then
    return null;
  end if;

  update queue.events e
     set state = 'succeeded', result = p_result, locked_until = null, locked_by = null,
         finished_at = now(), updated_at = now()
   where e.id = v_event_id and e.state = 'processing';
  return 'succeeded';
end;
$$;

-- queue.fail(run_id bigint, error jsonb, outcome queue.run_outcome) -> queue.event_state
-- Records a failed attempt (outcome 'failed', 'timed_out' or 'lost'). The
-- event is retried after a backoff from its handler's policy ('scheduled'),
-- or ends 'dead' once it has used max_attempts (the event's override, else
-- the handler's). Returns the event's new state, or null when the run is no
-- longer running (a stale outcome; nothing changes).
create function queue.fail(
  p_run_id bigint,
  p_error jsonb,
  p_outcome queue.run_outcome default 'failed'
)
returns queue.event_state
language plpgsql
set search_path = ''
as $$
declare
  v_event queue.events;
  v_handler queue.handlers;
  v_max integer;
  v_state queue.event_state;
begin
  if p_outcome not in ('failed', 'timed_out', 'lost') then
    raise exception using errcode = '22023', message = format('fail outcome must be failed, timed_out or lost, not %s.', p_outcome);
  end if;

  select e.* into v_event
    from queue.events e
    join queue.runs r on r.event_id = e.id
   where r.id = p_run_id and r.outcome = 'running'
     for update of e, r;
  if not found then
    return null;
  end if;

  select h.* into v_handler from queue.handlers h where h.name = v_event.name;
  v_max := coalesce(v_event.max_attempts, v_handler.max_attempts, 5);
  v_state := case when v_event.attempts >= v_max then 'dead' else 'scheduled' end;

  update queue.runs r
     set outcome = p_outcome, error = p_error, finished_at = now()
   where r.id = p_run_id;

  update queue.events e
     set state = v_state,
         last_error = p_error,
         locked_until = null,
         locked_by = null,
         run_at = case
                    when v_state = 'scheduled' then now() + queue._backoff(
                      v_event.attempts,
                      coalesce(v_handler.backoff_base_ms, 1000),
                      coalesce(v_handler.backoff_factor, 2),
                      coalesce(v_handler.backoff_max_ms, 3600000))
                    else e.run_at
                  end,
         finished_at = case when v_state = 'dead' then now() end,
         updated_at = now()
   where e.id = v_event.id;
  return v_state;
end;
$$;

-- queue.settle(outcomes jsonb) -> table (run_id, event_id, state)
-- Records a whole batch of outcomes in one call, which is how dispatch
-- reports back (one round trip per batch). Each element:
--   {"run_id": 1, "ok": true,  "result": ...}
--   {"run_id": 2, "ok": false, "error": {"message": ...}, "outcome": "failed"|"timed_out"}
-- `state` is null for a stale outcome (see complete/fail).
create function queue.settle(p_outcomes jsonb)
returns table (run_id bigint, event_id bigint, state queue.event_state)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_item jsonb;
  v_run_id bigint;
begin
  if jsonb_typeof(p_outcomes) is distinct from 'array' then
    raise exception using errcode = '22023', message = 'outcomes must be a JSON array.';
  end if;

  for v_item in select x from jsonb_array_elements(p_outcomes) x loop
    v_run_id := (v_item->>'run_id')::bigint;
    run_id := v_run_id;
    event_id := (select r.event_id from queue.runs r where r.id = v_run_id);
    if coalesce((v_item->>'ok')::boolean, false) then
      state := queue.complete(v_run_id, v_item->'result');
    else
      state := queue.fail(
        v_run_id,
        coalesce(v_item->'error', '{"message": "The handler failed without an error message."}'::jsonb),
        coalesce((v_item->>'outcome')::queue.run_outcome, 'failed')
      );
    end if;
    return next;
  end loop;
end;
$$;

-- queue.reclaim(limit integer) -> integer
-- Ends the attempts whose lease expired without an outcome (dispatcher
-- crashed, the pg_net request was dropped, the function timed out): each run
-- is recorded as 'lost' and its event is retried or ends dead, exactly as a
-- failure would. Returns how many were reclaimed. SKIP LOCKED: an event being
-- settled right now is left to that settle.
create function queue.reclaim(p_limit integer default 10000)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_run_id bigint;
  v_count integer := 0;
begin
  for v_run_id in
    select r.id
      from queue.events e
      join queue.runs r on r.event_id = e.id and r.outcome = 'running'
     where e.state = 'processing' and e.locked_until < now()
     order by e.locked_until
     limit p_limit
       for update of e skip locked
  loop
    perform queue.fail(
      v_run_id,
      jsonb_build_object('message', 'The lease expired before the attempt reported an outcome; the attempt was lost.'),
      'lost'
    );
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;
