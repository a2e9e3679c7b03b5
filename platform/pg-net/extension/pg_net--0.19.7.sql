-- pg_net 0.19.7, LOCAL-ONLY STAND-IN. NEVER DEPLOYED.
--
-- Hosted Supabase runs the real pg_net (supabase/pg_net, a C extension with a
-- libcurl background worker). There is no Debian package for it and no Docker
-- on the dev machine, so the local stack installs this pure-SQL copy instead.
--
-- The SQL API below is copied from supabase/pg_net's sql/pg_net.sql at the
-- 0.19.7 release (same schema, tables, columns, types, function names,
-- argument names/order/defaults and return types). What differs:
--   * The C functions are re-implemented in SQL/plpgsql:
--       net._urlencode_string, net._encode_url_with_params_array (mimic curl's
--       escaping and URL building), net.wake, net.worker_restart,
--       net.wait_until_running, and net.check_worker_is_up (which also
--       recognises the Node worker by its application_name).
--   * The background worker is platform/pg-net/net-worker.ts, a client
--     connection. It LISTENs on channel `pg_net_request`; the statement
--     trigger net._notify_worker (not in the real extension) NOTIFYs it.
--     NOTIFY is delivered only when the enqueuing transaction commits, which
--     is exactly the real worker's "only sees committed requests" behaviour.
--   * Grants: the real extension grants to PUBLIC; we do the same and also
--     repeat what Supabase's platform event trigger (grant_pg_net_access)
--     adds, for whichever of those roles exist in this cluster.

create schema if not exists net;

create domain net.http_method as text
check (
  value ilike 'get'
  or value ilike 'post'
  or value ilike 'delete'
);

-- Store pending requests. The background worker reads from here
-- API: Private
create unlogged table net.http_request_queue(
    id bigserial,
    method net.http_method not null,
    url text not null,
    headers jsonb,
    body bytea,
    timeout_milliseconds int not null
);

-- Local stand-in only: the real worker is a background process; ours is a
-- client whose connections carry application_name 'pg_net <version> worker'.
create or replace function net.check_worker_is_up() returns void as $$
begin
  if not exists (
    select pid from pg_stat_activity
    where backend_type ilike '%pg_net%' or application_name ilike 'pg_net % worker'
  ) then
    raise exception using
      message = 'the pg_net background worker is not up'
    , detail  = 'the pg_net background worker is down due to an internal error and cannot process requests'
    , hint    = 'make sure that you didn''t modify any of pg_net internal tables';
  end if;
end
$$ language plpgsql;
comment on function net.check_worker_is_up() is 'raises an exception if the pg_net background worker is not up, otherwise it doesn''t return anything';

-- Associates a response with a request
-- API: Private
create unlogged table net._http_response(
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out bool,
    error_msg text,
    created timestamptz not null default now()
);

create index on net._http_response (created);

-- Blocks until an http_request is complete
-- API: Private
create or replace function net._await_response(
    request_id bigint
)
    returns bool
    language plpgsql
as $$
declare
    rec net._http_response;
begin
    while rec is null loop
        select *
        into rec
        from net._http_response
        where id = request_id;

        if rec is null then
            -- Wait 50 ms before checking again
            perform pg_sleep(0.05);
        end if;
    end loop;

    return true;
end;
$$;


-- url encode a string
-- API: Private
-- Local stand-in for the C function (curl_escape): every byte of the UTF-8
-- text except ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX (upper case).
create or replace function net._urlencode_string(string varchar)
    -- url encoded string
    returns text
    language sql
    immutable
as $$
    select case when string is null then null else (
        select coalesce(string_agg(
            case
                when b between 48 and 57 or b between 65 and 90 or b between 97 and 122
                  or b in (45, 46, 95, 126) then chr(b)
                else '%' || upper(lpad(to_hex(b), 2, '0'))
            end, '' order by i), '')
        from convert_to(string, 'UTF8') as bytes(v),
             generate_series(0, octet_length(bytes.v) - 1) as i,
             get_byte(bytes.v, i) as b
    ) end
$$;

-- API: Private
-- Local stand-in for the C function (curl_url_set + CURLU_APPENDQUERY +
-- curl_url_get): validates the URL the way curl rejects it, appends each
-- param to the query with '&', and normalises an empty path to '/'.
create or replace function net._encode_url_with_params_array(url text, params_array text[])
    -- url encoded string
    returns text
    language plpgsql
    immutable
as $$
declare
    m text[];
    scheme text;
    hostport text;
    port text;
    query text;
    param text;
