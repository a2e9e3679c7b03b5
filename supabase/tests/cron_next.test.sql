-- cron_next: the next time a cron expression fires; cron_valid; parse errors.
begin;
\ir helpers/queue_tests.psql
select plan(74);

-- Syntax. 2026-01-01 is a Thursday.
select is(queue.cron_next('* * * * *', '2026-01-01 10:00:00+00'), '2026-01-01 10:01:00+00'::timestamptz,
  '* fires every minute');
select is(queue.cron_next('* * * * *', '2026-01-01 10:00:30.5+00'), '2026-01-01 10:01:00+00'::timestamptz,
  'the result is on second 0 of the next whole minute');
select is(queue.cron_next('15 * * * *', '2026-01-01 10:20+00'), '2026-01-01 11:15+00'::timestamptz,
  'a number fires at that minute, in the next hour once passed');
select is(queue.cron_next('0 9-17 * * *', '2026-01-01 17:30+00'), '2026-01-02 09:00+00'::timestamptz,
  'a range a-b includes both ends and wraps to the next day after its end');
select is(queue.cron_next('0,30 * * * *', '2026-01-01 10:10+00'), '2026-01-01 10:30+00'::timestamptz,
  'a list a,b fires at each item');
select is(queue.cron_next('*/20 * * * *', '2026-01-01 10:41+00'), '2026-01-01 11:00+00'::timestamptz,
  'a step */n counts from the start of the field');
select is(queue.cron_next('10-40/15 * * * *', '2026-01-01 10:26+00'), '2026-01-01 10:40+00'::timestamptz,
  'a stepped range a-b/n fires at a, a+n, ... up to b');
select is(queue.cron_next('10-40/15 * * * *', '2026-01-01 10:40+00'), '2026-01-01 11:10+00'::timestamptz,
  'a stepped range does not fire past b');
select is(queue.cron_next('5/20 * * * *', '2026-01-01 10:30+00'), '2026-01-01 10:45+00'::timestamptz,
  'a/n runs from a to the end of the field');
select is(queue.cron_next('0 0 1,15 * *', '2026-01-02+00'), '2026-01-15+00'::timestamptz,
  'a day of the month fires on that day');
select is(queue.cron_next('0 0 1 jun,DEC *', '2026-07-15+00'), '2026-12-01+00'::timestamptz,
  'month names are accepted in any case');
select is(queue.cron_next('0 0 1 Feb-Apr *', '2026-04-02+00'), '2027-02-01+00'::timestamptz,
  'a range of month names wraps to the next year after its end');
select is(queue.cron_next('0 9 * * Mon-fri', '2026-01-03 12:00+00'), '2026-01-05 09:00+00'::timestamptz,
  'day names are accepted in any case, and a weekday range skips the weekend');
select is(queue.cron_next('0 0 * * 0', '2026-01-05+00'), '2026-01-11+00'::timestamptz,
  'Sunday is day 0');
select is(queue.cron_next('0 0 * * 7', '2026-01-05+00'), '2026-01-11+00'::timestamptz,
  'Sunday is also day 7');
select is(queue.cron_next('0 0 * * 5-7', '2026-01-03 12:00+00'), '2026-01-04+00'::timestamptz,
  'a day-of-week range may end at 7 (Sunday)');
select is((queue._cron_parse('30,0,15-45/15 * * * *')).minutes, '{0,15,30,45}'::integer[],
  'list items may overlap and come in any order');
select is((queue._cron_parse('0 0 * * 0,7,SUN')).weekdays, '{0}'::integer[],
  'Sunday written three ways is one weekday');
select is(queue.cron_next(E'  0   12 * *\t*  ', '2026-01-01+00'), '2026-01-01 12:00+00'::timestamptz,
  'fields may be separated by any run of white space');

-- Macros.
select is(queue.cron_next('@yearly', '2026-03-01+00'), '2027-01-01+00'::timestamptz,
  '@yearly fires at midnight on January 1');
