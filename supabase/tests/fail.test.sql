-- fail: retry with exponential backoff, dead at max attempts; complete; stale outcomes.
begin;
create extension if not exists pgtap with schema extensions;
set search_path = extensions, public;
select plan(9);

insert into queue.handlers (name, kind, target, max_attempts, backoff_base_ms, backoff_factor, backoff_max_ms)
values ('TapFail', 'code', 'Division', 3, 10000, 3, 60000);
select id as ev from queue.enqueue('TapFail', '{"x": 1, "y": 0}') \gset

-- Attempt 1 fails: retried after base (10 s) +/- 20 % jitter.
select run_id as r1 from queue.claim('tap', 1000) where id = :ev \gset
select is(queue.fail(:r1, '{"message": "boom 1"}'), 'scheduled'::queue.event_state,
  'a failed attempt with attempts left schedules a retry');
select ok((select run_at between now() + interval '8 seconds' and now() + interval '12 seconds' from queue.events where id = :ev),
  'the first retry waits the base delay, jittered');

-- Attempt 2 fails: base * factor = 30 s, jittered.
update queue.events set run_at = now() where id = :ev;  -- as if the backoff had passed
select run_id as r2 from queue.claim('tap', 1000) where id = :ev \gset
select queue.fail(:r2, '{"message": "boom 2"}');
select ok((select run_at between now() + interval '24 seconds' and now() + interval '36 seconds' from queue.events where id = :ev),
  'the second retry waits base * factor, jittered');

-- Attempt 3 fails: max_attempts reached.
update queue.events set run_at = now() where id = :ev;
select run_id as r3 from queue.claim('tap', 1000) where id = :ev \gset
select is(queue.fail(:r3, '{"message": "boom 3"}'), 'dead'::queue.event_state,
  'the attempt that uses the last of max_attempts ends the event dead');
select results_eq(
  format('select state::text, attempts, last_error->>''message'', finished_at is not null from queue.events where id = %s', :ev),
  $$values ('dead', 3, 'boom 3', true)$$,
  'a dead event keeps its last error and is finished');
select results_eq(
  format('select outcome::text, error->>''message'' from queue.runs where event_id = %s order by id', :ev),
  $$values ('failed', 'boom 1'), ('failed', 'boom 2'), ('failed', 'boom 3')$$,
  'every attempt is recorded with its error');

select is(queue.fail(:r3, '{"message": "late"}'), null, 'a second outcome for a finished run changes nothing');

-- complete
select id as ok_ev from queue.enqueue('TapFail', '{"x": 4, "y": 2}') \gset
select run_id as r4 from queue.claim('tap', 1000) where id = :ok_ev \gset
select is(queue.complete(:r4, '2'), 'succeeded'::queue.event_state, 'complete records success');
select results_eq(
  format('select state::text, result, locked_until is null from queue.events where id = %s', :ok_ev),
  $$values ('succeeded', '2'::jsonb, true)$$,
  'a succeeded event has its result and no lease');

select * from finish();
rollback;
