-- reclaim and release: what happens to attempts whose dispatcher went away.
begin;
\ir helpers/queue_tests.psql
select plan(9);
select queue_tests.reset();

insert into queue.handlers (name, kind, target, max_attempts, backoff_base_ms) values ('TapReclaim', 'code', 'Addition', 2, 60000);

-- A delivered attempt (dispatch heartbeated it) whose lease expired: lost, and it counts.
select event_id as ev1, run_id as r1 from queue_tests.delivered('TapReclaim', '{"x": 1, "y": 1}') \gset
select isnt((select delivered_at from queue.runs where id = :r1), null, 'the attempt was delivered');
select queue_tests.expire_lease(:ev1);
select is(queue.reclaim(), 1, 'reclaim ends the expired attempt');
select is((select outcome::text from queue.runs where id = :r1), 'lost', 'a delivered attempt whose lease expired is lost');
select is((select state::text || '/' || attempts from queue.events where id = :ev1), 'scheduled/1', 'and its event retries after backoff, the attempt spent');

-- release: a dispatcher shutting down hands its running attempts back at once.
select event_id as ev2, run_id as r2 from queue_tests.delivered('TapReclaim', '{"x": 2, "y": 2}') \gset
select is(queue.release(array[:r2]::bigint[]), 1, 'release hands back the running attempt');
select is((select outcome::text from queue.runs where id = :r2), 'lost', 'the released attempt is recorded lost (it may have done part of its work)');
select is((select state::text from queue.events where id = :ev2), 'queued', 'its event is queued again at once, not after a backoff or its lease');
select ok((select run_at <= now() from queue.events where id = :ev2), 'due now');
select is(queue.release(array[:r2]::bigint[]), 0, 'releasing an attempt that already ended changes nothing');

select * from finish();
rollback;