select is(queue.cron_next('@monthly', '2026-03-01+00'), '2026-04-01+00'::timestamptz,
  '@monthly fires at midnight on the 1st');
select is(queue.cron_next('@weekly', '2026-03-01+00'), '2026-03-08+00'::timestamptz,
  '@weekly fires at midnight on Sunday');
select is(queue.cron_next('@daily', '2026-03-01+00'), '2026-03-02+00'::timestamptz,
  '@daily fires at midnight');
select is(array[queue._cron_parse('@annually'), queue._cron_parse('@midnight')],
  array[queue._cron_parse('@yearly'), queue._cron_parse('@daily')],
  '@annually is @yearly, and @midnight is @daily');
select is(queue.cron_next('@hourly', '2026-03-01 10:00+00'), '2026-03-01 11:00+00'::timestamptz,
  '@hourly fires at minute 0');
select is(queue.cron_next('@Daily', '2026-03-01+00'), '2026-03-02+00'::timestamptz,
  'macros are accepted in any case');

-- Day-of-month and day-of-week together (Vixie cron). 2026-03-30 is a Monday.
select is(queue.cron_next('0 0 1 * mon', '2026-03-25+00'), '2026-03-30+00'::timestamptz,
  'with both day fields restricted, a matching weekday fires on its own');
select is(queue.cron_next('0 0 1 * mon', '2026-03-30+00'), '2026-04-01+00'::timestamptz,
  'with both day fields restricted, a matching day of the month fires on its own');
select is(queue.cron_next('0 0 30 2 mon', '2026-01-01+00'), '2026-02-02+00'::timestamptz,
  'an impossible day of the month still fires on the weekdays it is ORed with');
select is(queue.cron_next('0 0 */2 * mon', '2026-03-01+00'), '2026-03-09+00'::timestamptz,
  'a day field starting with * combines with the other day field by AND, as in Vixie cron');
select is(queue.cron_next('0 0 13 * *', '2026-03-14+00'), '2026-04-13+00'::timestamptz,
  'a day of the month with day-of-week * ignores the weekday');

-- Rollover and leap years.
select is(queue.cron_next('0 0 31 * *', '2026-04-01+00'), '2026-05-31+00'::timestamptz,
  'the 31st skips the months that do not have one');
select is(queue.cron_next('0 0 * * *', '2026-12-31 23:59:59+00'), '2027-01-01+00'::timestamptz,
  'the day rolls over into the next year');
select is(queue.cron_next('59 23 31 12 *', '2026-12-31 23:59+00'), '2027-12-31 23:59+00'::timestamptz,
  'the last minute of the year rolls over to the same minute a year later');
select is(queue.cron_next('0 0 29 2 *', '2025-03-01+00'), '2028-02-29+00'::timestamptz,
  'February 29 fires only in leap years');
select is(queue.cron_next('0 0 29 2 *', '2096-03-01+00'), '2104-02-29+00'::timestamptz,
  'February 29 skips 2100, which is not a leap year');
select is(queue.cron_next('0 0 */28 2 1', '2030-03-01+00'), '2038-02-01+00'::timestamptz,
  'a sparse AND of day and weekday is found years ahead');

-- Expressions that never match.
select is(queue.cron_next('0 0 30 2 *', '2026-01-01+00'), null::timestamptz,
  'an expression that can never match returns null');
select is(queue.cron_next('0 0 31 4,6,9,11 *', '2026-01-01+00'), null::timestamptz,
  'the 31st of months that have 30 days never matches');

-- Strictly after.
select is(queue.cron_next('0 12 * * *', '2026-01-01 12:00+00'), '2026-01-02 12:00+00'::timestamptz,
  'a p_after exactly on a matching minute returns the next match, not itself');
select is(queue.cron_next('0 12 * * *', '2026-01-01 11:59:59.999999+00'), '2026-01-01 12:00+00'::timestamptz,
  'a p_after just before a matching minute returns that minute');
