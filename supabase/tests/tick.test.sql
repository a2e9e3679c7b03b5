-- tick: reclaims expired leases, claims due events, posts one request per batch.
begin;
\ir helpers/queue_tests.psql
select plan(27);

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

-- Every tick records the oldest due age over every name as its minute's sample (stats_by_minute's history).
select queue_tests.reset();
insert into queue.handlers (name, kind, target) values ('TapDue', 'code', 'Addition'), ('TapDueB', 'code', 'Addition');
-- A drainer "runs", so the ticks below leave the events queued and each sees them again.
update queue._drainer set active_until = clock_timestamp() + interval '1 minute';
select is(queue._oldest_due_at(), null::timestamptz, 'with nothing due there is no oldest due time');
select id as due10 from queue.enqueue('TapDue', '{"x": 1, "y": 1}', now() - interval '10 seconds', 10) \gset
select id as due90 from queue.enqueue('TapDue', '{"x": 1, "y": 1}', now() - interval '90 seconds', -5) \gset
select id as due30 from queue.enqueue('TapDueB', '{"x": 1, "y": 1}', now() - interval '30 seconds', 0) \gset
select id as later from queue.enqueue('TapDueB', '{"x": 1, "y": 1}', now() + interval '1 hour', 0) \gset
select is(queue._oldest_due_at(), now() - interval '90 seconds',
  'the oldest due time is the earliest queued run_at over every name and priority, though it is not in the first (name, priority) of the claim index');
update queue.events set run_at = now() - interval '100 seconds' where id = :later;
select is(queue._oldest_due_at(), now() - interval '100 seconds',
  'a scheduled event whose time has come counts as due: the tick promotes it only as it claims');
update queue.events set run_at = now() + interval '1 hour' where id = :later;

select queue.tick();
select results_eq('select minute, oldest_due_age_ms from queue._due_samples',
  $$values (date_trunc('minute', now()), 90000::bigint)$$,
  'a tick with an event due 90 s ago records 90000 ms as the current minute''s sample');
select is((select oldest_due_age_ms from queue.stats_by_minute where minute = date_trunc('minute', now())), 90000::bigint,
  'stats_by_minute shows it in the current minute''s row');
select is((select count(*) from queue.stats_by_minute where oldest_due_age_ms is null), 59::bigint,
  'and null in the other minutes of the hour, which no tick sampled');

select queue.delete_event(:due90);
select queue.tick();
select is((select oldest_due_age_ms from queue._due_samples where minute = date_trunc('minute', now())), 90000::bigint,
  'a second tick in the same minute that finds less due keeps the larger value');
update queue.events set run_at = now() - interval '150 seconds' where id = :due30;
select queue.tick();
select is((select oldest_due_age_ms from queue._due_samples where minute = date_trunc('minute', now())), 150000::bigint,
  'and one that finds more due raises it');

insert into queue._due_samples (minute, oldest_due_age_ms)
values (date_trunc('minute', now()) - interval '3 hours', 1), (date_trunc('minute', now()) - interval '119 minutes', 2);
select queue.tick();
select is(array(select minute from queue._due_samples order by minute),
  array[date_trunc('minute', now()) - interval '119 minutes', date_trunc('minute', now())],
  'a tick deletes the samples older than 2 hours and keeps the rest');

delete from queue.events;
delete from queue._due_samples;
select queue.tick();
select is((select oldest_due_age_ms from queue.stats_by_minute where minute = date_trunc('minute', now())), 0::bigint,
  'with nothing due a tick records 0: a minute the tick ran in is never null');

select * from finish();
rollback;
