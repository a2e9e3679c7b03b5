-- The queue's schema: types, the tables (handlers, events, runs), their
-- indexes, row-level security and grants.
--
-- Everything lives in the private schema `queue`. Nothing here is exposed
-- through PostgREST; the edge functions call the SQL functions defined in the
-- later migrations. Who may call those functions is settled once, below,
-- before any of them exists; table grants and row-level security are written
-- together at the end of this file.

create extension if not exists pg_cron;
create extension if not exists pg_net;

create schema if not exists queue;
comment on schema queue is 'Persistent task queue: handlers, events and runs. Operations are the SQL functions in this schema.';

-- Every function in schema queue is callable by service_role only; PUBLIC
-- (and so anon and authenticated, which has USAGE on the schema to read its
-- own events) gets nothing. Both halves hold for every function a later
-- migration creates, without that migration saying so:
--   * service_role's EXECUTE is a default privilege of the schema;
--   * PUBLIC's EXECUTE cannot be revoked the same way. Postgres grants it by
--     a database-wide default, and a per-schema ALTER DEFAULT PRIVILEGES ...
--     REVOKE only undoes per-schema grants (it is accepted and does nothing).
--     Changing the database-wide default would change every other schema's
--     functions too. So an event trigger revokes it from each function of
--     this schema as it is created. (On hosted Supabase the postgres role may
--     create event triggers, through supautils.)
-- supabase/tests/grants.test.sql checks the result on every function.
alter default privileges in schema queue grant execute on functions to service_role;

-- queue._private_functions() -> event_trigger
-- Revokes EXECUTE from PUBLIC, anon and authenticated on each function or
-- procedure that the triggering statement created (or replaced) in schema
-- queue; objects of other schemas are left alone. Runs inside the creating
-- statement's transaction, as the creating role (the owner of the new
-- function, so it may revoke). Locks only the new function's catalog row,
-- which the creating statement holds already. Raises nothing of its own.
create function queue._private_functions()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
  v_routine regprocedure;
begin
  for v_routine in
    select c.objid::regprocedure
      from pg_event_trigger_ddl_commands() c
     where c.object_type in ('function', 'procedure') and c.schema_name = 'queue'
  loop
    execute format('revoke execute on routine %s from public, anon, authenticated', v_routine);
  end loop;
end;
$$;
-- Created before the trigger, so it revokes for itself.
revoke execute on function queue._private_functions() from public, anon, authenticated;

create event trigger queue_functions_private on ddl_command_end
  when tag in ('CREATE FUNCTION', 'CREATE PROCEDURE')
  execute function queue._private_functions();

