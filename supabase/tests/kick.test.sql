-- kick: one kick while a drainer is active; kick(false) takes the debounce
-- without a request; kick_if_due only when an event comes due within the
-- kick horizon; nothing at all when settings.kicks is off.
-- The suite is one transaction and kick() looks once per transaction, so
-- queue_tests.forget_kick() stands for "a later transaction".
begin;
\ir helpers/queue_tests.psql
select plan(19);
select queue_tests.reset();
insert into queue.handlers (name, kind, target) values ('TapKick', 'code', 'Addition');
select coalesce(max(id), 0) as before from net.http_request_queue \gset

select is(queue.kick(), true, 'kicks when no drainer is active');
select is(queue_tests.drain_requests(:before), 1::bigint, 'a kick is one request to dispatch/drain');
select results_eq(
  format($q$select headers->>'apikey', timeout_milliseconds from net.http_request_queue
             where id > %s and url like '%%/functions/v1/dispatch/drain'$q$, :before),
  $$values ((select decrypted_secret from vault.decrypted_secrets where name = 'secret_key'), 10000)$$,
  'the kick authenticates with the secret key and has a short timeout, as every request the queue sends');
select queue_tests.forget_kick();
select is(queue.kick(), false, 'does not kick again while the kicked drainer counts as active');
select is(queue_tests.drain_requests(:before), 1::bigint, 'so kicks in a burst make one request');
select is(queue.drain_alive(10), true, 'a running drainer is told to go on while kicks are on');
select queue.drain_stop();
select is(queue.kick(), false, 'looks once per transaction: a second kick in one transaction sends nothing');
select queue_tests.forget_kick();
select is(queue.kick(), true, 'kicks again once the drainer has stopped');
select is(queue_tests.drain_requests(:before), 2::bigint, 'with a second request');

-- kick(false): the caller (a drainer handing over) sends the request itself.
select queue.drain_stop();
select queue_tests.forget_kick();
select is(queue.kick(false), true, 'kick(false) takes the kick');
select is(queue_tests.drain_requests(:before), 2::bigint, 'but asks pg_net for no request');
select queue_tests.forget_kick();
select is(queue.kick(), false, 'and debounces the kicks after it as any kick does');

-- kick_if_due: only when something comes due within the kick horizon (60 s).
select queue.drain_stop();
select queue_tests.forget_kick();
select is(queue.kick_if_due(), false, 'kick_if_due does not kick when nothing waits');
select queue.enqueue('TapKick', '{}', now() + interval '10 minutes');
select queue_tests.forget_kick();
select is(queue.kick_if_due(), false, 'nor when the next event is due beyond the kick horizon');
-- Inserting an event due soon kicks by itself (the insert trigger); let its
-- drainer stop so that kick_if_due finds none.
select queue.enqueue('TapKick', '{}', now() + interval '30 seconds');
select queue.drain_stop();
select queue_tests.forget_kick();
select is(queue.kick_if_due(), true, 'kick_if_due kicks when an event comes due within the horizon');

-- The insert trigger.
select queue.drain_stop();
select queue_tests.forget_kick();
select coalesce(max(id), 0) as before from net.http_request_queue \gset
insert into queue.events (name, props) select 'TapKick', '{}' from generate_series(1, 5);
select is(queue_tests.drain_requests(:before), 1::bigint, 'an insert of due events kicks once, however many rows it has');
select queue.drain_stop();
select queue_tests.forget_kick();
insert into queue.events (name, props, run_at, state) values ('TapKick', '{}', now() + interval '1 hour', 'scheduled');
select is(queue_tests.drain_requests(:before), 1::bigint, 'an insert of events due later than the horizon does not kick');

-- settings.kicks off: only the tick dispatches.
update queue.settings set kicks = false;
select queue_tests.forget_kick();
select is(queue.kick(), false, 'sends nothing when settings.kicks is off');
select is(queue.drain_alive(10), false, 'and tells a running drainer to stop');
select * from finish();
rollback;
