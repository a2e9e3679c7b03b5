-- The tick: what the per-minute pg_cron job runs.

-- queue._secret(name text) -> text
-- Reads a secret from Supabase Vault. On hosted Supabase create them once:
--   select vault.create_secret('https://<ref>.supabase.co', 'project_url');
--   select vault.create_secret('<service role key>', 'service_role_key');
-- The local stack writes the same two secrets when it starts.
create function queue._secret(p_name text)
returns text
language sql stable
set search_path = ''
as $$
  select s.decrypted_secret from vault.decrypted_secrets s where s.name = p_name limit 1
$$;

-- queue.tick(batch_size integer, max_batches integer) -> table (batches, events, reclaimed, scheduled)
-- One pass of the scheduler:
--   1. reclaim expired leases (their attempts are recorded as lost);
--   2. enqueue the due occurrences of recurring schedules;
--   3. claim due events in batches of `p_batch_size`, at most `p_max_batches`
--      batches (Default: 100 x 10);
--   4. for each batch, one net.http_post to the dispatch function carrying
--      the events and the handler mapping for their names;
--   5. kick a drainer if more events come due within the next minute, so
--      they start on time rather than at the next tick.
-- pg_net sends the requests only after this transaction commits, so dispatch
-- never sees an event whose claim could still roll back.
-- Raises nothing when the Vault secrets are missing: it logs a warning and
-- claims nothing, so events stay queued instead of being leased to nobody.
create function queue.tick(p_batch_size integer default 100, p_max_batches integer default 10)
returns table (batches integer, events integer, reclaimed integer, scheduled integer)
language plpgsql
set search_path = ''
as $$
declare
  v_url text := queue._secret('project_url');
  v_key text := queue._secret('service_role_key');
  v_worker text;
  v_events jsonb;
  v_count integer;
  v_handlers jsonb;
  v_timeout integer;
begin
  batches := 0;
  events := 0;
  reclaimed := queue.reclaim();
  scheduled := queue.enqueue_due_schedules();

  if v_url is null or v_key is null then
    raise warning 'queue.tick: Vault secrets project_url and service_role_key are required to dispatch; nothing was claimed.';
    return next;
    return;
  end if;

  for i in 1..p_max_batches loop
    v_worker := 'tick:' || gen_random_uuid()::text;

    -- claim returns each event with its handler: the batch's mapping is
    -- built from the same rows (a name may appear more than once).
    select jsonb_agg(to_jsonb(c) - 'kind' - 'target' - 'timeout_ms' order by c.priority desc, c.run_at, c.id),
           count(*),
           jsonb_object_agg(c.name, jsonb_build_object('kind', c.kind, 'target', c.target, 'timeout_ms', c.timeout_ms)),
           max(c.timeout_ms)
      into v_events, v_count, v_handlers, v_timeout
      from queue.claim(v_worker, p_batch_size) c;
    exit when v_count = 0;

    perform net.http_post(
      url := rtrim(v_url, '/') || '/functions/v1/dispatch',
      body := jsonb_build_object('worker', v_worker, 'events', v_events, 'handlers', v_handlers),
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'Authorization', 'Bearer ' || v_key
      ),
      -- The batch's handlers run concurrently: the slowest allowed handler
      -- plus 30 s (cold start, recording outcomes) bounds the call.
      timeout_milliseconds := v_timeout + 30000
    );

    batches := batches + 1;
    events := events + v_count;
    exit when v_count < p_batch_size;
  end loop;

  if queue.next_due_at() < now() + queue._kick_horizon() then
    perform queue.kick();
  end if;
  return next;
end;
$$;

-- Every minute. pg_cron's schedule() replaces a job of the same name, so
-- re-running these statements is harmless.
select cron.schedule('queue-tick', '* * * * *', 'select queue.tick()');
select cron.schedule('queue-prune', '*/5 * * * *', 'select queue.prune()');

-- Every queue function is callable by service_role only; PUBLIC (and so
-- anon and authenticated) gets nothing. Functions added by later migrations
-- must repeat these two lines.
revoke execute on all functions in schema queue from public, anon, authenticated;
grant execute on all functions in schema queue to service_role;
