-- Recurring events: a schedule enqueues an event with given props at every
-- occurrence of a cron expression. The tick enqueues due occurrences.

create table queue.schedules (
  name             text primary key
                   constraint schedules_name_format check (name ~ '^[A-Za-z][A-Za-z0-9_.:-]{0,99}$'),
  event_name       text not null
                   constraint schedules_event_name_length check (char_length(event_name) between 1 and 100),
  cron             text not null
                   constraint schedules_cron_length check (char_length(cron) between 1 and 200),
  timezone         text not null default 'UTC',
  props            jsonb not null default '{}'
                   constraint schedules_props_object check (jsonb_typeof(props) = 'object'),
  priority         smallint not null default 0
                   constraint schedules_priority_range check (priority between -100 and 100),
  next_run_at      timestamptz not null,
  last_run_at      timestamptz,
  last_event_id    bigint,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);
comment on table queue.schedules is 'Recurring events: cron expression -> event name and props.';
create index schedules_next_run_idx on queue.schedules (next_run_at);

alter table queue.schedules enable row level security;
create policy schedules_service_role on queue.schedules
  for all to service_role using (true) with check (true);
grant all on queue.schedules to service_role;

-- queue.create_schedule(schedule jsonb) -> queue.schedules
-- Registers a recurring event: {name, event_name, cron, timezone?, props?,
-- priority?}. The first occurrence is the first match of `cron` after now.
-- Raises 22023 for an invalid cron expression or time zone, QU422 when the
-- event name has no enabled handler, 23505 when the name is taken.
create function queue.create_schedule(p_schedule jsonb)
returns queue.schedules
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.schedules;
  v_tz text := coalesce(p_schedule->>'timezone', 'UTC');
  v_next timestamptz;
begin
  if not exists (select 1 from pg_timezone_names where name = v_tz) then
    raise exception using errcode = '22023', message = format('Unknown time zone "%s" (use an IANA name such as Europe/Paris).', v_tz);
  end if;
  if not exists (select 1 from queue.handlers h where h.name = p_schedule->>'event_name' and h.enabled) then
    raise exception using errcode = 'QU422',
      message = format('No enabled handler is registered for event "%s".', p_schedule->>'event_name');
  end if;
  v_next := queue.cron_next(p_schedule->>'cron', now(), v_tz);
  if v_next is null then
    raise exception using errcode = '22023', message = format('The cron expression "%s" never matches.', p_schedule->>'cron');
  end if;

  insert into queue.schedules (name, event_name, cron, timezone, props, priority, next_run_at)
  values (
    p_schedule->>'name',
    p_schedule->>'event_name',
    p_schedule->>'cron',
    v_tz,
    coalesce(p_schedule->'props', '{}'::jsonb),
    coalesce((p_schedule->>'priority')::smallint, 0::smallint),
    v_next
  )
  returning * into v_row;
  return v_row;
end;
$$;

-- queue.delete_schedule(name text) -> queue.schedules
-- Removes a schedule; events it already enqueued stay. Raises QU404.
create function queue.delete_schedule(p_name text)
returns queue.schedules
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.schedules;
begin
  delete from queue.schedules s where s.name = p_name returning s.* into v_row;
  if not found then
    raise exception using errcode = 'QU404', message = format('No schedule is named "%s".', p_name);
  end if;
  return v_row;
end;
$$;

-- queue.enqueue_due_schedules() -> integer
-- Enqueues the due occurrence of every schedule whose next_run_at has come
-- and moves next_run_at to the next match after now. Returns how many events
-- it enqueued.
--
-- Exactly once, even with several ticks racing: each schedule row is taken
-- FOR UPDATE SKIP LOCKED (a racing tick skips it, and after the first commits
-- its next_run_at is in the future), and the event's idempotency key is
-- 'schedule:<name>:<occurrence>', so even a replay writes nothing. The
-- occurrence is written in UTC as YYYY-MM-DDTHH:MI:SSZ, always 20
-- characters: _enqueued_by (the `schedule` filter of GET /events and the
-- bulk verbs) reads the key by that form.
-- After downtime only one catch-up occurrence is enqueued (the earliest
-- missed one); the others are skipped rather than fired in a burst.
-- An occurrence whose handler is gone or disabled is skipped with a warning.
create function queue.enqueue_due_schedules()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_schedule queue.schedules;
  v_event_id bigint;
  v_count integer := 0;
begin
  for v_schedule in
    select s.* from queue.schedules s
     where s.next_run_at <= now()
     order by s.next_run_at
     limit 1000
       for update skip locked
  loop
    v_event_id := null;
    begin
      select e.id into v_event_id
        from queue.enqueue_many(jsonb_build_array(jsonb_build_object(
          'name', v_schedule.event_name,
          'props', v_schedule.props,
          'priority', v_schedule.priority,
          'run_at', v_schedule.next_run_at,
          'idempotency_key', format('schedule:%s:%s', v_schedule.name,
                                    to_char(v_schedule.next_run_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        ))) e;
      v_count := v_count + 1;
    exception when sqlstate 'QU422' then
      raise warning 'queue: schedule "%" skipped its % occurrence: %', v_schedule.name, v_schedule.next_run_at, sqlerrm;
    end;

    update queue.schedules s
       set last_run_at = v_schedule.next_run_at,
           last_event_id = coalesce(v_event_id, s.last_event_id),
           next_run_at = queue.cron_next(s.cron, greatest(s.next_run_at, now()), s.timezone),
           updated_at = now()
     where s.name = v_schedule.name;
  end loop;
  return v_count;
end;
$$;
