-- The example handlers: four arithmetic events (Addition, Subtraction,
-- Multiplication, Division on {x, y}) run by code built into the dispatch
-- function, so a fresh stack has events to run. Idempotent.
insert into queue.handlers (name, kind, target, max_attempts, backoff_base_ms)
values
  ('Addition',       'code', 'Addition',       5, 1000),
  ('Subtraction',    'code', 'Subtraction',    5, 1000),
  ('Multiplication', 'code', 'Multiplication', 5, 1000),
  ('Division',       'code', 'Division',       3, 1000)
on conflict (name) do nothing;
