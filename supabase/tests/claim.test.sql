-- claim: due events only, highest priority first, under a lease.
begin;
create extension if not exists pgtap with schema extensions;
set search_path = extensions, public;
select plan(6);

insert into queue.handlers (name, kind, target, timeout_ms) values ('TapClaim', 'code', 'Addition', 1000);
insert into queue.handlers (name, kind, target, enabled) values ('TapOff', 'code', 'Addition', false);

select id as future_id from queue.enqueue('TapClaim', '{}', now() + interval '1 minute') \gset
select id as due_id from queue.enqueue('TapClaim', '{"x": 1}') \gset
select id as urgent_id from queue.enqueue('TapClaim', '{"x": 2}', null, 100) \gset
-- An event of a disabled handler waits; it is not claimed.
insert into queue.events (name, props) values ('TapOff', '{}') returning id as off_id \gset

create temp table claimed on commit drop as select * from queue.claim('tap-worker', 1000);

select is((select count(*) from claimed where id = :future_id), 0::bigint,
  'does not claim an event whose run_at is in the future');
select is((select state from queue.events where id = :future_id), 'scheduled'::queue.event_state,
  'leaves the future event scheduled');
select is((select count(*) from claimed where id = :off_id), 0::bigint,
  'does not claim an event whose handler is disabled');
select ok((select array_position(array_agg(id order by ordinality), :urgent_id::bigint) < array_position(array_agg(id order by ordinality), :due_id::bigint)
             from (select id, row_number() over () as ordinality from claimed) c),
  'claims a higher-priority event before an older lower-priority one');
select ok((select locked_until between now() + interval '29 seconds' and clock_timestamp() + interval '30 seconds'
             from queue.events where id = :due_id),
  'leases for 30 s (heartbeats extend it)');
select results_eq(
  format('select outcome::text, attempt, worker from queue.runs where event_id = %s', :due_id),
  $$values ('running', 1, 'tap-worker')$$,
  'opens one running run for the attempt');

select * from finish();
rollback;
