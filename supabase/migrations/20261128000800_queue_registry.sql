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

-- queue._handler_fields() -> setof text
-- The fields a handler's JSON may carry: the columns of queue.handlers but
-- created_at and updated_at, which the queue stamps. Read from the catalog,
-- so the table is the one list of a handler's fields that create_handler
-- and update_handler both use. Takes no locks, raises nothing.
create function queue._handler_fields()
returns setof text
language sql stable
set search_path = ''
as $$
  select a.attname::text
    from pg_attribute a
   where a.attrelid = 'queue.handlers'::regclass and a.attnum > 0 and not a.attisdropped
     and a.attname not in ('created_at', 'updated_at')
$$;

-- queue.create_handler(handler jsonb) -> queue.handlers
-- Registers the handler for an event name. Keys of `p_handler` are the
-- handler's columns, but for created_at and updated_at, which the queue
-- stamps. Only the keys given are inserted (a null value counts as not
-- given), so every other column takes the table's column default: those are
-- the one place a handler's defaults are written.
-- Raises 22023 when `p_handler` is not a JSON object or names a field a
-- handler does not have, unique_violation (23505) when the name is already
-- registered, not_null_violation (23502) when name, kind or target is
-- missing, and check_violation (23514) when a value is out of range.
create function queue.create_handler(p_handler jsonb)
returns queue.handlers
language plpgsql
set search_path = ''
as $$
declare
  v_given jsonb := jsonb_strip_nulls(p_handler);
  v_unknown text;
  v_columns text;
  v_row queue.handlers;
begin
  if jsonb_typeof(p_handler) is distinct from 'object' then
    raise exception using errcode = '22023', message = 'A handler must be a JSON object.';
  end if;

  select string_agg(format('"%s"', k), ', ' order by k) into v_unknown
    from jsonb_object_keys(p_handler) k
   where k not in (select queue._handler_fields());
  if v_unknown is not null then
    raise exception using errcode = '22023', message = format('A handler has no field %s.', v_unknown);
  end if;

  -- With no key at all, name alone is inserted, as null: the not-null
  -- violation then names the first missing field.
  select string_agg(quote_ident(k), ', ') into v_columns from jsonb_object_keys(v_given) k;
  execute format(
    'insert into queue.handlers (%1$s) select %1$s from jsonb_populate_record(null::queue.handlers, $1) returning *',
    coalesce(v_columns, 'name'))
    using v_given into v_row;
  return queue._check_timeout(v_row);
end;
$$;

-- queue.update_handler(name text, patch jsonb) -> queue.handlers
-- Changes the given columns of a registered handler: a key present in
-- `p_patch` sets its column, even to null (e.g. removing a concurrency
-- limit); an absent key keeps it. Keys that are not a handler's fields, and
-- name (the handler's identity), are ignored. Values are read as
-- create_handler reads them (jsonb_populate_record).
-- Takes the row lock, so concurrent updates apply one after the other.
-- Raises QU404 when no handler has that name, 23502/23514 for values the
-- constraints refuse (e.g. a null kind).
create function queue.update_handler(p_name text, p_patch jsonb)
returns queue.handlers
language plpgsql
set search_path = ''
as $$
declare
  v_given jsonb;
  v_columns text;
  v_count integer;
  v_row queue.handlers;
begin
  select jsonb_object_agg(f.key, f.value), string_agg(format('%1$I = p.%1$I', f.key), ', ')
    into v_given, v_columns
    from jsonb_each(p_patch) f
   where f.key <> 'name' and f.key in (select queue._handler_fields());
  execute format(
    'update queue.handlers h set %s updated_at = now()
       from jsonb_populate_record(null::queue.handlers, $1) p
      where h.name = $2
     returning h.*',
    coalesce(v_columns || ', ', ''))
    using v_given, p_name into v_row;
  get diagnostics v_count = row_count;

  if v_count = 0 then
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
