-- Registry operations: create, update, delete handlers.
-- Reads (list, get) are plain selects on queue.handlers.

-- queue.create_handler(handler jsonb) -> queue.handlers
-- Registers the handler for an event name. Keys of `p_handler` are the
-- column names; omitted policy columns take their defaults.
-- Raises unique_violation (23505) when the name is already registered and
-- check_violation (23514) when a value is out of range.
create function queue.create_handler(p_handler jsonb)
returns queue.handlers
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.handlers;
begin
  insert into queue.handlers (
    name, kind, target, max_attempts, backoff_base_ms, backoff_factor,
    backoff_max_ms, timeout_ms, enabled
  )
  values (
    p_handler->>'name',
    (p_handler->>'kind')::queue.handler_kind,
    p_handler->>'target',
    coalesce((p_handler->>'max_attempts')::integer, 5),
    coalesce((p_handler->>'backoff_base_ms')::integer, 1000),
    coalesce((p_handler->>'backoff_factor')::numeric, 2),
    coalesce((p_handler->>'backoff_max_ms')::integer, 3600000),
    coalesce((p_handler->>'timeout_ms')::integer, 30000),
    coalesce((p_handler->>'enabled')::boolean, true)
  )
  returning * into v_row;
  return v_row;
end;
$$;

-- queue.update_handler(name text, patch jsonb) -> queue.handlers
-- Changes the given columns of a registered handler; absent keys keep their
-- value. Takes the row lock, so concurrent updates apply one after the other.
-- Raises QU404 when no handler has that name.
create function queue.update_handler(p_name text, p_patch jsonb)
returns queue.handlers
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.handlers;
begin
  update queue.handlers h set
    kind            = coalesce((p_patch->>'kind')::queue.handler_kind, h.kind),
    target          = coalesce(p_patch->>'target', h.target),
    max_attempts    = coalesce((p_patch->>'max_attempts')::integer, h.max_attempts),
    backoff_base_ms = coalesce((p_patch->>'backoff_base_ms')::integer, h.backoff_base_ms),
    backoff_factor  = coalesce((p_patch->>'backoff_factor')::numeric, h.backoff_factor),
    backoff_max_ms  = coalesce((p_patch->>'backoff_max_ms')::integer, h.backoff_max_ms),
    timeout_ms      = coalesce((p_patch->>'timeout_ms')::integer, h.timeout_ms),
    enabled         = coalesce((p_patch->>'enabled')::boolean, h.enabled),
    updated_at      = now()
  where h.name = p_name
  returning h.* into v_row;

  if not found then
    raise exception using errcode = 'QU404', message = format('No handler is registered for event "%s".', p_name);
  end if;
  return v_row;
end;
$$;

-- queue.delete_handler(name text) -> queue.handlers
-- Removes a handler. Its events stay: queued ones wait until a handler for
-- their name is registered again (or are cancelled).
-- Raises QU404 when no handler has that name.
create function queue.delete_handler(p_name text)
returns queue.handlers
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.handlers;
begin
  delete from queue.handlers h where h.name = p_name returning h.* into v_row;
  if not found then
    raise exception using errcode = 'QU404', message = format('No handler is registered for event "%s".', p_name);
  end if;
  return v_row;
end;
$$;
