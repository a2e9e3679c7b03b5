-- tick: reclaims expired leases, claims due events, posts one request per batch.
begin;
create extension if not exists pgtap with schema extensions;
set search_path = extensions, public;
select plan(7);

-- Only this test's events are due inside this transaction.
update queue.events set state = 'cancelled', finished_at = now(), locked_until = null, locked_by = null
 where state in ('queued', 'scheduled', 'processing');
update queue.runs set outcome = 'lost', finished_at = now() where outcome = 'running';

insert into queue.handlers (name, kind, target, timeout_ms, backoff_base_ms) values ('TapTick', 'code', 'Addition', 1000, 0);
select id as ev from queue.enqueue('TapTick', '{"x": 1, "y": 2}') \gset
select run_id as r1 from queue.claim('crashed-dispatcher', 1000) where id = :ev \gset
-- The dispatcher died; its lease runs out.
update queue.events set locked_until = now() - interval '1 second' where id = :ev;

select id as ev2 from queue.enqueue('TapTick', '{"x": 2, "y": 2}') \gset
select coalesce(max(id), 0) as before_req from net.http_request_queue \gset

select results_eq('select reclaimed, batches from queue.tick(2, 10)', $$values (1, 1)$$,
  'tick reclaims the expired lease and sends one batch');
select is((select outcome::text from queue.runs where id = :r1), 'lost', 'the interrupted attempt is recorded as lost');
select is((select state::text from queue.events where id = :ev), 'processing', 'the reclaimed event is claimed again in the same tick');
select is((select attempts from queue.events where id = :ev), 2, 'the lost attempt counts');
select is((select count(*) from net.http_request_queue where id > :before_req and url like '%/functions/v1/dispatch'), 1::bigint,
  'one pg_net request for the batch, not one per event');
select results_eq(
  format($q$select jsonb_array_length(convert_from(body, 'UTF8')::jsonb->'events'), convert_from(body, 'UTF8')::jsonb->'handlers'->'TapTick'->>'kind', url
            from net.http_request_queue where id > %s and url like '%%/functions/v1/dispatch'$q$, :before_req),
  $$values (2, 'code', (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/dispatch')$$,
  'the request carries both events and the handler mapping to dispatch');
select is(
  (select headers->>'Authorization' from net.http_request_queue where id > :before_req and url like '%/functions/v1/dispatch'),
  'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'),
  'the request authenticates with the service role key from Vault');

select * from finish();
rollback;
