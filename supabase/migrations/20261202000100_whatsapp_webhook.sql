-- WhatsApp status webhooks: message statuses merged by precedence, the customer's
-- business-scoped user id, and the look-ups a webhook needs before its tenant is known.

-- The order in which a message's status may move. `failed` sits below `delivered`: with several
-- devices, Meta can report a delivery after a failure, and the delivery is the truth
-- (PROTOCOLS.md §2.3). `played` (voice) counts as `read`.
create function message_status_rank(p_status text) returns integer
language sql immutable parallel safe
set search_path = ''
as $$
    select case p_status
        when 'pending' then 0 when 'sent' then 1 when 'failed' then 2
        when 'delivered' then 3 when 'read' then 4 else 0 end
$$;

-- A WhatsApp user who adopts a username can arrive without a phone: their BSUID (`US.…`) is then
-- the only key (PROTOCOLS.md §2.4). Learnt from the statuses of messages we sent them.
alter table customers add column wa_user_id text;
create index customers_wa_user_id_idx on customers (merchant_id, wa_user_id) where wa_user_id is not null;

-- When this account last received a status webhook: a send that stays unconfirmed while statuses
-- are flowing never reached WhatsApp and can be sent again (see the sender's reconciler).
alter table whatsapp_accounts add column statuses_seen_at timestamptz;

-- A stuck send given up on because its outcome was unknown: a late status webhook can still
-- confirm it as sent.
alter table scheduled_messages add column outcome_unknown boolean not null default false;

grant select (id, merchant_id, phone_number_id, app_secret_enc, verify_token_hash)
    on whatsapp_accounts to revive_lookup;

-- The account a per-account webhook URL names (`/webhooks/whatsapp/{id}`), with its secrets
-- still encrypted.
create function revive_private.webhook_whatsapp_account(p_id uuid)
returns table (merchant_id uuid, phone_number_id text, app_secret_enc bytea, verify_token_hash bytea)
language sql stable security definer
set search_path = ''
as $$
    select a.merchant_id, a.phone_number_id, a.app_secret_enc, a.verify_token_hash
    from public.whatsapp_accounts a where a.id = p_id
$$;

-- The account a change of the platform webhook (`/webhooks/whatsapp`) is routed to, by the
-- `metadata.phone_number_id` Meta puts in every change.
create function revive_private.whatsapp_account_by_phone_number_id(p_phone_number_id text)
returns table (merchant_id uuid, account_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select a.merchant_id, a.id from public.whatsapp_accounts a
    where a.phone_number_id = p_phone_number_id
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.webhook_whatsapp_account(uuid) owner to revive_lookup;
alter function revive_private.whatsapp_account_by_phone_number_id(text) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.webhook_whatsapp_account(uuid) from public;
revoke all on function revive_private.whatsapp_account_by_phone_number_id(text) from public;
grant execute on function revive_private.webhook_whatsapp_account(uuid) to revive_app;
grant execute on function revive_private.whatsapp_account_by_phone_number_id(text) to revive_app;

do $$
begin
    if exists (select from pg_roles where rolname = 'anon') then
        revoke all on all functions in schema revive_private from anon;
    end if;
    if exists (select from pg_roles where rolname = 'authenticated') then
        revoke all on all functions in schema revive_private from authenticated;
    end if;
end
$$;
