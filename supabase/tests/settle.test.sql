-- settle: one outcome shape ({run_id, outcome, result | error}); successes
-- recorded set-based, failures through fail; stale outcomes ignored.
-- complete is a one-outcome settle.
begin;
\ir helpers/queue_tests.psql
select plan(19);
select queue_tests.reset();
insert into queue.handlers (name, kind, target, max_attempts, backoff_base_ms)
values ('TapSettle', 'code', 'Addition', 3, 60000);
select id as e1 from queue.enqueue('TapSettle', '{"n": 1}') \gset
select id as e2 from queue.enqueue('TapSettle', '{"n": 2}') \gset
select id as e3 from queue.enqueue('TapSettle', '{"n": 3}') \gset
select id as e4 from queue.enqueue('TapSettle', '{"n": 4}') \gset
select id as e5 from queue.enqueue('TapSettle', '{"n": 5}') \gset
select id as e6 from queue.enqueue('TapSettle', '{"n": 6}') \gset
select id as e7 from queue.enqueue('TapSettle', '{"n": 7}') \gset
select id as e8 from queue.enqueue('TapSettle', '{"n": 8}') \gset
select id as e9 from queue.enqueue('TapSettle', '{"n": 9}') \gset
select id as e10 from queue.enqueue('TapSettle', '{"n": 10}') \gset
create temp table c on commit drop as select id, run_id from queue.claim('tap', 1000);
select run_id as r1 from c where id = :e1 \gset
select run_id as r2 from c where id = :e2 \gset
select run_id as r3 from c where id = :e3 \gset
select run_id as r4 from c where id = :e4 \gset
select run_id as r5 from c where id = :e5 \gset
select run_id as r6 from c where id = :e6 \gset
select run_id as r7 from c where id = :e7 \gset
select run_id as r8 from c where id = :e8 \gset
select run_id as r9 from c where id = :e9 \gset
select run_id as r10 from c where id = :e10 \gset
select queue.cancel(:e6);

create temp table settled on commit drop as
select * from queue.settle(jsonb_build_array(
  jsonb_build_object('run_id', :r1, 'outcome', 'succeeded', 'result', 10),
  jsonb_build_object('run_id', :r2, 'outcome', 'succeeded', 'result', jsonb_build_object('sum', 2)),
  jsonb_build_object('run_id', :r3, 'outcome', 'failed', 'error', jsonb_build_object('message', 'boom')),
  jsonb_build_object('run_id', :r4, 'outcome', 'timed_out', 'error', jsonb_build_object('message', 'slow')),
  jsonb_build_object('run_id', :r5, 'outcome', 'cancelled', 'error', jsonb_build_object('message', 'stopped')),
  jsonb_build_object('run_id', :r6, 'outcome', 'succeeded', 'result', 6),
  jsonb_build_object('run_id', :r7, 'ok', true, 'result', 7)
));

select is((select count(*) from settled), 7::bigint, 'answers once for every outcome of the batch');
select results_eq(
  format('select state::text, result, lease_until is null and leased_by is null, finished_at is not null from queue.events where id in (%s, %s) order by id', :e1, :e2),
  $$values ('succeeded', '10'::jsonb, true, true), ('succeeded', '{"sum": 2}'::jsonb, true, true)$$,
  'records every success of the batch in one call: succeeded with its result, lease gone, finished');
select results_eq(
  format('select outcome::text, result, finished_at is not null from queue.runs where id in (%s, %s) order by id', :r1, :r2),
  $$values ('succeeded', '10'::jsonb, true), ('succeeded', '{"sum": 2}'::jsonb, true)$$,
  'closes each successful run with its result');
select is((select event_id from settled where run_id = :r3), :e3::bigint, 'answers each outcome with its event');
select results_eq(
  format('select s.state::text, r.outcome::text, r.error->>''message'' from settled s join queue.runs r on r.id = s.run_id where s.run_id = %s', :r3),
  $$values ('scheduled', 'failed', 'boom')$$,
  'a failed outcome goes through fail: the run keeps its error, the event retries while attempts are left');
select is((select outcome::text from queue.runs where id = :r4), 'timed_out',
  'a timed_out outcome is recorded as the run''s outcome');
select results_eq(
  format('select state::text, finished_at is not null from queue.events where id = %s', :e5),
  $$values ('cancelled', true)$$,
  'a cancelled outcome ends the event cancelled');
select is((select state::text from queue.events where id = :e6), 'succeeded',
  'a success stands when a cancel was requested while it ran: the attempt finished');
select results_eq(
  format('select r.outcome::text, r.error->>''message'' from queue.runs r where r.id = %s', :r7),
  $$values ('failed', 'The handler failed without an error message.')$$,
  'reads only outcome: an element without one (ok is no part of the shape) is a failure with a placeholder error');

-- Stale outcomes: the run is no longer running.
select is(
  (select state from queue.settle(jsonb_build_array(jsonb_build_object('run_id', :r1, 'outcome', 'succeeded', 'result', 99)))),
  null, 'a second success for a finished run is answered with a null state');
select is(
  (select state from queue.settle(jsonb_build_array(jsonb_build_object('run_id', :r1, 'outcome', 'failed', 'error', jsonb_build_object('message', 'late'))))),
  null, 'so is a late failure');
select results_eq(
  format('select state::text, result, last_error from queue.events where id = %s', :e1),
  $$values ('succeeded', '10'::jsonb, null::jsonb)$$,
  'and neither changes the event: a late outcome never overwrites');
select throws_ok($$select * from queue.settle('{"run_id": 1}')$$, '22023', 'outcomes must be a JSON array.',
  'refuses outcomes that are not a JSON array');

-- complete: one success, through settle.
select is(queue.complete(:r8, '2'), 'succeeded'::queue.event_state, 'complete records one success');
select results_eq(
  format('select e.state::text, e.result, e.lease_until is null, r.outcome::text, r.result from queue.events e join queue.runs r on r.event_id = e.id where r.id = %s', :r8),
  $$values ('succeeded', '2'::jsonb, true, 'succeeded', '2'::jsonb)$$,
  'as settle would: the event and its run succeeded with the result, the lease gone');
select is(queue.complete(:r8, '3'), null, 'complete of a finished run changes nothing');
select is((select result from queue.events where id = :e8), '2'::jsonb, 'and keeps the first result');

-- No result and a JSON null result stay apart, on the event as on its run.
select queue.complete(:r9);
select * from queue.settle(jsonb_build_array(jsonb_build_object('run_id', :r10, 'outcome', 'succeeded', 'result', 'null'::jsonb)));
select results_eq(
  format('select e.state::text, e.result is null, r.result is null from queue.events e join queue.runs r on r.event_id = e.id where e.id = %s', :e9),
  $$values ('succeeded', true, true)$$,
  'a success without a result stores none (SQL null), on the event and the run');
select results_eq(
  format('select e.state::text, e.result, r.result from queue.events e join queue.runs r on r.event_id = e.id where e.id = %s', :e10),
  $$values ('succeeded', 'null'::jsonb, 'null'::jsonb)$$,
  'a JSON null result is stored as JSON null, on the event and the run');
select * from finish();
rollback;
