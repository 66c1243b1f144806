-- The dashboard's last server parts: who took a conversation over, and the purge of message
-- bodies older than a merchant's retention period.

-- Set when an agent takes a conversation over (also after the bot handed it off), cleared on
-- release. An API key taking over leaves the user empty.
alter table conversations add column taken_over_by uuid;
alter table conversations add column taken_over_at timestamptz;
alter table conversations add foreign key (merchant_id, taken_over_by)
    references merchant_users (merchant_id, id) on delete set null (taken_over_by);

-- The purge walks each merchant's oldest bodies first.
create index messages_body_age_idx on messages (merchant_id, created_at) where body is not null;

grant select (merchant_id, message_retention_days) on retention_settings to revive_lookup;

-- Merchants with a retention period for message bodies. Ids and days only.
create function revive_private.message_retention()
returns table (merchant_id uuid, days integer)
language sql stable security definer
set search_path = ''
as $$
    select r.merchant_id, r.message_retention_days from public.retention_settings r
    where r.message_retention_days is not null
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.message_retention() owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.message_retention() from public;
grant execute on function revive_private.message_retention() to revive_app;

-- Webhooks are actors too (a Shopify delivery storing an event, a GDPR request erasing a
-- customer).
alter table audit_log drop constraint audit_log_actor_type_check;
alter table audit_log add constraint audit_log_actor_type_check
    check (actor_type in ('user', 'api_key', 'worker', 'webhook', 'system'));
