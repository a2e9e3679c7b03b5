-- create_handler / update_handler: omitted fields take the table's column
-- defaults; unknown fields are refused; the handler timeout cap
-- (settings.max_timeout_ms).
begin;
\ir helpers/queue_tests.psql
select plan(15);
select queue_tests.reset();

-- Defaults: what a plain insert gives is the reference, so these hold
-- whatever the column defaults are.
insert into queue.handlers (name, kind, target) values ('TapPlain', 'code', 'Addition');
select lives_ok($$select queue.create_handler('{"name": "TapDefaults", "kind": "code", "target": "Addition"}')$$,
  'registers a handler from name, kind and target alone');
select results_eq(
  $$select max_attempts, backoff_base_ms, backoff_factor, backoff_max_ms, backoff_jitter, concurrency_limit, rate_limit, rate_period_ms, timeout_ms, enabled
      from queue.handlers where name = 'TapDefaults'$$,
  $$select max_attempts, backoff_base_ms, backoff_factor, backoff_max_ms, backoff_jitter, concurrency_limit, rate_limit, rate_period_ms, timeout_ms, enabled
      from queue.handlers where name = 'TapPlain'$$,
  'gives every omitted field the column default of queue.handlers');
select queue.create_handler('{"name": "TapNulls", "kind": "code", "target": "Addition", "max_attempts": null, "enabled": null, "concurrency_limit": null}');
select results_eq(
  $$select max_attempts, enabled, concurrency_limit from queue.handlers where name = 'TapNulls'$$,
  $$select max_attempts, enabled, concurrency_limit from queue.handlers where name = 'TapPlain'$$,
  'a field given as null counts as not given: it takes the column default');
select queue.create_handler('{"name": "TapGiven", "kind": "url", "target": "https://example.com/hook", "max_attempts": 7, "backoff_factor": 1.5, "rate_limit": 10, "rate_period_ms": 1000, "enabled": false}');
select results_eq(
  $$select kind::text, target, max_attempts, backoff_factor, rate_limit, rate_period_ms, enabled from queue.handlers where name = 'TapGiven'$$,
  $$values ('url', 'https://example.com/hook', 7, 1.5::numeric, 10, 1000, false)$$,
  'stores the fields given as given');
select results_eq(
  $$select max_attempts, backoff_base_ms, backoff_factor, backoff_max_ms, backoff_jitter, concurrency_limit, rate_limit, rate_period_ms, timeout_ms, enabled
      from queue._handler_defaults()$$,
  $$select max_attempts, backoff_base_ms, backoff_factor, backoff_max_ms, backoff_jitter, concurrency_limit, rate_limit, rate_period_ms, timeout_ms, enabled
      from queue.handlers where name = 'TapPlain'$$,
  'the handler defaults row (what fail() holds a deleted handler''s events to) is what a plain insert gives');
select throws_ok($$select queue.create_handler('{"name": "TapOdd", "kind": "code", "target": "Addition", "colour": "red"}')$$,
  '22023', 'A handler has no field "colour".', 'refuses a field a handler does not have');
select throws_ok($$select queue.create_handler('{"name": "TapOld", "kind": "code", "target": "Addition", "created_at": "2020-01-01T00:00:00Z"}')$$,
  '22023', 'A handler has no field "created_at".', 'refuses created_at: the queue stamps it');
select throws_ok($$select queue.create_handler('["TapList"]')$$,
  '22023', 'A handler must be a JSON object.', 'refuses a handler that is not a JSON object');
select throws_ok($$select queue.create_handler('{"name": "TapNoKind", "target": "Addition"}')$$,
  '23502', null, 'refuses a handler without a kind: it has no default');
select throws_ok($$select queue.create_handler('{"name": "TapPlain", "kind": "code", "target": "Addition"}')$$,
  '23505', null, 'refuses a name that is already registered');

-- The timeout cap.
select is((select max_timeout_ms from queue.settings), 60000, 'the Free plan cap is the default: 60 s');
select throws_ok($$select queue.create_handler('{"name": "TapTooSlow", "kind": "code", "target": "Addition", "timeout_ms": 90000}')$$,
  '23514', null, 'a handler timeout above the cap is refused');
select lives_ok($$select queue.create_handler('{"name": "TapFits", "kind": "code", "target": "Addition", "timeout_ms": 60000}')$$,
  'a timeout at the cap is accepted');
select throws_ok($$select queue.update_handler('TapFits', '{"timeout_ms": 60001}')$$,
  '23514', null, 'an update past the cap is refused');
update queue.settings set max_timeout_ms = 185000;
select lives_ok($$select queue.update_handler('TapFits', '{"timeout_ms": 180000}')$$,
  'a paid plan raises the cap with one setting');
select * from finish();
rollback;
