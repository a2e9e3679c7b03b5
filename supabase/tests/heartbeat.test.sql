-- heartbeat: the first beat confirms delivery; beats extend the lease and
-- answer running, cancelled or gone for each attempt.
begin;
\ir helpers/queue_tests.psql
select plan(12);
select queue_tests.reset();
insert into queue.handlers (name, kind, target) values ('TapBeat', 'code', 'Addition');
select id as ev from queue.enqueue('TapBeat', '{"x": 1, "y": 1}') \gset
select run_id as r1 from queue.claim('tap', 1000) where id = :ev \gset
select is((select delivered_at from queue.runs where id = :r1), null,
  'a claimed attempt is not delivered before its first heartbeat');
-- An attempt confirmed as soon as it was claimed keeps the lease claim gave it.
select id as ev0 from queue.enqueue('TapBeat', '{"x": 0, "y": 0}') \gset
select run_id as r0, lease_until as lease0 from queue.claim('tap', 1000) where id = :ev0 \gset
select ctid::text as ctid0 from queue.events where id = :ev0 \gset
select is((select status from queue.heartbeat(array[:r0]::bigint[])), 'running',
  'answers running on the delivery of an attempt just claimed');
select isnt((select delivered_at from queue.runs where id = :r0), null,
  'marks it delivered');
select is((select ctid::text || ' ' || lease_until::text from queue.events where id = :ev0), :'ctid0' || ' ' || :'lease0'::timestamptz::text,
  'and leaves its event row as claim wrote it: the lease has most of its time left');
-- The lease has nearly run out when the beat comes.
update queue.events set lease_until = clock_timestamp() + interval '1 second' where id = :ev;
select is((select status from queue.heartbeat(array[:r1]::bigint[])), 'running',
  'answers running for an attempt that may go on');
select isnt((select delivered_at from queue.runs where id = :r1), null,
  'the first heartbeat marks the run delivered: the dispatcher has it and is starting it');
select ok((select lease_until >= clock_timestamp() + interval '29 seconds' from queue.events where id = :ev),
  'extends the lease by another 30 s');
select delivered_at as first_delivered from queue.runs where id = :r1 \gset
select status from queue.heartbeat(array[:r1]::bigint[]);
select is((select delivered_at from queue.runs where id = :r1), :'first_delivered'::timestamptz,
  'a later heartbeat keeps the delivery time of the first');
select queue.cancel(:ev);
select is((select status from queue.heartbeat(array[:r1]::bigint[])), 'cancelled',
  'answers cancelled once a cancel of the event was requested, so the dispatcher stops the handler');
select queue.fail(:r1, '{"message": "stopped"}', 'cancelled');
select is((select status from queue.heartbeat(array[:r1]::bigint[])), 'gone',
  'answers gone for an attempt that already ended: its outcome would be ignored');
select is((select status from queue.heartbeat(array[-1]::bigint[])), 'gone',
  'answers gone for a run it does not know');
select is((select count(*) from queue.heartbeat(array[:r1, -1, -2]::bigint[])), 3::bigint,
  'answers once for every run asked about');
select * from finish();
rollback;
