-- The queue's configuration: the operator's settings (one row), the
-- constants its operations share (the lease, the kick horizon, the drain
-- lock key), the Vault secrets it reads, the drainer's liveness row, and a
-- handler's defaults read as a row.

-- Settings an operator may change (one row).
create table queue.settings (
  id                boolean primary key default true constraint settings_one_row check (id),
  -- Finished events (and their runs) older than this are deleted by prune.
  retention         interval not null default interval '7 days'
                    constraint settings_retention_positive check (retention > interval '0'),
  -- Rows deleted per table per prune call, so a prune never holds long locks.
  prune_batch_size  integer not null default 5000
                    constraint settings_prune_batch_range check (prune_batch_size between 1 and 1000000),
  -- Kick a dispatch drainer when events come due (on-time starts). Off, only
  -- the per-minute tick dispatches: up to a minute late, fewer function calls.
  kicks             boolean not null default true,
  -- The longest handler timeout_ms allowed. An attempt must end inside the
  -- dispatch worker that runs it: a worker stops claiming at half its wall
  -- clock (75 s on the Free plan's 150 s) and is terminated at the full
  -- time, so 150 - 75 - 15 s of margin = 60 s. Paid plans (400 s): 185000.
  max_timeout_ms    integer not null default 60000
                    constraint settings_max_timeout_range check (max_timeout_ms between 100 and 185000)
);
insert into queue.settings default values;
comment on table queue.settings is 'Operator settings: retention, prune batch size, kicks on or off, the longest handler timeout.';

alter table queue.settings enable row level security;
grant all on queue.settings to service_role;
create policy settings_service_role on queue.settings
  for all to service_role using (true) with check (true);

-- How long a claim or a heartbeat leases an event. Dispatchers heartbeat
-- every 10 s, so a live attempt never loses its lease; a dead dispatcher's
-- events come back within this time (plus the next tick).
create function queue._lease()
returns interval
language sql immutable
as $$ select interval '30 seconds' $$;

-- How far ahead an insert or a tick looks for events a drainer should wait
-- for: events due later than this are left to a later tick.
create function queue._kick_horizon()
returns interval
language sql immutable
as $$ select interval '60 seconds' $$;

-- The advisory lock key that orders kickers against a stopping drainer.
create function queue._drain_lock_key()
returns bigint
language sql immutable
as $$ select 7428170135::bigint $$;

-- queue._secret(name text) -> text
-- Reads a secret from Supabase Vault. On hosted Supabase create them once:
--   select vault.create_secret('https://<ref>.supabase.co', 'project_url');
--   select vault.create_secret('<sb_secret_… key>', 'secret_key');
-- The local stack writes the same two secrets when it starts.
create function queue._secret(p_name text)
returns text
language sql stable
set search_path = ''
as $$
  select s.decrypted_secret from vault.decrypted_secrets s where s.name = p_name limit 1
$$;

-- The drainer's liveness: one row. active_until is pushed forward by a
-- running drainer; a kick sets it too, to debounce concurrent kicks.
create table queue._drainer (
  id           boolean primary key default true constraint drainer_one_row check (id),
  active_until timestamptz not null default '-infinity',
  kicked_at    timestamptz
);
insert into queue._drainer default values;
alter table queue._drainer enable row level security;
comment on table queue._drainer is 'Internal: whether a dispatch drainer is running, to debounce kicks.';

-- queue._handler_defaults() -> queue.handlers
-- A handler row holding the column defaults of queue.handlers, evaluated now
-- (null where a column has none: name, kind, target and the limits). fail()
-- holds an event whose handler was deleted to it. The defaults are read from
-- the catalog rather than written out again, so the table's column defaults
-- stay the one place that says what a handler registered without options
-- does. Stable: reads the catalog, takes no locks; raises nothing.
create function queue._handler_defaults()
returns queue.handlers
language plpgsql stable
set search_path = ''
as $$
declare
  v_row queue.handlers;
begin
  execute (
    select 'select ' || string_agg(
             coalesce(pg_get_expr(d.adbin, d.adrelid), 'null') || '::' || format_type(a.atttypid, a.atttypmod),
             ', ' order by a.attnum)
      from pg_attribute a
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = 'queue.handlers'::regclass and a.attnum > 0 and not a.attisdropped
  ) into v_row;
  return v_row;
end;
$$;
