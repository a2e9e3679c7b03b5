-- Cron schedules: parse a standard 5-field cron expression, and compute the
-- next time it fires.
--
-- Syntax (Vixie cron, as pg_cron accepts it): minute hour day-of-month month
-- day-of-week, each field `*`, a number, a range `a-b`, a step `*/n`, `a-b/n`
-- or `a/n` (= a-max/n, as cronie reads it), or a comma-separated list of
-- those. Months may be named JAN-DEC and days SUN-SAT, in any case; Sunday is
-- 0 or 7. The macros @yearly, @annually, @monthly, @weekly, @daily, @midnight
-- and @hourly stand for their usual expressions. No seconds field, no `?`,
-- `L`, `W` or `#`.
--
-- Day matching (Vixie cron): when both day fields are restricted, a day
-- matches if EITHER matches (`0 0 13 * FRI` = every 13th and every Friday);
-- otherwise both must. As in Vixie cron and pg_cron, a field counts as
-- unrestricted when it starts with `*`, so `*/2` in either day field makes
-- the two combine with AND.
--
-- Time zones: a schedule matches local wall-clock times in the given zone,
-- and each local time fires at most once.
--   * A local time that does not exist (the spring-forward gap) is moved
--     forward, not skipped: it fires at the first instant after the gap.
--     `0 2 * * *` in America/New_York fires at 03:00 EDT on the day clocks
--     go from 02:00 to 03:00, so a daily job still runs that day; several
--     times inside one gap fire once, together.
--   * A local time that occurs twice (the fall-back overlap) fires at its
--     first occurrence only: `30 1 * * *` runs once on that day. Interval
--     schedules therefore pause for the repeated hour (`0 * * * *` goes from
--     01:00 EDT to 02:00 EST); use UTC (the default) where that matters.

-- The parsed fields of a cron expression: the values each field allows,
-- ascending and without duplicates.
create type queue._cron_fields as (
  minutes integer[],      -- 0-59
  hours integer[],        -- 0-23
  days integer[],         -- day of month, 1-31
  months integer[],       -- 1-12
  weekdays integer[],     -- 0-6, Sunday = 0 (7 is folded into 0)
  days_star boolean,      -- the day-of-month field starts with '*'
  weekdays_star boolean   -- the day-of-week field starts with '*'
);