-- States an event moves through. See the glossary in README.md.
--   scheduled  -> waiting for run_at (first attempt or a retry's backoff)
--   queued     -> due, waiting to be claimed
--   processing -> claimed under a lease, its handler running
--   succeeded, dead, cancelled -> final
create type queue.event_state as enum (
  'scheduled', 'queued', 'processing', 'succeeded', 'dead', 'cancelled'
);

-- How one attempt ended. 'running' until then; 'lost' when its lease expired
-- without an outcome (dispatcher died, HTTP call dropped); 'cancelled' when
-- the event was cancelled while the attempt ran.
create type queue.run_outcome as enum (
  'running', 'succeeded', 'failed', 'timed_out', 'lost', 'cancelled'
);

-- Where a handler runs: 'code' is built into the dispatch function,
-- 'function' is another edge function of this project (called with the
-- service role key), 'url' is any HTTP endpoint.
create type queue.handler_kind as enum ('code', 'function', 'url');

-- queue._is_final(state queue.event_state) -> boolean
-- Whether an event in this state has ended: succeeded, dead or cancelled.
-- The one definition of the final states: the events table's check and
-- every operation that asks (cancel, fail, stats) call it. Only retry and
-- redrive lead out of one. Pure: reads nothing, takes no locks, raises
-- nothing.
-- No search_path setting, so that the planner can inline it.
create function queue._is_final(p_state queue.event_state)
returns boolean
language sql immutable
as $$ select p_state in ('succeeded', 'dead', 'cancelled') $$;

create table queue.handlers (
  name            text primary key
                  constraint handlers_name_format check (name ~ '^[A-Za-z][A-Za-z0-9_.:-]{0,99}$'),
  kind            queue.handler_kind not null,
  target          text not null
                  constraint handlers_target_length check (char_length(target) between 1 and 2000),
  max_attempts    integer not null default 5
                  constraint handlers_max_attempts_range check (max_attempts between 1 and 100),
  backoff_base_ms integer not null default 1000
                  constraint handlers_backoff_base_range check (backoff_base_ms between 0 and 86400000),
  backoff_factor  numeric not null default 2
                  constraint handlers_backoff_factor_range check (backoff_factor between 1 and 10),
  backoff_max_ms  integer not null default 3600000
                  constraint handlers_backoff_max_range check (backoff_max_ms between 0 and 604800000),
  -- Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter].
  backoff_jitter  numeric not null default 0.2
                  constraint handlers_backoff_jitter_range check (backoff_jitter between 0 and 1),
  -- At most this many events of the name processing at once (null: no limit).
  concurrency_limit integer
                  constraint handlers_concurrency_limit_range check (concurrency_limit between 1 and 10000),
  -- At most rate_limit starts per rate_period_ms (null: no limit).
  rate_limit      integer
                  constraint handlers_rate_limit_range check (rate_limit between 1 and 100000),
  rate_period_ms  integer
                  constraint handlers_rate_period_range check (rate_period_ms between 100 and 86400000),
  -- An attempt runs inside a dispatch worker, whose wall clock is budgeted
  -- (150 s Free, 400 s paid). The plan's cap is settings.max_timeout_ms,
  -- checked by create_handler/update_handler; this bound is the paid plan's.
  timeout_ms      integer not null default 30000
                  constraint handlers_timeout_range check (timeout_ms between 100 and 185000),
  enabled         boolean not null default true,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint handlers_rate_limit_complete check ((rate_limit is null) = (rate_period_ms is null)),
  constraint handlers_url_target check (kind <> 'url' or target ~ '^https?://'),
  constraint handlers_function_target check (kind <> 'function' or target ~ '^[A-Za-z0-9_-]{1,100}$')
);
comment on table queue.handlers is 'The registry: which handler runs the events of each name, and its retry/timeout policy.';

create table queue.events (
  id              bigint generated by default as identity primary key,
  -- No foreign key to handlers: removing a handler must not delete history.
  -- enqueue refuses names without an enabled handler.
  name            text not null
                  constraint events_name_length check (char_length(name) between 1 and 100),
  props           jsonb not null default '{}'
                  constraint events_props_object check (jsonb_typeof(props) = 'object'),
  state           queue.event_state not null default 'queued',
  -- Higher runs first among due events. Documented range: -100..100.
  priority        smallint not null default 0
                  constraint events_priority_range check (priority between -100 and 100),
  run_at          timestamptz not null default now(),
  attempts        integer not null default 0
                  constraint events_attempts_nonnegative check (attempts >= 0),
  -- Per-event overrides of the handler's retry policy; null uses the handler's.
  max_attempts    integer
                  constraint events_max_attempts_range check (max_attempts between 1 and 100),
  backoff_base_ms integer
                  constraint events_backoff_base_range check (backoff_base_ms between 0 and 86400000),
  backoff_factor  numeric
                  constraint events_backoff_factor_range check (backoff_factor between 1 and 10),
  backoff_max_ms  integer
                  constraint events_backoff_max_range check (backoff_max_ms between 0 and 604800000),
  -- Set by cancel while the event is processing: its attempt is stopped at
  -- the next heartbeat or outcome, and it is not retried.
  cancel_requested_at timestamptz,
  lease_until    timestamptz,
  leased_by       text,
  last_error      jsonb,
  result          jsonb,
  idempotency_key text
                  constraint events_idempotency_key_length check (char_length(idempotency_key) between 1 and 200),
  -- The user who enqueued it (JWT sub); null when enqueued by the service role.
  owner           uuid,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  finished_at     timestamptz,
  -- A lease exists exactly while processing.
  constraint events_lease_iff_processing check (
    (state = 'processing') = (lease_until is not null and leased_by is not null)
  ),
  -- finished_at is set exactly in the final states.
  constraint events_finished_iff_final check (
    queue._is_final(state) = (finished_at is not null)
  )
);
comment on table queue.events is 'Every enqueued event, from enqueue to its final state.';

-- Idempotency: one event per (name, key) while the event is retained.
create unique index events_idempotency_key_idx on queue.events (name, idempotency_key)
  where idempotency_key is not null;