begin
    if url is null or params_array is null then
        return null;
    end if;

    if url !~ '^[A-Za-z][A-Za-z0-9+.-]*:' then
        raise exception 'invalid URL "%": Bad scheme', url;
    end if;
    -- 1 scheme, 2 authority, 3 path, 4 query (with '?'), 5 fragment (with '#')
    m := regexp_match(url, '^([A-Za-z][A-Za-z0-9+.-]*):(?://([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$');
    scheme := lower(m[1]);
    if scheme not in ('http', 'https', 'ftp', 'ftps', 'file', 'ws', 'wss', 'dict', 'gopher',
                      'gophers', 'imap', 'imaps', 'ldap', 'ldaps', 'mqtt', 'pop3', 'pop3s',
                      'rtsp', 'scp', 'sftp', 'smb', 'smbs', 'smtp', 'smtps', 'telnet', 'tftp') then
        raise exception 'invalid URL "%": Unsupported URL scheme', url;
    end if;
    if url ~ '[\s\x01-\x1f\x7f]' then
        raise exception 'invalid URL "%": Malformed input to a URL function', url;
    end if;
    hostport := coalesce(regexp_replace(m[2], '^.*@', ''), '');
    if scheme <> 'file' and hostport in ('', ':') then
        raise exception 'invalid URL "%": No host part in the URL', url;
    end if;
    port := substring(hostport from ':([^\]:]*)$');
    if (case when port ~ '^[0-9]{1,5}$' then port::int > 65535 else port <> '' end) then
        raise exception 'invalid URL "%": Port number was not a decimal number between 0 and 65535', url;
    end if;

    query := substr(m[4], 2);
    foreach param in array params_array loop
        continue when param is null;
        if query is null or query = '' or right(query, 1) = '&' then
            query := coalesce(query, '') || param;
        else
            query := query || '&' || param;
        end if;
    end loop;

    return scheme || ':' || coalesce('//' || m[2], '') || coalesce(nullif(m[3], ''), '/')
        || coalesce('?' || query, '') || coalesce(m[5], '');
end;
$$;

-- Local stand-in: the real one reloads the config and restarts the C worker.
-- Here it only wakes the Node worker; returns true like the real one.
create or replace function net.worker_restart()
  returns bool
  language plpgsql
as $$
begin
  perform pg_notify('pg_net_request', 'restart');
  return true;
end;
$$;

-- Local stand-in: waits until a worker connection (see check_worker_is_up) exists.
create or replace function net.wait_until_running()
  returns void
  language plpgsql
as $$
begin
  loop
    perform pg_stat_clear_snapshot(); -- pg_stat_activity is cached per transaction
    exit when exists (
      select 1 from pg_stat_activity
      where backend_type ilike '%pg_net%' or application_name ilike 'pg_net % worker'
    );
    perform pg_sleep(0.05);
  end loop;
end;
$$;
comment on function net.wait_until_running() is 'waits until the worker is running';

-- Local stand-in: like the real one, the wake reaches the worker only at
-- commit (NOTIFY semantics), and repeated wakes in one transaction collapse.
create or replace function net.wake()
  returns void
  language plpgsql
as $$
begin
  perform pg_notify('pg_net_request', '');
end;
$$;

-- Local stand-in only (not in the real extension): wake the worker on commit
-- whenever requests are enqueued, however they were inserted.
create or replace function net._notify_worker()
  returns trigger
  language plpgsql
as $$
begin
  perform pg_notify('pg_net_request', '');
  return null;
end;
$$;

create trigger _notify_worker
  after insert on net.http_request_queue
  for each statement execute function net._notify_worker();

-- Interface to make an async request
-- API: Public
create or replace function net.http_get(
    -- url for the request
    url text,
    -- key/value pairs to be url encoded and appended to the `url`
    params jsonb default '{}'::jsonb,
    -- key/values to be included in request headers
    headers jsonb default '{}'::jsonb,
    -- the maximum number of milliseconds the request may take before being cancelled
    timeout_milliseconds int default 5000
)
    -- request_id reference
    returns bigint
    language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
begin
    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    -- Add to the request queue
    insert into net.http_request_queue(method, url, headers, timeout_milliseconds)
    values (
        'GET',
        net._encode_url_with_params_array(url, params_array),
        headers,
        timeout_milliseconds
    )
    returning id
    into request_id;

    perform net.wake();

    return request_id;
end
$$;

-- Interface to make an async request
-- API: Public
create or replace function net.http_post(
    -- url for the request
    url text,
    -- body of the POST request
    body jsonb default '{}'::jsonb,
    -- key/value pairs to be url encoded and appended to the `url`
    params jsonb default '{}'::jsonb,
    -- key/values to be included in request headers
    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
    -- the maximum number of milliseconds the request may take before being cancelled
    timeout_milliseconds int DEFAULT 5000
)
    -- request_id reference
    returns bigint
    language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
    content_type text;
