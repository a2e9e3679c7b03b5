-- create_handler / update_handler: the handler timeout cap (settings.max_timeout_ms).
begin;
create extension if not exists pgtap with schema extensions;
set search_path = extensions, public;
select plan(5);

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
