-- On-time starts with a per-minute cron: kicks and drainers.
--
-- pg_cron fires once a minute, so the tick alone would start events up to
-- 60 s late. Instead, an insert of an event due soon "kicks" dispatch through
-- pg_net (sent when the inserting transaction commits). The kicked dispatch
-- becomes a drainer: it claims and runs due events, waits (LISTEN on channel
-- queue_events) for new ones and for near-due ones, within its worker's
-- budgets. While a drainer is active no
-- further kicks are sent, so a burst of inserts makes one call. The
-- per-minute tick stays the safety net: it dispatches whatever is due and
-- kicks a drainer if anything comes due within the next minute.

-- The drainer's liveness row, the kick horizon, the drain lock key and the
-- Vault secrets are configuration (the config migration).

-- queue._post_dispatch(path text, body jsonb) -> bigint
-- Posts to the dispatch function through pg_net (sent when the calling
-- transaction commits), with the project's secret key in the `apikey`
-- header as Supabase recommends for pg_net (secret keys are not JWTs, so
-- they cannot go in Authorization). Returns the pg_net request id, or null
-- when the Vault secrets project_url / secret_key are missing.
-- The timeout is short on purpose: dispatch answers 202 at once and works
-- after the response, and pg_net takes its next batch of requests only when
-- every request of the current one has finished, so a long request would
-- hold up every other pg_net user of the project.
create function queue._post_dispatch(p_path text, p_body jsonb)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_url text := queue._secret('project_url');
  v_key text := queue._secret('secret_key');
begin
  if v_url is null or v_key is null then
    return null;
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/dispatch' || p_path,
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key),
    timeout_milliseconds := 10000
  );
end;
$$;

-- queue.kick(send boolean) -> boolean
-- Asks dispatch to drain now, unless a drainer is active (or was kicked in
-- the last 10 s) or settings.kicks is off. Returns true when it kicked.
-- With `p_send` false it only takes the kick (the debounce) and leaves the
-- request to the caller: a drainer handing over calls dispatch itself,
-- rather than queueing behind whatever else pg_net is sending.
--
-- Locking: takes the drain advisory lock in shared mode until the caller's
-- transaction ends. A drainer that is about to stop takes it exclusively
-- (drain_stop), so it waits for every transaction that saw it active; its
-- last look for due events then sees their rows. Without this, an event
-- committed just as the drainer stopped would wait for the next tick.
-- The first transaction to find no drainer updates the row and kicks;
-- concurrent ones wait for it and then see the kick. Once per transaction.
create function queue.kick(p_send boolean default true)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if current_setting('queue.kick_checked', true) = 'on'
     or not (select s.kicks from queue.settings s) then
    return false;
  end if;
  perform set_config('queue.kick_checked', 'on', true);
  perform pg_advisory_xact_lock_shared(queue._drain_lock_key());

  update queue._drainer d
     set active_until = clock_timestamp() + interval '10 seconds', kicked_at = clock_timestamp()
   where d.active_until <= clock_timestamp();
  if not found then
    return false;
  end if;
  if not p_send then
    return true;
  end if;
  return queue._post_dispatch('/drain', jsonb_build_object('reason', 'kick')) is not null;
end;
$$;

-- queue._wake() -> void
-- New work is due soon: a running drainer LISTENs on channel queue_events
-- (the NOTIFY is delivered at commit) and claims at once; kick() starts one
-- when none is running. What an insert and a reschedule both do.
create function queue._wake()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_notify('queue_events', '');
  perform queue.kick();
end;
$$;

-- Statement-level: one check per INSERT statement, however many rows.
create function queue._kick_on_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from inserted i where i.run_at < now() + queue._kick_horizon()) then
    perform queue._wake();
  end if;
  return null;
end;
$$;

create trigger events_kick_on_insert
  after insert on queue.events
  referencing new table as inserted
  for each statement execute function queue._kick_on_insert();

-- queue.drain_alive(seconds integer) -> boolean
-- A running drainer calls this every few seconds: "I am draining for the
-- next `p_seconds`; don't kick another one." Answers false when kicks are
-- turned off (settings.kicks): the drainer then stops claiming and ends.
create function queue.drain_alive(p_seconds integer default 10)
returns boolean
language sql
set search_path = ''
as $$
  update queue._drainer
     set active_until = greatest(active_until, clock_timestamp() + make_interval(secs => p_seconds));
  select s.kicks from queue.settings s;
$$;

-- queue.drain_stop() -> void
-- A drainer that found nothing to do marks itself gone. Waits (exclusive
-- advisory lock) for transactions that saw it active to finish, so that the
-- drainer's next look for due events, after this commits, sees their rows.
create function queue.drain_stop()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(queue._drain_lock_key());
  update queue._drainer set active_until = '-infinity';
end;
$$;

-- queue.next_due_at() -> timestamptz
-- When the next event becomes due (null if none is waiting); now() if some
-- are queued but were not claimable (held by a concurrency or rate limit).
-- A drainer keeps polling until then if it is within its budget.
create function queue.next_due_at()
returns timestamptz
language sql stable
set search_path = ''
as $$
  -- Per enabled handler, so queued events of a disabled handler (which no
  -- one may claim) do not keep drainers polling.
  select case
           when exists (
             select 1 from queue.handlers h
              where h.enabled
                and exists (select 1 from queue.events e where e.name = h.name and e.state = 'queued')
           ) then now()
           else (select min(e.run_at) from queue.events e where e.state = 'scheduled')
         end
$$;

-- queue.kick_if_due(send boolean) -> boolean
-- Kicks a drainer when an event comes due within the kick horizon: what the
-- tick does after dispatching, and what a drainer does when it hands over
-- (with `p_send` false: see kick).
create function queue.kick_if_due(p_send boolean default true)
returns boolean
language sql
set search_path = ''
as $$
  select case when queue.next_due_at() < now() + queue._kick_horizon() then queue.kick(p_send) else false end
$$;
