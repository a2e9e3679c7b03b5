-- fail: retry with exponential backoff, dead at max attempts, cancelled when
-- a cancel was requested; stale outcomes; a deleted handler's events.
begin;
\ir helpers/queue_tests.psql
select plan(13);
select queue_tests.reset();
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
  format('select state::text, attempts, last_error->>''message'', finished_at is not null, lease_until is null from queue.events where id = %s', :ev),
  $$values ('dead', 3, 'boom 3', true, true)$$,
  'a dead event keeps its last error, is finished and holds no lease');
select results_eq(
  format('select outcome::text, error->>''message'' from queue.runs where event_id = %s order by id', :ev),
  $$values ('failed', 'boom 1'), ('failed', 'boom 2'), ('failed', 'boom 3')$$,
  'every attempt is recorded with its error');
select is(queue.fail(:r3, '{"message": "late"}'), null, 'a second outcome for a finished run changes nothing');

-- A cancel requested while the attempt ran: the failure ends it, no retry.
select id as cancelled_ev from queue.enqueue('TapFail', '{"x": 2, "y": 0}') \gset
select run_id as r4 from queue.claim('tap', 1000) where id = :cancelled_ev \gset
select queue.cancel(:cancelled_ev);
select is(queue.fail(:r4, '{"message": "boom"}'), 'cancelled'::queue.event_state,
  'a failure of an event whose cancel was requested ends it cancelled, not retried');
select throws_ok(format('select queue.fail(%s, ''{}'', ''succeeded'')', :r4), '22023', null,
  'refuses an outcome that is not a failure');

-- The handler was deleted while the attempt ran: the retry policy is then
-- what a handler registered without options has, the column defaults of
-- queue.handlers (read here from the catalog, as the numbers could change).
select (select column_default from information_schema.columns
         where table_schema = 'queue' and table_name = 'handlers' and column_name = 'backoff_base_ms')::integer as base_ms,
       (select column_default from information_schema.columns
         where table_schema = 'queue' and table_name = 'handlers' and column_name = 'backoff_jitter')::numeric as jitter,
       (select column_default from information_schema.columns
         where table_schema = 'queue' and table_name = 'handlers' and column_name = 'max_attempts')::integer as max_attempts \gset
insert into queue.handlers (name, kind, target, max_attempts, backoff_base_ms) values ('TapGone', 'code', 'Addition', 50, 600000);
select id as orphan from queue.enqueue('TapGone', '{}') \gset
select id as last_chance from queue.enqueue('TapGone', '{}') \gset
create temp table gone on commit drop as select id, run_id from queue.claim('tap', 1000) where name = 'TapGone';
select run_id as r5 from gone where id = :orphan \gset
select run_id as r6 from gone where id = :last_chance \gset
delete from queue.handlers where name = 'TapGone';
select is(queue.fail(:r5, '{"message": "boom"}'), 'scheduled'::queue.event_state,
  'an event whose handler was deleted while it ran is still retried');
select ok((select run_at between now() + make_interval(secs => :base_ms * (1 - :jitter) / 1000.0)
                             and now() + make_interval(secs => :base_ms * (1 + :jitter) / 1000.0)
             from queue.events where id = :orphan),
  'after the column default backoff_base_ms, jittered by the column default backoff_jitter');
update queue.events set attempts = :max_attempts where id = :last_chance;
select is(queue.fail(:r6, '{"message": "boom"}'), 'dead'::queue.event_state,
  'and ends dead once it has used the column default max_attempts');
select is(
  (select max_attempts from queue._handler_defaults()) = :max_attempts
    and (select backoff_base_ms from queue._handler_defaults()) = :base_ms
    and (select backoff_jitter from queue._handler_defaults()) = :jitter,
  true, 'the handler defaults row is the column defaults');
select * from finish();
rollback;
