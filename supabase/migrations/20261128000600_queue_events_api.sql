-- Reading and steering events: list, get, cancel, retry.
-- `p_owner` scopes every call to one user's events; null means all events
-- (the service role).

-- queue.list_events(...) -> setof queue.events
-- Newest first, keyset-paginated: pass the last id of a page as `p_before_id`
-- to get the next one. Filters are ANDed; null means "any".
create function queue.list_events(
  p_state queue.event_state default null,
  p_name text default null,
  p_created_after timestamptz default null,
  p_created_before timestamptz default null,
  p_before_id bigint default null,
  p_limit integer default 50,
  p_owner uuid default null
)
returns setof queue.events
language sql stable
set search_path = ''
as $$
  select e.*
    from queue.events e
   where (p_state is null or e.state = p_state)
     and (p_name is null or e.name = p_name)
     and (p_created_after is null or e.created_at >= p_created_after)
     and (p_created_before is null or e.created_at < p_created_before)
     and (p_before_id is null or e.id < p_before_id)
     and (p_owner is null or e.owner = p_owner)
   order by e.id desc
   limit least(greatest(coalesce(p_limit, 50), 1), 500)
$$;

-- queue.get_event(id bigint, owner uuid) -> jsonb
-- The event with its runs (oldest first) under "runs"; null when there is no
-- such event (or it belongs to another owner).
create function queue.get_event(p_id bigint, p_owner uuid default null)
returns jsonb
language sql stable
set search_path = ''
as $$
  select to_jsonb(e) || jsonb_build_object('runs', coalesce((
           select jsonb_agg(to_jsonb(r) order by r.id) from queue.runs r where r.event_id = e.id
         ), '[]'::jsonb))
    from queue.events e
   where e.id = p_id and (p_owner is null or e.owner = p_owner)
$$;

-- queue.cancel(id bigint, owner uuid) -> queue.events
-- Cancels an event that has not started: scheduled or queued -> cancelled.
-- Raises QU404 if there is no such event, QU409 if it is processing or
-- already final (a processing attempt cannot be taken back).
create function queue.cancel(p_id bigint, p_owner uuid default null)
returns queue.events
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.events;
begin
  select e.* into v_row from queue.events e
   where e.id = p_id and (p_owner is null or e.owner = p_owner)
     for update;
  if not found then
    raise exception using errcode = 'QU404', message = format('Event %s does not exist.', p_id);
  end if;
  if v_row.state not in ('scheduled', 'queued') then
    raise exception using errcode = 'QU409',
      message = format('Event %s is %s; only scheduled or queued events can be cancelled.', p_id, v_row.state);
  end if;

  update queue.events e
     set state = 'cancelled', finished_at = now(), updated_at = now()
   where e.id = p_id
  returning e.* into v_row;
  return v_row;
end;
$$;

-- queue.retry(id bigint, owner uuid) -> queue.events
-- Runs a dead or cancelled event again, now, with a fresh attempt budget
-- (attempts reset to 0; earlier runs are kept). Raises QU404 if there is no
-- such event, QU409 if it is not dead or cancelled.
create function queue.retry(p_id bigint, p_owner uuid default null)
returns queue.events
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.events;
begin
  select e.* into v_row from queue.events e
   where e.id = p_id and (p_owner is null or e.owner = p_owner)
     for update;
  if not found then
    raise exception using errcode = 'QU404', message = format('Event %s does not exist.', p_id);
  end if;
  if v_row.state not in ('dead', 'cancelled') then
    raise exception using errcode = 'QU409',
      message = format('Event %s is %s; only dead or cancelled events can be retried.', p_id, v_row.state);
  end if;

  update queue.events e
     set state = 'queued', attempts = 0, run_at = now(), finished_at = null,
         updated_at = now()
   where e.id = p_id
  returning e.* into v_row;
  return v_row;
end;
$$;

-- Execute grants for every function above: service_role only (the default
-- privileges set in the schema migration cover functions created after it;
-- this line makes the intent explicit and covers older objects).
revoke execute on all functions in schema queue from public, anon, authenticated;
grant execute on all functions in schema queue to service_role;
