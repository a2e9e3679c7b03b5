-- Who may call the queue's functions: service_role only, including every
-- function a later migration adds (the schema's default privilege and the
-- queue_functions_private event trigger). Who may read its tables and views:
-- authenticated its own events and runs (row-level security), anon nothing.
begin;
\ir helpers/queue_tests.psql
select plan(9);
select is(
  array(select p.oid::regprocedure::text from pg_proc p
         where p.pronamespace = 'queue'::regnamespace and has_function_privilege('anon', p.oid, 'execute')
         order by 1),
  '{}'::text[], 'anon may execute no function of schema queue');
select is(
  array(select p.oid::regprocedure::text from pg_proc p
         where p.pronamespace = 'queue'::regnamespace and has_function_privilege('authenticated', p.oid, 'execute')
         order by 1),
  '{}'::text[], 'authenticated may execute no function of schema queue, though it may use the schema');
select is(
  array(select p.oid::regprocedure::text from pg_proc p
         where p.pronamespace = 'queue'::regnamespace and not has_function_privilege('service_role', p.oid, 'execute')
         order by 1),
  '{}'::text[], 'service_role may execute every function of schema queue');

create function queue.tap_added_later() returns integer language sql as 'select 1';
create or replace function queue.enqueue_later(p integer) returns integer language sql as 'select p';
select results_eq(
  $$select has_function_privilege('anon', 'queue.tap_added_later()', 'execute'),
           has_function_privilege('authenticated', 'queue.tap_added_later()', 'execute'),
           has_function_privilege('service_role', 'queue.tap_added_later()', 'execute')$$,
  $$values (false, false, true)$$,
  'a function created later in schema queue is callable by service_role only, with no grant of its own');
select is(has_function_privilege('anon', 'queue.enqueue_later(integer)', 'execute'), false,
  'so is one created by create or replace');
create function queue_tests.elsewhere() returns integer language sql as 'select 1';
select is(has_function_privilege('anon', 'queue_tests.elsewhere()', 'execute'), true,
  'functions of other schemas keep the database''s default: only schema queue is made private');

select is(
  array(select c.oid::regclass::text from pg_class c
         where c.relnamespace = 'queue'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
           and has_table_privilege('anon', c.oid, 'select')
         order by 1),
  '{}'::text[], 'anon may read no table or view of schema queue');
select is(
  array(select c.oid::regclass::text from pg_class c
         where c.relnamespace = 'queue'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
           and has_table_privilege('authenticated', c.oid, 'select')
         order by 1),
  '{queue.events,queue.runs}'::text[],
  'authenticated may read events and runs (its own, by row-level security) and nothing else: not the stats nor the due-age samples');
-- stats_by_minute is security_invoker: service_role reads the due-age samples under it with its own grant.
-- (Read as service_role, asserted as the suite's role, which owns pgTAP's bookkeeping.)
set local role service_role;
select count(*) as minutes_read from queue.stats_by_minute \gset
reset role;
select is(:minutes_read::bigint, 60::bigint, 'service_role may read stats_by_minute, samples included');
select * from finish();
rollback;
