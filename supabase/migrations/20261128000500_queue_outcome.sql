-- Outcomes: recording how each attempt ended. A success has one path, the
-- set-based one in settle (complete is a one-row settle); every other
-- outcome goes through fail, which decides between a retry, dead and
-- cancelled.

-- queue._backoff(attempt, base_ms, factor, max_ms, jitter) -> interval
-- Delay before retry number `p_attempt` (1 = after the first failure):
-- base * factor^(attempt-1), capped at max, times a random factor in
-- [1 - jitter, 1 + jitter] (never above the cap) so a burst of failures does
-- not retry in lockstep.
create function queue._backoff(
  p_attempt integer, p_base_ms integer, p_factor numeric, p_max_ms integer, p_jitter numeric
)
returns interval
language sql volatile
as $$
  select make_interval(secs => least(
    p_max_ms::numeric,
    least(p_max_ms::numeric, p_base_ms * power(p_factor, greatest(p_attempt - 1, 0)))
      * (1 - p_jitter + 2 * p_jitter * random()::numeric)
  ) / 1000.0)
$$;

-- queue.fail(run_id bigint, error jsonb, outcome queue.run_outcome) -> queue.event_state
-- Records an attempt that did not succeed ('failed', 'timed_out', 'lost' or
-- 'cancelled'). A cancelled attempt, or any failure of an event whose cancel
-- was requested, ends it 'cancelled'. Otherwise it is retried after a
-- backoff ('scheduled') - the event's overrides, else its handler's policy -
-- or ends 'dead' once it has used max_attempts. An event whose handler was
-- deleted while the attempt ran is held to what a handler registered
-- without options would do: the column defaults of queue.handlers (read by
-- _handler_defaults, so they are written in one place). Returns the event's
-- new state, or null when the run is no longer running (a stale outcome).
-- Locking: the event row, then the run row (the order settle and reclaim
-- use too, so concurrent outcomes and reclaims cannot deadlock).
-- Raises 22023 for an outcome that is not a failure.
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
  v_state queue.event_state;
begin
  if p_outcome not in ('failed', 'timed_out', 'lost', 'cancelled') then
    raise exception using errcode = '22023',
      message = format('fail outcome must be failed, timed_out, lost or cancelled, not %s.', p_outcome);
  end if;

  -- Lock order everywhere: the event row, then its run.
  select e.* into v_event
    from queue.events e
   where e.id = (select r.event_id from queue.runs r where r.id = p_run_id)
     for update;
  perform 1 from queue.runs r where r.id = p_run_id and r.outcome = 'running' for update;
  if not found then
    return null;
  end if;

  select h.* into v_handler from queue.handlers h where h.name = v_event.name;
  if not found then
    v_handler := queue._handler_defaults();
  end if;
  v_state := case
               when p_outcome = 'cancelled' or v_event.cancel_requested_at is not null then 'cancelled'
               when v_event.attempts >= coalesce(v_event.max_attempts, v_handler.max_attempts) then 'dead'
               else 'scheduled'
             end;

  update queue.runs r
     set outcome = p_outcome, error = p_error, finished_at = clock_timestamp()
   where r.id = p_run_id;

  update queue.events e
     set state = v_state,
         last_error = p_error,
         lease_until = null,
         leased_by = null,
         run_at = case
                    when v_state = 'scheduled' then now() + queue._backoff(
                      v_event.attempts,
                      coalesce(v_event.backoff_base_ms, v_handler.backoff_base_ms),
                      coalesce(v_event.backoff_factor, v_handler.backoff_factor),
                      coalesce(v_event.backoff_max_ms, v_handler.backoff_max_ms),
                      v_handler.backoff_jitter)
                    else e.run_at
                  end,
         finished_at = case when queue._is_final(v_state) then now() end,
         updated_at = now()
   where e.id = v_event.id;
  return v_state;
end;
$$;

