-- Who may call the queue's functions: service_role only, including every
-- function a later migration adds (the schema's default privilege and the
-- queue_functions_private event trigger).
begin;
\ir helpers/queue_tests.psql
select plan(6);
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
select * from finish();
rollback;
