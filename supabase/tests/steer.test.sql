-- reschedule, delete_event and the bulk verbs (cancel_many, retry_many,
-- delete_many): which states each takes (_verb_states), what they change, their
-- batches and dry runs, and owner scoping; the schedule filter of list_events
-- and the bulk verbs (_enqueued_by).
begin;
\ir helpers/queue_tests.psql
select plan(35);
select queue_tests.reset();
insert into queue.handlers (name, kind, target) values ('TapSteer', 'code', 'Addition');
select gen_random_uuid() as owner_a, gen_random_uuid() as owner_b \gset

-- reschedule
select id as queued_id from queue.enqueue('TapSteer', '{}', null, 0, null, null, :'owner_a') \gset
select results_eq(
  format($q$select state::text, priority::int, run_at > now() + interval '59 minutes'
              from queue.reschedule(%s, now() + interval '1 hour', null, null)$q$, :queued_id),
  $$values ('scheduled', 0, true)$$,
  'reschedule moves a queued event into the future: scheduled, priority kept');
select results_eq(
  format($q$select state::text, priority::int from queue.reschedule(%s, null, 7, null)$q$, :queued_id),
  $$values ('scheduled', 7)$$,
  'reschedule with only a priority changes the priority and keeps run_at and state');
select queue.drain_stop();
select queue_tests.forget_kick();
select coalesce(max(id), 0) as before from net.http_request_queue \gset
select results_eq(
  format($q$select state::text, priority::int, run_at <= now() from queue.reschedule(%s, now(), null, null)$q$, :queued_id),
  $$values ('queued', 7, true)$$,
  'reschedule to now makes a scheduled event queued');
select is(queue_tests.drain_requests(:before), 1::bigint, 'and kicks a drainer, as an insert of a due event does');
select throws_ok(format('select queue.reschedule(%s)', :queued_id), '22023', null,
  'reschedule refuses a call without run_at or priority');
select throws_ok(format('select queue.reschedule(%s, null, 101)', :queued_id), '23514', null,
  'reschedule refuses a priority out of range');
select throws_ok(format('select queue.reschedule(%s, now(), null, %L)', :queued_id, :'owner_b'), 'QU404', null,
  'reschedule answers another owner''s event as missing');
select is((select owner from queue.events where id = :queued_id), :'owner_a'::uuid, 'it is owner_a''s');
insert into queue.events (name, state, lease_until, leased_by) values ('TapSteer', 'processing', now() + interval '30 seconds', 'tap')
returning id as processing_id \gset
insert into queue.events (name, state, finished_at, last_error) values ('TapSteer', 'dead', now(), '{"message": "x"}')
returning id as dead_id \gset
select throws_ok(format('select queue.reschedule(%s, now())', :processing_id), 'QU409', null,
  'reschedule refuses a processing event');
select throws_ok(format('select queue.reschedule(%s, now())', :dead_id), 'QU409', null,
  'and an event that has ended');

-- delete_event
insert into queue.runs (event_id, name, attempt, worker, finished_at, outcome, error)
values (:dead_id, 'TapSteer', 1, 'tap', now(), 'failed', '{"message": "x"}');
select is((select id from queue.delete_event(:dead_id)), :dead_id::bigint, 'delete_event returns the deleted event');
select is((select count(*) from queue.events where id = :dead_id), 0::bigint, 'the event is gone');
select is((select count(*) from queue.runs where event_id = :dead_id), 0::bigint, 'and its runs with it');
select throws_ok(format('select queue.delete_event(%s)', :processing_id), 'QU409', null,
  'delete_event refuses a processing event');
select is((select state::text from queue.events where id = :processing_id), 'processing', 'which stays');
select throws_ok(format('select queue.delete_event(%s, %L)', :queued_id, :'owner_b'), 'QU404', null,
  'delete_event answers another owner''s event as missing');
select throws_ok(format('select queue.delete_event(%s)', :dead_id), 'QU404', null, 'and a deleted one');

-- the schedule filter: the events a schedule enqueued (enqueue_due_schedules
-- keys them 'schedule:<name>:<occurrence>'). tap_a:b's keys begin with tap_a's
-- prefix; tapXa's is one LIKE 'schedule:tap_a:%' would take too.
select queue.create_schedule(jsonb_build_object('name', n, 'event_name', 'TapSteer', 'cron', '0 3 1 1 *'))
  from unnest(array['tap_a', 'tap_a:b']) n;
update queue.schedules set next_run_at = '2020-01-01T03:00:00Z';
select queue.enqueue_due_schedules();
update queue.schedules set next_run_at = '2020-01-02T03:00:00Z' where name = 'tap_a';
select queue.enqueue_due_schedules();
insert into queue.events (name, idempotency_key) values
  ('TapSteer', 'schedule:tapXa:2020-01-01T03:00:00Z'), ('TapSteer', 'tap_a');