-- queue.settle(outcomes jsonb) -> table (run_id, event_id, state)
-- Records a whole batch of outcomes in one call, which is how dispatch
-- reports back (one round trip per batch). Each element says how its
-- attempt ended in `outcome`, the run's outcome (queue.run_outcome):
--   {"run_id": 1, "outcome": "succeeded", "result": ...}
--   {"run_id": 2, "outcome": "failed"|"timed_out"|"cancelled", "error": {"message": ...}}
-- An element without an outcome counts as 'failed'. `state` is the event's
-- new state, null for a stale outcome: the run is no longer running (e.g.
-- its lease expired and it was reclaimed), and a late outcome never
-- overwrites a newer attempt. A success also stands when a cancel was
-- requested meanwhile: the attempt finished.
-- Successes are recorded set-based (the common case: four statements for
-- the whole batch); the others go through fail() one by one, since each
-- needs its own retry decision.
-- Locking: the successes' event rows first, in id order, then their runs -
-- the order fail and reclaim use - so settles and reclaims running at once
-- cannot deadlock.
-- Raises 22023 when `p_outcomes` is not a JSON array, and (from fail) for an
-- outcome that is neither 'succeeded' nor a failure.
create function queue.settle(p_outcomes jsonb)
returns table (run_id bigint, event_id bigint, state queue.event_state)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_item jsonb;
  v_run_id bigint;
  -- The successes, in parallel: each run, its event (null when stale), and
  -- the results by event id.
  v_run_ids bigint[];
  v_event_ids bigint[];
  v_results jsonb;
begin
  if jsonb_typeof(p_outcomes) is distinct from 'array' then
    raise exception using errcode = '22023', message = 'outcomes must be a JSON array.';
  end if;

  perform 1
     from queue.events e
    where e.id in (
      select r.event_id
        from jsonb_array_elements(p_outcomes) x
        join queue.runs r on r.id = (x->>'run_id')::bigint
       where x->>'outcome' = 'succeeded'
    )
    order by e.id
      for update;

  -- The successes' runs, then their events, each found by primary key.
  -- Joining the updated runs to events instead left the plan to the tables'
  -- statistics, stale under load: with the processing events estimated at
  -- one row, the planner matched each updated run against all of them in a
  -- nested loop (250 outcomes: 16 ms of 28).
  with ok as (
    -- Filtered inside the path, not by a WHERE on jsonb_array_elements: the
    -- planner counts that as one row and matches each success to its updated
    -- run with a nested loop over all of them (1,000 outcomes: 132 ms, with
    -- jsonb_path_query's 1,000-row estimate it hashes: 48 ms).
    select distinct on ((x->>'run_id')::bigint) (x->>'run_id')::bigint as run_id, x->'result' as result
      from jsonb_path_query(p_outcomes, '$[*] ? (@.outcome == "succeeded")') x
  ),
  done_runs as (
    update queue.runs r
       set outcome = 'succeeded', result = ok.result, finished_at = clock_timestamp()
      from ok
     where r.id = any(array(select ok.run_id from ok)) and r.id = ok.run_id and r.outcome = 'running'
    returning r.id, r.event_id, r.result
  )
  select coalesce(array_agg(ok.run_id), '{}'), coalesce(array_agg(d.event_id), '{}'),
         coalesce(jsonb_object_agg(d.event_id::text, d.result) filter (where d.result is not null), '{}')
    into v_run_ids, v_event_ids, v_results
    from ok left join done_runs d on d.id = ok.run_id;

  update queue.events e
     set state = 'succeeded', result = v_results -> e.id::text, lease_until = null, leased_by = null,
         finished_at = now(), updated_at = now()
   where e.id = any(v_event_ids) and e.state = 'processing';

  -- event_id is null for a stale outcome (its run no longer running).
  return query
  select u.run_id, u.event_id, case when u.event_id is null then null else 'succeeded'::queue.event_state end
    from unnest(v_run_ids, v_event_ids) u(run_id, event_id);

  for v_item in
    select x from jsonb_array_elements(p_outcomes) x
     where x->>'outcome' is distinct from 'succeeded'
     order by (x->>'run_id')::bigint
  loop
    v_run_id := (v_item->>'run_id')::bigint;
    run_id := v_run_id;
    event_id := (select r.event_id from queue.runs r where r.id = v_run_id);
    state := queue.fail(
      v_run_id,
      coalesce(v_item->'error', '{"message": "The handler failed without an error message."}'::jsonb),
      coalesce((v_item->>'outcome')::queue.run_outcome, 'failed')
    );
    return next;
  end loop;
end;
$$;

-- queue.complete(run_id bigint, result jsonb) -> queue.event_state
-- Records one successful attempt: a one-element settle, so that a success
-- is recorded by one path whichever verb records it. Returns 'succeeded',
-- or null (and changes nothing) when the run is no longer running (see
-- settle). Without a result, none is stored (SQL null, not JSON null).
-- Locking and errors: settle's.
create function queue.complete(p_run_id bigint, p_result jsonb default null)
returns queue.event_state
language sql
set search_path = ''
as $$
  select s.state
    from queue.settle(jsonb_build_array(
           jsonb_build_object('run_id', p_run_id, 'outcome', 'succeeded')
           || case when p_result is null then '{}'::jsonb else jsonb_build_object('result', p_result) end
         )) s
$$;