begin

    -- Exctract the content_type from headers
    select
        header_value into content_type
    from
        jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
    where
        lower(header_name) = 'content-type'
    limit
        1;

    -- If the user provided new headers and omitted the content type
    -- add it back in automatically
    if content_type is null then
        select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
    end if;

    -- Confirm that the content-type is set as "application/json"
    if content_type <> 'application/json' then
        raise exception 'Content-Type header must be "application/json"';
    end if;

    select
        coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into
        params_array
    from
        jsonb_each_text(params);

    -- Add to the request queue
    insert into net.http_request_queue(method, url, headers, body, timeout_milliseconds)
    values (
        'POST',
        net._encode_url_with_params_array(url, params_array),
        headers,
        convert_to(body::text, 'UTF8'),
        timeout_milliseconds
    )
    returning id
    into request_id;

    perform net.wake();

    return request_id;
end
$$;

-- Interface to make an async request
-- API: Public
create or replace function net.http_delete(
    -- url for the request
    url text,
    -- key/value pairs to be url encoded and appended to the `url`
    params jsonb default '{}'::jsonb,
    -- key/values to be included in request headers
    headers jsonb default '{}'::jsonb,
    -- the maximum number of milliseconds the request may take before being cancelled
    timeout_milliseconds int default 5000,
    -- optional body of the request
    body jsonb default NULL
)
    -- request_id reference
    returns bigint
    language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
begin
    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    -- Add to the request queue
    insert into net.http_request_queue(method, url, headers, body, timeout_milliseconds)
    values (
        'DELETE',
        net._encode_url_with_params_array(url, params_array),
        headers,
        convert_to(body::text, 'UTF8'),
        timeout_milliseconds
    )
    returning id
    into request_id;

    perform net.wake();

    return request_id;
end
$$;

-- Lifecycle states of a request (all protocols)
-- API: Public
create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');


-- A response from an HTTP server
-- API: Public
create type net.http_response AS (
    status_code integer,
    headers jsonb,
    body text
);

-- State wrapper around responses
-- API: Public
create type net.http_response_result as (
    status net.request_status,
    message text,
    response net.http_response
);


-- Collect respones of an http request
-- API: Private
create or replace function net._http_collect_response(
    -- request_id reference
    request_id bigint,
    -- when `true`, return immediately. when `false` wait for the request to complete before returning
    async bool default true
)
    -- http response composite wrapped in a result type
    returns net.http_response_result
    language plpgsql
as $$
declare
    rec net._http_response;
    req_exists boolean;
begin

    if not async then
        perform net._await_response(request_id);
    end if;

    select *
    into rec
    from net._http_response
    where id = request_id;

    if rec is null or rec.error_msg is not null then
        -- The request is either still processing or the request_id provided does not exist

        -- TODO: request in progress is indistinguishable from request that doesn't exist

        -- No request matching request_id found
        return (
            'ERROR',
            coalesce(rec.error_msg, 'request matching request_id not found'),
            null
        )::net.http_response_result;

    end if;

    -- Return a valid, populated http_response_result
    return (
        'SUCCESS',
        'ok',
        (
            rec.status_code,
            rec.headers,
            rec.content
        )::net.http_response
    )::net.http_response_result;
end;
$$;

-- Copied verbatim, including the real extension's behaviour: the `select`
-- without a destination makes this deprecated function raise an error.
create or replace function net.http_collect_response(
    -- request_id reference
    request_id bigint,
    -- when `true`, return immediately. when `false` wait for the request to complete before returning
    async bool default true
)
    -- http response composite wrapped in a result type
    returns net.http_response_result
    language plpgsql
as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  select net._http_collect_response(request_id, async);
end;
$$;

grant usage on schema net to PUBLIC;
grant all on all sequences in schema net to PUBLIC;
grant all on all tables in schema net to PUBLIC;

-- What Supabase's platform event trigger extensions.grant_pg_net_access()
-- adds on `create extension pg_net` (for pg_net >= 0.12 it is only schema
-- usage). Guarded so the extension also installs on a plain cluster.
do $$
declare
    r text;
begin
    foreach r in array array['supabase_functions_admin', 'postgres', 'anon', 'authenticated', 'service_role'] loop
        if exists (select 1 from pg_roles where rolname = r) then
            execute format('grant usage on schema net to %I', r);
        end if;
    end loop;
end
$$;
