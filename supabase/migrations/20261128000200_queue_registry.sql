-- Registry operations: create, update, delete handlers.
-- Reads (list, get) are plain selects on queue.handlers.

-- queue._check_timeout(handler queue.handlers) -> queue.handlers
-- Refuses a handler whose timeout_ms exceeds settings.max_timeout_ms (the
-- plan's cap: an attempt must fit in a dispatch worker's wall clock).
-- Raises 23514 like the table's own range check.
create function queue._check_timeout(p_handler queue.handlers)
returns queue.handlers
language plpgsql stable
set search_path = ''
as $$
declare
  v_max integer := (select s.max_timeout_ms from queue.settings s);
begin
  if p_handler.timeout_ms > v_max then
    raise exception using errcode = '23514',
      message = format('timeout_ms must be at most %s (queue.settings.max_timeout_ms): an attempt has to end inside the dispatch worker that runs it.', v_max),
      constraint = 'handlers_timeout_range';
  end if;
  return p_handler;
end;
$$;

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
    backoff_max_ms, backoff_jitter, concurrency_limit, rate_limit, rate_period_ms,
    timeout_ms, enabled
  )
  values (
    p_handler->>'name',
    (p_handler->>'kind')::queue.handler_kind,
    p_handler->>'target',
    coalesce((p_handler->>'max_attempts')::integer, 5),
    coalesce((p_handler->>'backoff_base_ms')::integer, 1000),
    coalesce((p_handler->>'backoff_factor')::numeric, 2),
    coalesce((p_handler->>'backoff_max_ms')::integer, 3600000),
    coalesce((p_handler->>'backoff_jitter')::numeric, 0.2),
    (p_handler->>'concurrency_limit')::integer,
    (p_handler->>'rate_limit')::integer,
    (p_handler->>'rate_period_ms')::integer,
    coalesce((p_handler->>'timeout_ms')::integer, 30000),
    coalesce((p_handler->>'enabled')::boolean, true)
  )
  returning * into v_row;
  return queue._check_timeout(v_row);
end;
$$;

-- queue.update_handler(name text, patch jsonb) -> queue.handlers
-- Changes the given columns of a registered handler. Takes the row lock, so concurrent updates apply one after the other.
-- Raises QU404 when no handler has that name, 23502/23514 for values the
-- constraints refuse (e.g. a null kind).
create function queue.update_handler(p_name text, p_patch jsonb)
returns queue.handlers
language plpgsql
set search_path = ''
as $$
declare
  v_row queue.handlers;
begin
  -- A key present in the patch sets the column, even to null (e.g. removing
  -- a concurrency limit); an absent key keeps it.
  update queue.handlers h set
    kind              = case when p_patch ? 'kind' then (p_patch->>'kind')::queue.handler_kind else h.kind end,
    target            = case when p_patch ? 'target' then p_patch->>'target' else h.target end,
    max_attempts      = case when p_patch ? 'max_attempts' then (p_patch->>'max_attempts')::integer else h.max_attempts end,
    backoff_base_ms   = case when p_patch ? 'backoff_base_ms' then (p_patch->>'backoff_base_ms')::integer else h.backoff_base_ms end,
    backoff_factor    = case when p_patch ? 'backoff_factor' then (p_patch->>'backoff_factor')::numeric else h.backoff_factor end,
    backoff_max_ms    = case when p_patch ? 'backoff_max_ms' then (p_patch->>'backoff_max_ms')::integer else h.backoff_max_ms end,
    backoff_jitter    = case when p_patch ? 'backoff_jitter' then (p_patch->>'backoff_jitter')::numeric else h.backoff_jitter end,
    concurrency_limit = case when p_patch ? 'concurrency_limit' then (p_patch->>'concurrency_limit')::integer else h.concurrency_limit end,
    rate_limit        = case when p_patch ? 'rate_limit' then (p_patch->>'rate_limit')::integer else h.rate_limit end,
    rate_period_ms    = case when p_patch ? 'rate_period_ms' then (p_patch->>'rate_period_ms')::integer else h.rate_period_ms end,
    timeout_ms        = case when p_patch ? 'timeout_ms' then (p_patch->>'timeout_ms')::integer else h.timeout_ms end,
    enabled           = case when p_patch ? 'enabled' then (p_patch->>'enabled')::boolean else h.enabled end,
    updated_at        = now()
  where h.name = p_name
  returning h.* into v_row;

  if not found then
    raise exception using errcode = 'QU404', message = format('No handler is registered for event "%s".', p_name);
  end if;
  return queue._check_timeout(v_row);
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
