-- tick: reclaims expired leases, claims due events, posts one request per batch.
begin;
\ir helpers/queue_tests.psql
select plan(17);

select queue_tests.reset();

insert into queue.handlers (name, kind, target, timeout_ms, backoff_base_ms) values ('TapTick', 'code', 'Addition', 1000, 0);
-- Dispatch confirmed the attempt (its first heartbeat), then died; its lease runs out.
select event_id as ev, run_id as r1 from queue_tests.delivered('TapTick', '{"x": 1, "y": 2}', 'crashed-dispatcher') \gset
select queue_tests.expire_lease(:ev);

select id as ev2 from queue.enqueue('TapTick', '{"x": 2, "y": 2}') \gset
select coalesce(max(id), 0) as before_req from net.http_request_queue \gset

-- The enqueues above kicked (a drainer would claim them); this tick is the one that finds none running.
update queue._drainer set active_until = '-infinity';
select results_eq('select reclaimed, batches from queue.tick(2, 10)', $$values (1, 1)$$,
  'tick reclaims the expired lease and sends one batch');
select is((select outcome::text from queue.runs where id = :r1), 'lost', 'the interrupted attempt is recorded as lost');
select is((select state::text from queue.events where id = :ev), 'processing', 'the reclaimed event is claimed again in the same tick');
select is((select attempts from queue.events where id = :ev), 2, 'the lost attempt counts');
select is((select count(*) from net.http_request_queue where id > :before_req and url like '%/functions/v1/dispatch'), 1::bigint,
  'one pg_net request for the batch, not one per event');
select results_eq(
  format($q$select jsonb_array_length(convert_from(body, 'UTF8')::jsonb->'events'),
                   convert_from(body, 'UTF8')::jsonb->'events'->0->>'kind',
                   convert_from(body, 'UTF8')::jsonb->'events'->0->>'target', url
            from net.http_request_queue where id > %s and url like '%%/functions/v1/dispatch'$q$, :before_req),
  $$values (2, 'code', 'Addition', (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/dispatch')$$,
  'the request carries both claimed rows, each with its handler');
select is(
  (select headers->>'apikey' from net.http_request_queue where id > :before_req and url like '%/functions/v1/dispatch'),
  (select decrypted_secret from vault.decrypted_secrets where name = 'secret_key'),
  'the request authenticates with the secret key from Vault, in the apikey header');
select is(
  (select timeout_milliseconds from net.http_request_queue where id > :before_req and url like '%/functions/v1/dispatch'),
  10000, 'the request has a short timeout: dispatch answers at once, and a long request would hold up pg_net''s batch');

-- A batch pg_net never delivered: its attempts did not run and are not spent.
select id as ev3 from queue.enqueue('TapTick', '{"x": 3, "y": 3}') \gset
select run_id as r3 from queue.claim('tick:late', 1000) where id = :ev3 \gset
select queue_tests.expire_lease(:ev3);
select is((select reclaimed from queue.tick(0 + 1, 0)), 1, 'tick takes back the undelivered attempt');
select is((select state::text || '/' || attempts from queue.events where id = :ev3), 'queued/0',
  'an undelivered attempt returns its event to queued without spending an attempt');
select is((select count(*) from queue.runs where id = :r3), 0::bigint, 'and leaves no run behind: nothing ran');
select is((select status from queue.heartbeat(array[:r3]::bigint[])), 'gone',
  'a batch that arrives after that is told the attempt is gone, so it never runs twice');

-- While a drainer runs, the tick leaves claiming to it.
select id as ev4 from queue.enqueue('TapTick', '{"x": 4, "y": 4}') \gset
update queue._drainer set active_until = clock_timestamp() + interval '10 seconds';
select is((select batches from queue.tick(100, 10)), 0, 'a tick sends no batch while a drainer is running');
select is((select state::text from queue.events where id = :ev4), 'queued', 'and leaves the due event to the drainer');

-- The tick's pg_cron schedule follows the installed pg_cron.
select is(queue._tick_schedule('1.6.4'), '10 seconds', 'pg_cron 1.5 and later (hosted) tick every 10 seconds');
select is(queue._tick_schedule('1.4-1'), '* * * * *', 'pg_cron 1.4 (Debian 12) ticks every minute');
select is((select schedule from cron.job where jobname = 'queue-tick'),
  queue._tick_schedule((select extversion from pg_extension where extname = 'pg_cron')),
  'the installed job uses the schedule for the installed pg_cron');

select * from finish();
rollback;
