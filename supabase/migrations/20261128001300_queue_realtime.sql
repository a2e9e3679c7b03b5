-- Realtime: stream changes of queue.events and queue.runs to subscribers.
--
-- Supabase Realtime (hosted, and the local stand-in in platform/realtime)
-- decodes the WAL of the tables in the `supabase_realtime` publication, which
-- the platform creates in every project. Row-level security then decides
-- which subscriber sees which change: an authenticated user sees the events
-- they own (events_owner_select) and the runs of those events, the service
-- role sees everything, anon sees nothing (it has no grant on these tables).
--
-- REPLICA IDENTITY FULL writes the whole old row to the WAL, so UPDATE
-- payloads carry every old column (`payload.old`), not only the primary key.
-- DELETE payloads still carry only the primary key: with RLS on, Realtime
-- cannot check a deleted row against the policies, so it withholds the rest.
--
-- Runs once, like every migration: `add table` fails on a table that is
-- already in the publication, which cannot happen on the first run.

alter publication supabase_realtime add table queue.events, queue.runs;

alter table queue.events replica identity full;
alter table queue.runs replica identity full;