select is(queue.cron_next('0 12 * * *', '2026-01-01 12:00:00.5+00'), '2026-01-02 12:00+00'::timestamptz,
  'a p_after inside a matching minute returns the next match');

-- Time zones.
select is(queue.cron_next('0 9 * * *', '2026-01-01 00:00+00', 'Europe/Berlin'), '2026-01-01 08:00+00'::timestamptz,
  'the expression is evaluated in the given time zone');
select is(queue.cron_next('0 0 * * *', '2026-01-01 22:30+00', 'Europe/Berlin'), '2026-01-01 23:00+00'::timestamptz,
  'midnight is local midnight, which in Berlin is the evening before in UTC');
select is(queue.cron_next('0 9 * * *', '2026-01-01 00:00+00'), '2026-01-01 09:00+00'::timestamptz,
  'the time zone defaults to UTC');

-- Daylight saving. America/New_York: 2026-03-08 02:00 EST jumps to 03:00 EDT
-- (07:00 UTC); 2026-11-01 02:00 EDT falls back to 01:00 EST (06:00 UTC).
select is(queue.cron_next('0 2 * * *', '2026-03-07 12:00-05', 'America/New_York'), '2026-03-08 03:00-04'::timestamptz,
  'a local time skipped by the spring-forward gap is moved forward to the end of the gap');
select is(queue.cron_next('30 2 * * *', '2026-03-07 12:00-05', 'America/New_York'), '2026-03-08 03:00-04'::timestamptz,
  'any time inside the gap fires at its end, not as many minutes after it');
select is(queue.cron_next('0 2 * * *', '2026-03-08 03:00-04', 'America/New_York'), '2026-03-09 02:00-04'::timestamptz,
  'after the moved-forward run the next run is at the usual local time');
select is(
  array[queue.cron_next('0 * * * *', '2026-03-08 01:00-05', 'America/New_York'),
        queue.cron_next('0 * * * *', '2026-03-08 03:00-04', 'America/New_York')],
  array['2026-03-08 03:00-04', '2026-03-08 04:00-04']::timestamptz[],
  'an hourly schedule fires once at the end of the gap, not twice');
select is(queue.cron_next('15 2 * * *', '2026-10-03 12:00+00', 'Australia/Lord_Howe'), '2026-10-04 02:30+11'::timestamptz,
  'the end of a 30-minute gap is found to the minute');
select is(queue.cron_next('30 1 * * *', '2026-11-01 00:00-04', 'America/New_York'), '2026-11-01 01:30-04'::timestamptz,
  'a local time repeated by the fall-back overlap fires at its first occurrence');
select is(queue.cron_next('30 1 * * *', '2026-11-01 01:30-04', 'America/New_York'), '2026-11-02 01:30-05'::timestamptz,
  'a repeated local time does not fire again at its second occurrence');
select is(queue.cron_next('0 * * * *', '2026-11-01 01:00-04', 'America/New_York'), '2026-11-01 02:00-05'::timestamptz,
  'an hourly schedule pauses for the repeated hour');
select is(queue.cron_next('*/30 * * * *', '2026-11-01 01:10-05', 'America/New_York'), '2026-11-01 02:00-05'::timestamptz,
  'from inside the repeated hour, times that already fired are not repeated');
select throws_ok($$select queue.cron_next('0 0 * * *', now(), 'Mars/Olympus_Mons')$$, '22023',
  'time zone "Mars/Olympus_Mons" not recognized',
  'an unknown time zone is rejected');

-- Nulls and infinity.
select is(queue.cron_next('* * * * *', null), null::timestamptz, 'a null p_after returns null');
select is(queue.cron_next(null, now()), null::timestamptz, 'a null expression returns null');
select is(queue.cron_next('* * * * *', 'infinity'), null::timestamptz, 'an infinite p_after returns null');

