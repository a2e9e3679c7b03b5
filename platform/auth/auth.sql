-- LOCAL ONLY. Never deployed, never part of supabase/migrations.
--
-- The tables of Supabase Auth (GoTrue) that the Auth stand-in (server.ts)
-- reads and writes, with GoTrue's names and the columns it uses for email and
-- password: users, their sessions and the sessions' refresh tokens. On hosted
-- Supabase, Auth's own migrations create them (with many more columns, and
-- identities, factors, audit log…), owned by supabase_auth_admin; here the
-- local stack applies this after platform.sql on every start (idempotent).
-- No API role may read them, as on hosted.

-- Passwords are bcrypt hashes made by pgcrypto's crypt(), in `extensions` as on hosted.
create extension if not exists pgcrypto with schema extensions;

create table if not exists auth.users (
  instance_id        uuid,
  id                 uuid primary key,
  aud                varchar(255),
  role               varchar(255),
  email              varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at    timestamptz,
  raw_app_meta_data  jsonb,
  raw_user_meta_data jsonb,
  created_at         timestamptz,
  updated_at         timestamptz,
  is_anonymous       boolean not null default false
);
-- GoTrue looks users up by lower(email) and keeps one user per address.
create unique index if not exists users_email_key on auth.users (lower(email));

create table if not exists auth.sessions (
  id           uuid primary key,
  user_id      uuid not null references auth.users (id) on delete cascade,
  created_at   timestamptz,
  updated_at   timestamptz,
  aal          text,
  refreshed_at timestamp
);

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id          bigserial primary key,
  token       varchar(255) unique,
  user_id     varchar(255),
  revoked     boolean,
  created_at  timestamptz,
  updated_at  timestamptz,
  parent      varchar(255),
  session_id  uuid references auth.sessions (id) on delete cascade
);

revoke all on auth.users, auth.sessions, auth.refresh_tokens from anon, authenticated, service_role;