select results_eq(
  $$select idempotency_key from queue.list_events(p_schedule => 'tap_a')$$,
  $$values ('schedule:tap_a:2020-01-02T03:00:00Z'), ('schedule:tap_a:2020-01-01T03:00:00Z')$$,
  'list_events with p_schedule lists the events that schedule enqueued, newest first, and none of a schedule whose name begins with it');
select results_eq(
  $$select idempotency_key from queue.list_events(p_schedule => 'tap_a:b')$$,
  $$values ('schedule:tap_a:b:2020-01-01T03:00:00Z')$$,
  'and a name with a colon finds its own events');
select results_eq($$select count from queue.delete_many('{"schedule": "tap_a"}', null, true)$$,
  $$values (2)$$, 'the bulk verbs'' filter takes schedule as list_events does');

-- the bulk verbs
select queue_tests.reset();
insert into queue.handlers (name, kind, target) values ('TapBulk', 'code', 'Addition'), ('TapOther', 'code', 'Addition');
insert into queue.events (name, state, run_at, owner)
select 'TapBulk', 'scheduled', now() + interval '1 hour', case when i <= 4 then :'owner_a'::uuid else :'owner_b'::uuid end
  from generate_series(1, 5) i;
insert into queue.events (name, state, lease_until, leased_by) values ('TapBulk', 'processing', now() + interval '30 seconds', 'tap')
returning id as busy_id \gset
insert into queue.events (name, state, finished_at) values ('TapBulk', 'succeeded', now()) returning id as done_id \gset
insert into queue.events (name) values ('TapOther') returning id as other_id \gset
-- The second event of the first batch (newest first, the succeeded one is no candidate for cancel).
select id as second_id from queue.events where name = 'TapBulk' and id <> :done_id order by id desc offset 1 limit 1 \gset

select results_eq($$select count, next_before_id from queue.cancel_many('{"name": "TapBulk"}', null, true)$$,
  $$values (6, null::bigint)$$, 'a dry run counts what cancel_many would cancel: the events that have not ended');
select is((select count(*) from queue.events where state = 'cancelled'), 0::bigint, 'and changes nothing');
select results_eq(format($q$select count from queue.cancel_many('{"name": "TapBulk"}', %L, true)$q$, :'owner_a'),
  $$values (4)$$, 'an owner''s dry run counts only the owner''s events');
select results_eq($$select count from queue.delete_many('{"name": "TapBulk"}', null, true)$$,
  $$values (6)$$, 'delete_many would delete every event but the processing one');

select results_eq(
  $$select count, next_before_id from queue.cancel_many('{"name": "TapBulk", "limit": 2}')$$,
  format('values (2, %s::bigint)', :second_id),
  'cancel_many acts on one batch, newest first, and names the next one');
select is((select count(*) from queue.events where id = :busy_id and state = 'processing' and cancel_requested_at is not null), 1::bigint,
  'a processing event in the batch is asked to stop, not ended');
select results_eq(
  format($q$select count, next_before_id from queue.cancel_many(jsonb_build_object('name', 'TapBulk', 'before_id', %s))$q$, :second_id),
  $$values (4, null::bigint)$$,
  'the next batch, from before_id, takes the rest and says there is no more');
select is((select array_agg(state::text order by id) from queue.events where name = 'TapBulk'),
  array['cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'processing', 'succeeded'],
  'every scheduled event was cancelled; the succeeded one was left alone');
select is((select state::text from queue.events where id = :other_id), 'queued', 'an event of another name was not touched');

select results_eq(format($q$select count from queue.retry_many('{"name": "TapBulk", "state": "cancelled"}', %L)$q$, :'owner_b'),
  $$values (1)$$, 'retry_many retries only the owner''s dead or cancelled events');
select is((select count(*) from queue.events where name = 'TapBulk' and state = 'queued' and owner = :'owner_b'), 1::bigint,
  'which are queued again');
select results_eq($$select count from queue.retry_many('{"name": "TapBulk"}')$$,
  $$values (4)$$, 'retry_many without a state takes the dead and cancelled ones, not the queued, processing or succeeded');

select results_eq($$select count from queue.delete_many('{"name": "TapBulk"}')$$,
  $$values (6)$$, 'delete_many deletes every event of the filter but the processing one');
select is((select array_agg(id) from queue.events where name = 'TapBulk'), array[:busy_id::bigint],
  'which is the one left');
select throws_ok($$select * from queue._bulk('redrive', '{}', null, false)$$, '22023', null,
  '_bulk refuses a verb it does not know');
select * from finish();
rollback;