-- The claim walks this index per event name, in claim order, and stops after
-- the batch: cheap however many rows are finished or scheduled.
create index events_claim_idx on queue.events (name, priority desc, run_at, id)
  where state = 'queued';
-- Concurrency limits count the processing events of a name; reclaim looks
-- through them for expired leases (they are what is in flight, however many
-- events the table holds, so no index of their own on lease_until).
create index events_processing_name_idx on queue.events (name) where state = 'processing';
-- Promotion of due scheduled events.
create index events_scheduled_idx on queue.events (run_at) where state = 'scheduled';
-- A user's own events.
create index events_owner_id_idx on queue.events (owner, id) where owner is not null;
-- No index on (state, id) or (name, id): list_events walks the primary key,
-- newest first (its filters are parameters, planned once for any value, so
-- it never used them), and every insert and state change paid for their
-- entries: without them enqueue, claim and settle together cost about
-- 3.5 us less per event in Postgres (measured: 500-event rounds).

create table queue.runs (
  id          bigint generated by default as identity primary key,
  event_id    bigint not null references queue.events (id) on delete cascade,
  -- The event's name, copied: rate limits and stats count runs per name.
  name        text not null,
  attempt     integer not null constraint runs_attempt_positive check (attempt >= 1),
  worker      text not null,
  -- Wall-clock time of the claim (clock_timestamp, not the transaction's
  -- start), so that rate limits see starts in the order they happened.
  started_at  timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  -- When dispatch confirmed it has the attempt and is running it (its first
  -- heartbeat). A run whose lease expires undelivered never started: reclaim
  -- takes it back without spending an attempt (a tick batch that pg_net
  -- delivered too late).
  delivered_at timestamptz,
  outcome     queue.run_outcome not null default 'running',
  error       jsonb,
  result      jsonb,
  duration_ms double precision generated always as (
    extract(epoch from (finished_at - started_at)) * 1000
  ) stored,
  constraint runs_finished_iff_done check ((outcome = 'running') = (finished_at is null))
)
-- Room on each page for the row's one update (its outcome, at settle), so
-- that it is a HOT update: the new version beside the old one and no new
-- index entries. Measured (500-event rounds of enqueue, claim, settle): settle
-- 34 us per event with every page full, 21 us at fillfactor 50 (80 %: 24.5,
-- a third of the updates HOT).
with (fillfactor = 50);
comment on table queue.runs is 'One row per attempt of an event: when it started and finished, how it ended.';

-- No index mentions a column that settle changes (outcome, finished_at,
-- result): a unique index on running runs (one per event) made every settle
-- write four index entries per run instead of none. That an event has one
-- running attempt at a time follows from claim, which takes only queued
-- events under a row lock and moves them to processing in the same update,
-- and from every way out of processing closing the run under that lock; the
-- fault and overlap tests check it.
create index runs_event_id_idx on queue.runs (event_id, id);
create index runs_name_started_idx on queue.runs (name, started_at);
create index runs_started_idx on queue.runs (started_at);

-- Table grants and row-level security, in one place.
--
-- service_role (the edge functions' key) manages everything. authenticated
-- users may read their own events and their runs (used by Realtime and the
-- client SDK); anon sees nothing. The edge functions connect as the database
-- owner and call the SQL functions, which are granted to service_role only
-- (see the top of this file). Tables added by later migrations grant and
-- protect themselves beside their definition.
alter table queue.handlers enable row level security;
alter table queue.events enable row level security;
alter table queue.runs enable row level security;

revoke all on schema queue from public;
revoke all on all tables in schema queue from public, anon, authenticated;
grant usage on schema queue to service_role, authenticated;
grant all on all tables in schema queue to service_role;
grant all on all sequences in schema queue to service_role;
grant select on queue.events, queue.runs to authenticated;

create policy handlers_service_role on queue.handlers
  for all to service_role using (true) with check (true);
create policy events_service_role on queue.events
  for all to service_role using (true) with check (true);
create policy runs_service_role on queue.runs
  for all to service_role using (true) with check (true);

create policy events_owner_select on queue.events
  for select to authenticated using (owner = auth.uid());
create policy runs_owner_select on queue.runs
  for select to authenticated using (
    exists (select 1 from queue.events e where e.id = event_id and e.owner = auth.uid())
  );
