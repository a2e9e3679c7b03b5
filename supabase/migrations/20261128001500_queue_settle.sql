-- settle() without a quadratic join.
--
-- Its successes came from jsonb_array_elements filtered on the outcome,
-- which the planner counts as one row (100 elements, then the filter's
-- default selectivity), so it matched each success to its updated run with
-- a nested loop over every updated run: 350 outcomes cost 27 ms, 1,000 cost
-- 132 ms, the settle of a full drainer batch growing with the square of its
-- size. jsonb_path_query filters inside the path and is counted as 1,000
-- rows, so the planner hashes instead: 22 ms and 48 ms measured. Same
-- definition otherwise (see 20261128000500_queue_outcome.sql), and jit off
-- as 20261128001400_queue_plans.sql set it: CREATE OR REPLACE resets a
-- function's settings to the ones it states.

create or replace function queue.settle(p_outcomes jsonb)
returns table (run_id bigint, event_id bigint, state queue.event_state)
language plpgsql
set search_path = ''
set jit = off
as $$
#variable_conflict use_column
declare
  v_item jsonb;
  v_run_id bigint;
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

  return query
  with ok as (
    select distinct on ((x->>'run_id')::bigint) (x->>'run_id')::bigint as run_id, x->'result' as result
      from jsonb_path_query(p_outcomes, '$[*] ? (@.outcome == "succeeded")') x
  ),
  done_runs as (
    update queue.runs r
       set outcome = 'succeeded', result = ok.result, finished_at = clock_timestamp()
      from ok
     where r.id = ok.run_id and r.outcome = 'running'
    returning r.id, r.event_id, r.result
  ),
  done_events as (
    update queue.events e
       set state = 'succeeded', result = d.result, lease_until = null, leased_by = null,
           finished_at = now(), updated_at = now()
      from done_runs d
     where e.id = d.event_id and e.state = 'processing'
    returning e.id
  )
  select ok.run_id, d.event_id, case when d.id is null then null else 'succeeded'::queue.event_state end
    from ok left join done_runs d on d.id = ok.run_id;

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