-- queue._cron_parse(expr text) -> queue._cron_fields
-- Parses a cron expression (syntax above) into the values of each field.
-- Pure: takes no locks, reads nothing. Returns null for a null expression.
-- Raises 22023 for anything invalid, naming the expression and what is wrong
-- with it, e.g. `invalid cron expression "61 * * * *": minute 61 is out of
-- range 0-59`. An expression that is valid but can never match (`0 0 30 2 *`)
-- is not an error here: cron_next returns null for it.
create function queue._cron_parse(p_expr text)
returns queue._cron_fields
language plpgsql immutable strict
set search_path = ''
as $$
declare
  c_names constant text[] := array['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  c_lo constant integer[] := array[0, 0, 1, 1, 0];
  c_hi constant integer[] := array[59, 23, 31, 12, 7];
  c_months constant text[] := array['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN',
                                    'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  c_weekdays constant text[] := array['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  v_prefix text := format('invalid cron expression "%s": ', p_expr);
  v_src text := btrim(regexp_replace(p_expr, '\s+', ' ', 'g'));
  v_fields text[];
  v_result queue._cron_fields;
  v_name text;
  v_lo integer;
  v_hi integer;
  v_items text[];
  v_values integer[];
  v_item text;
  v_base text;
  v_step_text text;
  v_step integer;
  v_parts text[];
  v_token text;
  v_nums integer[];
  v_num integer;
  v_a integer;
  v_b integer;
begin
  if left(v_src, 1) = '@' then
    v_src := case lower(v_src)
      when '@yearly' then '0 0 1 1 *'
      when '@annually' then '0 0 1 1 *'
      when '@monthly' then '0 0 1 * *'
      when '@weekly' then '0 0 * * 0'
      when '@daily' then '0 0 * * *'
      when '@midnight' then '0 0 * * *'
      when '@hourly' then '0 * * * *'
    end;
    if v_src is null then
      raise exception using errcode = '22023', message = v_prefix
        || 'unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly.';
    end if;
  end if;

  v_fields := case when v_src = '' then '{}'::text[] else string_to_array(v_src, ' ') end;
  if cardinality(v_fields) <> 5 then
    raise exception using errcode = '22023', message = v_prefix
      || format('expected 5 fields (minute hour day-of-month month day-of-week) but found %s.',
                cardinality(v_fields));
  end if;

  for i in 1..5 loop
    v_name := c_names[i];
    v_lo := c_lo[i];
    v_hi := c_hi[i];
    v_items := string_to_array(v_fields[i], ',');
    v_values := '{}';

    -- A bare `*`, the most common field, is spelled out: cheaper than a loop.
    if v_fields[i] = '*' then
      v_values := case i
        when 1 then '{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                      20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
                      40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}'::integer[]
        when 2 then '{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}'::integer[]
        when 3 then '{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}'::integer[]
        when 4 then '{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}'::integer[]
        else '{0, 1, 2, 3, 4, 5, 6}'::integer[]
      end;
      v_items := '{}';
    end if;

    foreach v_item in array v_items loop
      if v_item = '' then
        raise exception using errcode = '22023', message = v_prefix
          || format('%s has an empty list item; separate values with single commas.', v_name);
      end if;

      v_base := split_part(v_item, '/', 1);
      v_step := 1;
      if strpos(v_item, '/') > 0 then
        v_step_text := substr(v_item, strpos(v_item, '/') + 1);
        if v_step_text !~ '^[0-9]{1,3}$' or v_step_text::integer not between 1 and v_hi then
          raise exception using errcode = '22023', message = v_prefix
            || format('%s step "%s" must be a whole number from 1 to %s.', v_name, v_step_text, v_hi);
        end if;
        v_step := v_step_text::integer;
      end if;

      if v_base = '*' then
        v_a := v_lo;
        v_b := v_hi;
      else
        v_parts := string_to_array(v_base, '-');
        if cardinality(v_parts) > 2 or '' = any(v_parts) then
          raise exception using errcode = '22023', message = v_prefix
            || format('%s "%s" is not a value, a range a-b or a step */n or a-b/n.', v_name, v_item);
        end if;

        v_nums := '{}';
        foreach v_token in array v_parts loop
          if v_token ~ '^[0-9]+$' then
            -- Compare as text first: a long digit string must not overflow the cast.
            if length(ltrim(v_token, '0')) > 2 or v_token::integer not between v_lo and v_hi then
              raise exception using errcode = '22023', message = v_prefix
                || format('%s %s is out of range %s-%s.', v_name, v_token, v_lo, v_hi);
            end if;
            v_num := v_token::integer;
          elsif i = 4 and upper(v_token) = any(c_months) then
            v_num := array_position(c_months, upper(v_token));
          elsif i = 5 and upper(v_token) = any(c_weekdays) then
            v_num := array_position(c_weekdays, upper(v_token)) - 1;
          else
            raise exception using errcode = '22023', message = v_prefix
              || format('%s "%s" is not a number%s.', v_name, v_token,
              case i when 4 then ' or a month name (JAN-DEC)' when 5 then ' or a day name (SUN-SAT)' else '' end);
          end if;
          v_nums := v_nums || v_num;
        end loop;

        v_a := v_nums[1];
        -- `a/n` runs from a to the field's maximum; a lone `a` is just a.
        v_b := coalesce(v_nums[2], case when strpos(v_item, '/') > 0 then v_hi else v_a end);
        if v_a > v_b then
          raise exception using errcode = '22023', message = v_prefix || format(
            '%s range %s is backwards; write it as %s.', v_name, v_base,
            case when i = 5 and v_b = 0 then format('%s-7', v_a)
                 else format('%s-%s,%s-%s', v_a, case when i = 5 then 6 else v_hi end, v_lo, v_b) end);
        end if;
      end if;

      for v in v_a..v_b by v_step loop
        v_values := v_values || case when i = 5 then v % 7 else v end;  -- Sunday is 0 or 7
      end loop;
    end loop;

    -- One item yields ascending values, except a day-of-week range ending
    -- at 7; a list may overlap and come in any order.
    if cardinality(v_items) > 1 or (i = 5 and 0 = any(v_values)) then
      v_values := array(select distinct v from unnest(v_values) v order by v);
    end if;

    case i
      when 1 then v_result.minutes := v_values;
      when 2 then v_result.hours := v_values;
      when 3 then v_result.days := v_values; v_result.days_star := left(v_fields[i], 1) = '*';
      when 4 then v_result.months := v_values;
      when 5 then v_result.weekdays := v_values; v_result.weekdays_star := left(v_fields[i], 1) = '*';
    end case;
  end loop;

  return v_result;
end;
$$;

-- queue.cron_valid(expr text) -> boolean
-- Whether `p_expr` is a cron expression cron_next accepts. Never raises; a
-- null expression is not valid. A valid expression may still never match
-- (`0 0 30 2 *`). Pure: takes no locks.
create function queue.cron_valid(p_expr text)
returns boolean
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_expr is null then
    return false;
  end if;
  perform queue._cron_parse(p_expr);
  return true;
exception
  when invalid_parameter_value then
    return false;
end;
$$;

-- queue.cron_next(expr text, after timestamptz, timezone text) -> timestamptz
-- The first time strictly after `p_after` at which `p_expr` fires, evaluated
-- in `p_timezone` (Default: 'UTC'); always at second 0. Daylight-saving
-- rules are in the header of this file. Returns null when the expression can
-- never match (`0 0 30 2 *`), when `p_after` is infinite, or when any
-- argument is null.
--
-- Cost: walks the allowed months, then the candidate days of each, then the
-- allowed hours and minutes, never minute by minute: February 29
-- (`0 0 29 2 *`, up to 8 years away) is a few dozen steps.
-- Stable, not immutable: the answer depends on the time zone database.
-- Takes no locks. Raises 22023 for an invalid expression (see _cron_parse)
-- or an unknown time zone.
create function queue.cron_next(p_expr text, p_after timestamptz, p_timezone text default 'UTC')
returns timestamptz
language plpgsql stable strict
set search_path = ''
as $$
declare
  v_f queue._cron_fields := queue._cron_parse(p_expr);
  v_start timestamp;
  v_sy integer;
  v_smo integer;
  v_sd integer;
  v_sh integer;
  v_smi integer;
  v_either_day boolean := not (v_f.days_star or v_f.weekdays_star);
  v_max_day integer;
  -- The days of a month worth looking at: with AND, only the allowed days
  -- of the month; with OR, any day may be an allowed weekday.
  v_candidate_days integer[] := case
    when v_either_day then '{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                             17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}'::integer[]
    else v_f.days
  end;
  v_d integer;
  v_first_month boolean;
  v_first_day boolean;
  v_first_hour boolean;
  v_days_in_month integer;
  v_dow_first integer;
  v_dow integer;
  v_mo integer;
  v_h integer;
  v_mi integer;
  v_wall timestamp;
  v_at timestamptz;
  v_earlier timestamptz;
  v_lo timestamptz;
  v_hi timestamptz;
  v_mid timestamptz;
begin
  if isfinite(p_after) is not true then
    return null;
  end if;

  -- With AND day matching, a day of the month that no allowed month has
  -- never matches (`0 0 30 2 *`); with OR, any weekday eventually does.
  if not v_either_day then
    v_max_day := case
      when v_f.months && array[1, 3, 5, 7, 8, 10, 12] then 31
      when v_f.months && array[4, 6, 9, 11] then 30
      else 29
    end;
    if v_f.days[1] > v_max_day then
      return null;
    end if;
  end if;

  v_start := date_trunc('minute', p_after at time zone p_timezone) + interval '1 minute';
  v_sy := extract(year from v_start);
  v_smo := extract(month from v_start);
  v_sd := extract(day from v_start);
  v_sh := extract(hour from v_start);
  v_smi := extract(minute from v_start);

  -- The Gregorian calendar repeats every 400 years, so a matchable
  -- expression matches within 401 calendar years of any start.
  for v_y in v_sy..least(v_sy + 400, 294275) loop
    foreach v_mo in array v_f.months loop
      continue when v_y = v_sy and v_mo < v_smo;
      v_first_month := v_y = v_sy and v_mo = v_smo;
      v_days_in_month := case
        when v_mo = 2 then case when (v_y % 4 = 0 and v_y % 100 <> 0) or v_y % 400 = 0 then 29 else 28 end
        when v_mo in (4, 6, 9, 11) then 30
        else 31
      end;
      v_dow_first := extract(dow from make_date(v_y, v_mo, 1));

      foreach v_d in array v_candidate_days loop
        continue when v_first_month and v_d < v_sd;
        exit when v_d > v_days_in_month;
        v_dow := (v_dow_first + v_d - 1) % 7;
        if v_either_day then
          continue when not (v_d = any(v_f.days) or v_dow = any(v_f.weekdays));
        else
          continue when not v_dow = any(v_f.weekdays);
        end if;
        v_first_day := v_first_month and v_d = v_sd;

        foreach v_h in array v_f.hours loop
          continue when v_first_day and v_h < v_sh;
          v_first_hour := v_first_day and v_h = v_sh;

          foreach v_mi in array v_f.minutes loop
            continue when v_first_hour and v_mi < v_smi;
            v_wall := make_timestamp(v_y, v_mo, v_d, v_h, v_mi, 0);
            -- For a nonexistent local time Postgres applies the offset in
            -- force before the gap; for a repeated one, the later offset.
            v_at := v_wall at time zone p_timezone;

            if (v_at at time zone p_timezone) <> v_wall then
              -- In the gap: fire at its end, the first instant whose local
              -- time is past v_wall. It lies in (v_at - gap length, v_at];
              -- bisect to the minute.
              v_hi := v_at;
              v_lo := v_at - ((v_at at time zone p_timezone) - v_wall);
              while v_hi - v_lo > interval '1 minute' loop
                v_mid := v_lo + date_trunc('minute', (v_hi - v_lo) / 2);
                if (v_mid at time zone p_timezone) > v_wall then
                  v_hi := v_mid;
                else
                  v_lo := v_mid;
                end if;
              end loop;
              -- Later than p_after: p_after's own local time precedes the gap.
              return v_hi;
            end if;

            -- In an overlap, the first occurrence is v_wall read with the
            -- offset of a day earlier; it fires only there.
            v_earlier := (v_wall - ((v_at - interval '1 day') at time zone p_timezone
                                    - ((v_at - interval '1 day') at time zone 'UTC'))) at time zone 'UTC';
            if v_earlier < v_at and (v_earlier at time zone p_timezone) = v_wall then
              v_at := v_earlier;
            end if;
            -- False only when p_after is in the second pass of an overlap
            -- and v_wall already fired in the first.
            if v_at > p_after then
              return v_at;
            end if;
          end loop;
        end loop;
      end loop;
    end loop;
  end loop;

  return null;
end;
$$;
