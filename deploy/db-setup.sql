-- Roles, database and pgvector for Revive: the statements of docs/operations.md ("Database
-- roles"), written for psql so they can run on every start and change nothing the second time
-- (only the two passwords follow what they are given).
--
-- deploy/compose.yaml runs it in its one-shot `db-setup` service as the PostgreSQL superuser:
--   psql -v owner_password=... -v app_password=... -f db-setup.sql
-- Elsewhere, run it the same way as an administrator of the server.
--
--   revive_owner   owns the schema and applies the migrations;
--   revive_app     what the services connect as: owns nothing, no BYPASSRLS, so row-level
--                  security always applies;
--   revive_lookup  no login, BYPASSRLS; owns only the SECURITY DEFINER look-ups that run before
--                  the tenant is known (the foundation migration hands them to it, which is why
--                  revive_owner must be a member).

\set ON_ERROR_STOP on

select format('create role revive_owner login password %L', :'owner_password')
where not exists (select from pg_roles where rolname = 'revive_owner')
\gexec
select format('alter role revive_owner login nosuperuser nobypassrls password %L', :'owner_password')
\gexec

select format('create role revive_app login password %L', :'app_password')
where not exists (select from pg_roles where rolname = 'revive_app')
\gexec
select format('alter role revive_app login nosuperuser nobypassrls nocreatedb nocreaterole password %L',
              :'app_password')
\gexec

select 'create role revive_lookup nologin bypassrls'
where not exists (select from pg_roles where rolname = 'revive_lookup')
\gexec
alter role revive_lookup nologin bypassrls nosuperuser;
-- Granting a membership that exists only raises a notice.
grant revive_lookup to revive_owner;

-- CREATE DATABASE cannot run in a function or a transaction block: \gexec runs it on its own.
select 'create database revive owner revive_owner'
where not exists (select from pg_database where datname = 'revive')
\gexec

\connect revive
-- pgvector is not a trusted extension: the superuser creates it, and the migrations (run as
-- revive_owner) find it present. Revive needs pgvector 0.8 or newer (hnsw.iterative_scan).
create extension if not exists vector;
grant connect on database revive to revive_app;
