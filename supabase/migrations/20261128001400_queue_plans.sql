-- How the queue's operations are planned: without JIT, and claims without
-- sequential scans.
--
-- JIT. The planner prices the claim's per-name walk of events_claim_idx by
-- the average rows a name has, so a large backlog of one name (a million
-- queued events of a paused handler) prices every claim above
-- jit_above_cost (100,000) although it reads a few hundred index entries.
-- Postgres then JIT-compiles the statement on every call: measured here,
-- 780 ms of compilation in a claim(100) that executes in 10 ms, which turned
-- 4,000 events/s into 150. None of these functions runs long enough for JIT
-- to pay off.
--
-- Claims without sequential scans. A PL/pgSQL function keeps its
-- statements' plans for the life of the session, and after five calls
-- Postgres may settle on one generic plan, priced with the table as it was
-- then. A drainer's session lives for minutes: its claims were planned while
-- queue.events was small, and the generic plan found the claimed events by
-- scanning the table (`id = any(...)`, estimated 10 rows of a few pages). As
-- events accumulated between autovacuum's analyzes, each claim of 500 read
-- every row: 150 ms with 100,000 events instead of 14 ms, and in the bench
-- the claim went from 40 to 150 us per event. Every statement of claim is
-- meant to go by an index; with seq scans off, a plan made for a small table
-- still does. Planning the queue's functions afresh on every call
-- (plan_cache_mode = force_custom_plan) fixed it too, but in the bench pickup
-- p50 went from 1.2-1.3 ms to 1.6-1.8 and single-event enqueue from 3,069 to
-- 1,675 a second.
--
-- Each function says so itself, as the calling session may not (pg_cron's
-- tick, a transaction pooler that drops startup parameters).

do $$
declare
  f text;
begin
  foreach f in array array[
    'claim', 'heartbeat', 'settle', 'complete', 'fail', '_lose', 'reclaim', 'release', '_undeliver',
    'enqueue', 'enqueue_many', '_kick_on_insert', 'tick', 'kick', 'kick_if_due', 'next_due_at', 'drain_stop', 'enqueue_due_schedules', '_record_due_sample',
    'list_events', 'get_event', 'cancel', 'retry', 'redrive', 'reschedule', 'delete_event',
    '_bulk', 'cancel_many', 'retry_many', 'delete_many', 'prune'
  ] loop
    execute format('alter function queue.%I set jit = off', f);
  end loop;
end;
$$;

alter function queue.claim set enable_seqscan = off;
