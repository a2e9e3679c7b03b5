-- The final states, defined once (queue._is_final), and what rests on them:
-- the events table's check, cancel and stats.
begin;
\ir helpers/queue_tests.psql
select plan(7);
select queue_tests.reset();
select is(
  array(select s from unnest(enum_range(null::queue.event_state)) s where queue._is_final(s)),
  array['succeeded', 'dead', 'cancelled']::queue.event_state[],
  'succeeded, dead and cancelled are the final states, and no other');
insert into queue.handlers (name, kind, target) values ('TapState', 'code', 'Addition');
select throws_ok($$insert into queue.events (name, state) values ('TapState', 'dead')$$,
  '23514', null, 'an event in a final state must have finished_at');
select throws_ok($$insert into queue.events (name, state, finished_at) values ('TapState', 'scheduled', now())$$,
  '23514', null, 'an event in a state that is not final must not');
insert into queue.events (name, state, finished_at, last_error) values ('TapState', 'dead', now(), '{"message": "x"}')
returning id as dead_id \gset
select throws_ok(format('select queue.cancel(%s)', :dead_id), 'QU409', null, 'cancel refuses an event in a final state');
select id as queued_id from queue.enqueue('TapState', '{}') \gset
select results_eq(
  format('select state::text, finished_at is not null from queue.cancel(%s)', :queued_id),
  $$values ('cancelled', true)$$,
  'cancel ends a queued event at once, finished');
insert into queue.events (name) values ('TapUnhandled');
insert into queue.events (name, state, finished_at) values ('TapAllEnded', 'succeeded', now());
select is((select queued from queue.stats where name = 'TapUnhandled'), 1::bigint,
  'stats lists a name without a handler while it has events that have not ended');
select is((select count(*) from queue.stats where name = 'TapAllEnded'), 0::bigint,
  'and leaves it out once they all ended');
select * from finish();
rollback;