-- cron_valid.
select is(
  array[queue.cron_valid('*/5 9-17 * jan-mar mon-fri'), queue.cron_valid('@hourly'), queue.cron_valid('0 0 30 2 *')],
  array[true, true, true],
  'cron_valid accepts valid expressions, including ones that never match');
select is(
  array[queue.cron_valid('61 * * * *'), queue.cron_valid('* * * *'), queue.cron_valid('@reboot'), queue.cron_valid(''), queue.cron_valid(null)],
  array[false, false, false, false, false],
  'cron_valid returns false for invalid, empty and null expressions without raising');

-- Errors name the expression and what to fix.
select throws_ok($$select queue.cron_next('61 * * * *', now())$$, '22023',
  'invalid cron expression "61 * * * *": minute 61 is out of range 0-59.',
  'a minute above 59 is rejected');
select throws_ok($$select queue.cron_next('0 24 * * *', now())$$, '22023',
  'invalid cron expression "0 24 * * *": hour 24 is out of range 0-23.',
  'an hour above 23 is rejected');
select throws_ok($$select queue.cron_next('0 0 0 * *', now())$$, '22023',
  'invalid cron expression "0 0 0 * *": day-of-month 0 is out of range 1-31.',
  'day of the month 0 is rejected');
select throws_ok($$select queue.cron_next('0 0 1 13 *', now())$$, '22023',
  'invalid cron expression "0 0 1 13 *": month 13 is out of range 1-12.',
  'month 13 is rejected');
select throws_ok($$select queue.cron_next('0 0 * * 8', now())$$, '22023',
  'invalid cron expression "0 0 * * 8": day-of-week 8 is out of range 0-7.',
  'day of the week 8 is rejected');
select throws_ok($$select queue.cron_next('0 0 * *', now())$$, '22023',
  'invalid cron expression "0 0 * *": expected 5 fields (minute hour day-of-month month day-of-week) but found 4.',
  'an expression without exactly five fields is rejected');
select throws_ok($$select queue.cron_next('@reboot', now())$$, '22023',
  'invalid cron expression "@reboot": unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly.',
  'an unknown macro is rejected with the list of known ones');
select throws_ok($$select queue.cron_next('*/0 * * * *', now())$$, '22023',
  'invalid cron expression "*/0 * * * *": minute step "0" must be a whole number from 1 to 59.',
  'a step of 0 is rejected');
select throws_ok($$select queue.cron_next('0 22-2 * * *', now())$$, '22023',
  'invalid cron expression "0 22-2 * * *": hour range 22-2 is backwards; write it as 22-23,0-2.',
  'a backwards range is rejected with the list that was meant');
select throws_ok($$select queue.cron_next('0 0 * * fri-sun', now())$$, '22023',
  'invalid cron expression "0 0 * * fri-sun": day-of-week range fri-sun is backwards; write it as 5-7.',
  'a backwards range of day names suggests Sunday as 7');
select throws_ok($$select queue.cron_next('0 0 * foo *', now())$$, '22023',
  'invalid cron expression "0 0 * foo *": month "foo" is not a number or a month name (JAN-DEC).',
  'an unknown month name is rejected');
select throws_ok($$select queue.cron_next('mon 0 * * *', now())$$, '22023',
  'invalid cron expression "mon 0 * * *": minute "mon" is not a number.',
  'names are accepted only in the month and day-of-week fields');
select throws_ok($$select queue.cron_next('1,,2 * * * *', now())$$, '22023',
  'invalid cron expression "1,,2 * * * *": minute has an empty list item; separate values with single commas.',
  'an empty list item is rejected');
select throws_ok($$select queue.cron_next('1-2-3 * * * *', now())$$, '22023',
  'invalid cron expression "1-2-3 * * * *": minute "1-2-3" is not a value, a range a-b or a step */n or a-b/n.',
  'a malformed item is rejected');

select * from finish();
rollback;
