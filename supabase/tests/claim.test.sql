-- claim: due events only, highest priority first, within limits, under a lease.
begin;
\ir helpers/queue_tests.psql
select plan(13);
select queue_tests.reset();
insert into queue.handlers (name, kind, target, timeout_ms) values ('TapClaim', 'code', 'Addition', 1000);
insert into queue.handlers (name, kind, target, enabled) values ('TapOff', 'code', 'Addition', false);
insert into queue.handlers (name, kind, target, concurrency_limit) values ('TapOne', 'code', 'Addition', 1);
select id as future_id from queue.enqueue('TapClaim', '{}', now() + interval '1 minute') \gset
select id as due_id from queue.enqueue('TapClaim', '{"x": 1}') \gset
select id as urgent_id from queue.enqueue('TapClaim', '{"x": 2}', null, 100) \gset
-- Events whose handler is disabled, or gone, wait; they are not claimed.
insert into queue.events (name, props) values ('TapOff', '{}') returning id as off_id \gset
insert into queue.events (name, props) values ('TapNobody', '{}') returning id as orphan_id \gset
insert into queue.events (name, props) values ('TapOne', '{}'), ('TapOne', '{}');
create temp table claimed on commit drop as select * from queue.claim('tap-worker', 1000);
select is((select count(*) from claimed where id = :future_id), 0::bigint,
  'does not claim an event whose run_at is in the future');
select is((select state from queue.events where id = :future_id), 'scheduled'::queue.event_state,
  'leaves the future event scheduled');
select is((select count(*) from claimed where id = :off_id), 0::bigint,
  'does not claim an event whose handler is disabled');
select is((select state::text from queue.events where id = :orphan_id), 'queued',
  'leaves an event whose handler is missing queued, for a handler registered later');
select ok((select array_position(array_agg(id order by ordinality), :urgent_id::bigint) < array_position(array_agg(id order by ordinality), :due_id::bigint)
             from (select id, row_number() over () as ordinality from claimed) c),
  'claims a higher-priority event before an older lower-priority one');
select is((select count(*) from claimed where name = 'TapOne'), 1::bigint,
  'claims no more events of a name than its concurrency_limit allows to run');
select ok((select lease_until between now() + interval '29 seconds' and clock_timestamp() + interval '30 seconds'
             from queue.events where id = :due_id),
  'leases for 30 s (heartbeats extend it)');
select is((select leased_by from queue.events where id = :due_id), 'tap-worker',
  'records the claimer as leased_by');
select results_eq(
  format('select outcome::text, attempt, worker from queue.runs where event_id = %s', :due_id),
  $$values ('running', 1, 'tap-worker')$$,
  'opens one running run for the attempt');
select is((select delivered_at from queue.runs where event_id = :due_id), null,
  'leaves the run undelivered by default: the tick''s batch is delivered later, by its first heartbeat');
select id as drained_id from queue.enqueue('TapClaim', '{"x": 3}') \gset
select run_id as drained_run from queue.claim('tap-drainer', 1000, true) where id = :drained_id \gset
select isnt((select delivered_at from queue.runs where id = :drained_run), null,
  'delivered = true: a drainer runs what it claims, so its runs are delivered at once');
select throws_ok($$select * from queue.claim('tap-worker', 0)$$, '22023', 'claim limit must be between 1 and 1000.',
  'refuses a limit outside 1..1000');
-- A backlog of one name prices the claim above jit_above_cost; compiling it
-- each call cost 780 ms (the plans migration says why).
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'queue'::regnamespace
      and p.proname in ('claim', 'heartbeat', 'settle', 'tick', 'list_events', 'enqueue_many')
      and 'jit=off' = any(p.proconfig)),
  array['claim', 'enqueue_many', 'heartbeat', 'list_events', 'settle', 'tick'],
  'the queue''s operations plan without JIT');
select * from finish();
rollback;
