-- Revive foundation schema.
--
-- Roles (created outside migrations, see scripts/setup-services.sh and docs/operations.md):
--   revive_owner   owns every object here and runs the migrations;
--   revive_app     the application role: no ownership, no BYPASSRLS;
--   revive_lookup  NOLOGIN, BYPASSRLS; owns only the narrow SECURITY DEFINER look-ups below.
--
-- Every tenant table carries merchant_id and is under ENABLE + FORCE ROW LEVEL SECURITY with a
-- policy on current_setting('app.merchant_id', true). A connection that has not set the tenant
-- sees and writes nothing. References between tenant rows are composite foreign keys on
-- (merchant_id, id): foreign-key checks ignore RLS, so a plain (id) key would let one merchant's
-- row point at (and probe for) another merchant's row.

create extension if not exists vector;

-- The tenant of the current transaction, or null when none is set. `nullif` because a GUC that
-- was set once in a session and then reset reads as '' rather than null.
create function app_current_merchant() returns uuid
language sql stable
as $$ select nullif(current_setting('app.merchant_id', true), '')::uuid $$;

-- merchants ------------------------------------------------------------------------------------

create table merchants (
    id          uuid primary key default gen_random_uuid(),
    name        text not null check (length(name) between 1 and 200),
    timezone    text not null default 'UTC',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table merchant_users (
    id             uuid primary key default gen_random_uuid(),
    merchant_id    uuid not null references merchants (id) on delete cascade,
    email          text not null check (email = lower(email)),
    password_hash  text not null,
    role           text not null check (role in ('owner', 'admin', 'agent', 'viewer')),
    display_name   text,
    created_at     timestamptz not null default now(),
    last_login_at  timestamptz,
    disabled_at    timestamptz,
    unique (merchant_id, id)
);
-- One login per email across Revive: log in finds the user before the tenant is known.
create unique index merchant_users_email_key on merchant_users (email);
create index merchant_users_merchant_idx on merchant_users (merchant_id);

create table sessions (
    id            uuid primary key default gen_random_uuid(),
    merchant_id   uuid not null references merchants (id) on delete cascade,
    user_id       uuid not null,
    token_hash    bytea not null unique,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz not null,
    last_seen_at  timestamptz not null default now(),
    revoked_at    timestamptz,
    foreign key (merchant_id, user_id) references merchant_users (merchant_id, id) on delete cascade
);
create index sessions_user_idx on sessions (user_id);

create table api_keys (
    id            uuid primary key default gen_random_uuid(),
    merchant_id   uuid not null references merchants (id) on delete cascade,
    name          text not null check (length(name) between 1 and 100),
    -- the first characters of the key, shown in lists so a merchant can tell keys apart
    display_prefix text not null,
    key_hash      bytea not null unique,
    scopes        text[] not null default '{}',
    created_by    uuid,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    foreign key (merchant_id, created_by) references merchant_users (merchant_id, id) on delete set null (created_by)
);
create index api_keys_merchant_idx on api_keys (merchant_id);

-- store connections ----------------------------------------------------------------------------

create table integrations (
    id                            uuid primary key default gen_random_uuid(),
    merchant_id                   uuid not null references merchants (id) on delete cascade,
    kind                          text not null check (kind in ('shopify', 'csv', 'api')),
    name                          text not null,
    status                        text not null default 'active' check (status in ('active', 'paused')),
    shop_domain                   text,
    webhook_secret_enc            bytea,
    -- kept during a secret rotation so webhooks signed with either secret verify
    previous_webhook_secret_enc   bytea,
    created_at                    timestamptz not null default now(),
    updated_at                    timestamptz not null default now(),
    check (kind <> 'shopify' or (shop_domain is not null and webhook_secret_enc is not null)),
    unique (merchant_id, id)
);
create unique index integrations_shop_domain_key on integrations (shop_domain) where kind = 'shopify';
create index integrations_merchant_idx on integrations (merchant_id);

create table whatsapp_accounts (
    id                  uuid primary key default gen_random_uuid(),
    merchant_id         uuid not null references merchants (id) on delete cascade,
    mode                text not null default 'sandbox' check (mode in ('sandbox', 'meta')),
    phone_number_id     text not null,
    waba_id             text,
    -- the business's own number, encrypted like every phone number
    display_phone_enc   bytea,
    access_token_enc    bytea,
    app_secret_enc      bytea,
    verify_token_hash   bytea,
    messages_per_second integer not null default 80 check (messages_per_second > 0),
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (merchant_id, id)
);
create unique index whatsapp_accounts_phone_number_id_key on whatsapp_accounts (phone_number_id);
create index whatsapp_accounts_merchant_idx on whatsapp_accounts (merchant_id);

create table external_events (
    id                   uuid primary key default gen_random_uuid(),
    merchant_id          uuid not null references merchants (id) on delete cascade,
    integration_id       uuid,
    source               text not null check (source in ('shopify', 'csv', 'api')),
    topic                text not null,
    event_type           text not null,
    external_id          text not null,
    shopify_webhook_id   text,
    shopify_event_id     text,
    triggered_at         timestamptz,
    occurred_at          timestamptz,
    status               text not null default 'pending'
                         check (status in ('pending', 'queued', 'processed', 'rejected', 'ignored', 'failed')),
    reason               text,
    normalized           jsonb,
    raw_enc              bytea,
    attempts             integer not null default 0,
    received_at          timestamptz not null default now(),
    processed_at         timestamptz,
    unique (merchant_id, source, external_id),
    foreign key (merchant_id, integration_id) references integrations (merchant_id, id) on delete set null (integration_id)
);
create index external_events_status_idx on external_events (merchant_id, status, received_at);

-- customers and orders -------------------------------------------------------------------------

create table customers (
    id                    uuid primary key default gen_random_uuid(),
    merchant_id           uuid not null references merchants (id) on delete cascade,
    phone_enc             bytea,
    -- keyed HMAC of the E.164 number: equality look-up without storing the number
    phone_bidx            bytea,
    external_customer_id  text,
    name                  text,
    email_enc             bytea,
    locale                text,
    timezone              text,
    consent_utility       boolean not null default false,
    consent_marketing     boolean not null default false,
    consent_ai_replies    boolean not null default false,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    erased_at             timestamptz,
    unique (merchant_id, id)
);
create unique index customers_phone_bidx_key on customers (merchant_id, phone_bidx) where phone_bidx is not null;
create index customers_external_idx on customers (merchant_id, external_customer_id);

create table customer_consent_events (
    id           uuid primary key default gen_random_uuid(),
    merchant_id  uuid not null references merchants (id) on delete cascade,
    customer_id  uuid not null,
    purpose      text not null check (purpose in ('utility', 'marketing', 'ai_replies')),
    granted      boolean not null,
    source       text not null,
    occurred_at  timestamptz not null,
    recorded_at  timestamptz not null default now(),
    foreign key (merchant_id, customer_id) references customers (merchant_id, id) on delete cascade
);
create index customer_consent_events_customer_idx on customer_consent_events (customer_id, occurred_at);

create table products (
    id            uuid primary key default gen_random_uuid(),
    merchant_id   uuid not null references merchants (id) on delete cascade,
    external_id   text not null,
    title         text not null,
    description   text,
    url           text,
    price_cents   bigint,
    currency      text,
    tags          text[] not null default '{}',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    unique (merchant_id, external_id),
    unique (merchant_id, id)
);

create table orders (
    id                  uuid primary key default gen_random_uuid(),
    merchant_id         uuid not null references merchants (id) on delete cascade,
    customer_id         uuid,
    external_order_id   text not null,
    order_number        text,
    status              text not null default 'open',
    financial_status    text,
    fulfillment_status  text,
    currency            text,
    total_cents         bigint,
    placed_at           timestamptz,
    fulfilled_at        timestamptz,
    delivered_at        timestamptz,
    cancelled_at        timestamptz,
    refunded_at         timestamptz,
    -- newest source event applied; an older event never undoes a newer state
    last_event_at       timestamptz,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (merchant_id, external_order_id),
    unique (merchant_id, id),
    foreign key (merchant_id, customer_id) references customers (merchant_id, id) on delete set null (customer_id)
);
create index orders_customer_idx on orders (customer_id);

create table order_line_items (
    id                   uuid primary key default gen_random_uuid(),
    merchant_id          uuid not null references merchants (id) on delete cascade,
    order_id             uuid not null,
    product_id           uuid,
    external_product_id  text,
    sku                  text,
    title                text not null,
    quantity             integer not null check (quantity > 0),
    unit_price_cents     bigint,
    foreign key (merchant_id, order_id) references orders (merchant_id, id) on delete cascade,
    foreign key (merchant_id, product_id) references products (merchant_id, id) on delete set null (product_id)
);
create index order_line_items_order_idx on order_line_items (order_id);

-- knowledge ------------------------------------------------------------------------------------

create table knowledge_sources (
    id            uuid primary key default gen_random_uuid(),
    merchant_id   uuid not null references merchants (id) on delete cascade,
    kind          text not null check (kind in ('product', 'faq', 'document')),
    title         text not null,
    product_id    uuid,
    content_hash  bytea,
    status        text not null default 'pending' check (status in ('pending', 'embedding', 'ready', 'failed')),
    error         text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    unique (merchant_id, id),
    foreign key (merchant_id, product_id) references products (merchant_id, id) on delete cascade
);
create index knowledge_sources_merchant_idx on knowledge_sources (merchant_id);

-- 1536 dimensions: OpenAI's text-embedding-3-small without the `dimensions` parameter (which many
-- compatible servers ignore); the built-in hashing embedder produces the same size.
create table knowledge_chunks (
    id               uuid primary key default gen_random_uuid(),
    merchant_id      uuid not null references merchants (id) on delete cascade,
    source_id        uuid not null,
    ordinal          integer not null,
    content          text not null,
    embedding        vector(1536) not null,
    embedding_model  text not null,
    created_at       timestamptz not null default now(),
    foreign key (merchant_id, source_id) references knowledge_sources (merchant_id, id) on delete cascade
);
create index knowledge_chunks_source_idx on knowledge_chunks (source_id);
create index knowledge_chunks_embedding_hnsw on knowledge_chunks
    using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64);

-- retention ------------------------------------------------------------------------------------

create table message_templates (
    id                  uuid primary key default gen_random_uuid(),
    merchant_id         uuid not null references merchants (id) on delete cascade,
    flow                text not null check (flow in ('checkin', 'review', 'replenishment', 'upsell')),
    name                text not null,
    language            text not null default 'en',
    body                text not null,
    meta_template_name  text,
    status              text not null default 'draft' check (status in ('draft', 'approved', 'rejected')),
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (merchant_id, name, language),
    unique (merchant_id, id)
);

create table retention_settings (
    merchant_id             uuid primary key references merchants (id) on delete cascade,
    checkin_offset_hours    integer not null default 72 check (checkin_offset_hours > 0),
    followup_offset_hours   integer not null default 336 check (followup_offset_hours > 0),
    followup_flow           text not null default 'review'
                            check (followup_flow in ('review', 'replenishment', 'upsell')),
    enabled_flows           text[] not null default '{checkin,review}',
    transit_estimate_days   integer not null default 5 check (transit_estimate_days >= 0),
    quiet_hours_start       time not null default '21:00',
    quiet_hours_end         time not null default '09:00',
    frequency_cap_per_week  integer not null default 2 check (frequency_cap_per_week >= 0),
    max_discount_percent    integer check (max_discount_percent between 0 and 100),
    attribution_window_days integer not null default 14 check (attribution_window_days > 0),
    updated_at              timestamptz not null default now()
);

create table scheduled_messages (
    id            uuid primary key default gen_random_uuid(),
    merchant_id   uuid not null references merchants (id) on delete cascade,
    customer_id   uuid not null,
    order_id      uuid not null,
    flow          text not null,
    template_id   uuid,
    due_at        timestamptz not null,
    status        text not null default 'scheduled'
                  check (status in ('scheduled', 'sending', 'sent', 'skipped', 'cancelled', 'failed', 'dead')),
    attempts      integer not null default 0,
    reason        text,
    -- the "why" trail: [{at, event, detail}], appended by every decision the sender makes
    trail         jsonb not null default '[]',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    unique (order_id, flow),
    unique (merchant_id, id),
    foreign key (merchant_id, customer_id) references customers (merchant_id, id) on delete cascade,
    foreign key (merchant_id, order_id) references orders (merchant_id, id) on delete cascade,
    foreign key (merchant_id, template_id) references message_templates (merchant_id, id) on delete set null (template_id)
);
create index scheduled_messages_due_idx on scheduled_messages (status, due_at);

-- conversations --------------------------------------------------------------------------------

create table conversations (
    id                   uuid primary key default gen_random_uuid(),
    merchant_id          uuid not null references merchants (id) on delete cascade,
    customer_id          uuid not null,
    whatsapp_account_id  uuid,
    state                text not null default 'bot' check (state in ('bot', 'human', 'closed')),
    needs_attention      boolean not null default false,
    window_started_at    timestamptz,
    last_inbound_at      timestamptz,
    summary              text,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    unique (merchant_id, id),
    foreign key (merchant_id, customer_id) references customers (merchant_id, id) on delete cascade,
    foreign key (merchant_id, whatsapp_account_id) references whatsapp_accounts (merchant_id, id) on delete set null (whatsapp_account_id)
);
create index conversations_customer_idx on conversations (customer_id);

create table messages (
    id                    uuid primary key default gen_random_uuid(),
    merchant_id           uuid not null references merchants (id) on delete cascade,
    conversation_id       uuid,
    customer_id           uuid not null,
    scheduled_message_id  uuid,
    direction             text not null check (direction in ('inbound', 'outbound')),
    wa_message_id         text,
    kind                  text not null default 'text',
    body                  text,
    status                text check (status in ('pending', 'sent', 'delivered', 'read', 'failed')),
    status_at             timestamptz,
    error_code            text,
    error_reason          text,
    intent                text,
    intent_confidence     real,
    guardrail             jsonb,
    cited_chunk_ids       uuid[] not null default '{}',
    sent_by               text check (sent_by in ('flow', 'bot', 'agent', 'customer')),
    created_at            timestamptz not null default now(),
    foreign key (merchant_id, conversation_id) references conversations (merchant_id, id) on delete cascade,
    foreign key (merchant_id, customer_id) references customers (merchant_id, id) on delete cascade,
    foreign key (merchant_id, scheduled_message_id) references scheduled_messages (merchant_id, id) on delete set null (scheduled_message_id)
);
create unique index messages_wa_message_id_key on messages (merchant_id, wa_message_id) where wa_message_id is not null;
create index messages_conversation_idx on messages (conversation_id, created_at);

-- audit ----------------------------------------------------------------------------------------

create table audit_log (
    id           bigint generated always as identity primary key,
    merchant_id  uuid not null references merchants (id) on delete cascade,
    actor_type   text not null check (actor_type in ('user', 'api_key', 'worker', 'system')),
    actor_id     text,
    action       text not null,
    target_type  text,
    target_id    text,
    details      jsonb not null default '{}',
    at           timestamptz not null default now()
);
create index audit_log_merchant_idx on audit_log (merchant_id, at desc);

-- row-level security ---------------------------------------------------------------------------

alter table merchants enable row level security;
alter table merchants force row level security;
create policy tenant_isolation on merchants
    using (id = app_current_merchant())
    with check (id = app_current_merchant());

do $$
declare
    t text;
begin
    foreach t in array array[
        'merchant_users', 'sessions', 'api_keys', 'integrations', 'whatsapp_accounts',
        'external_events', 'customers', 'customer_consent_events', 'products', 'orders',
        'order_line_items', 'knowledge_sources', 'knowledge_chunks', 'message_templates',
        'retention_settings', 'scheduled_messages', 'conversations', 'messages', 'audit_log'
    ] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format(
            'create policy tenant_isolation on %I using (merchant_id = app_current_merchant()) '
            'with check (merchant_id = app_current_merchant())', t);
    end loop;
end
$$;

-- privileges -----------------------------------------------------------------------------------

grant usage on schema public to revive_app;
grant select, insert, update, delete on all tables in schema public to revive_app;
grant usage, select on all sequences in schema public to revive_app;
-- the migration ledger is the owner's business only (it exists when sqlx's migrator applies this
-- file, not under `supabase db push`)
do $$
begin
    if to_regclass('_sqlx_migrations') is not null then
        revoke all on _sqlx_migrations from revive_app;
    end if;
end
$$;
-- the audit log is append-only for the application
revoke update, delete on audit_log from revive_app;
alter default privileges in schema public grant select, insert, update, delete on tables to revive_app;
alter default privileges in schema public grant usage, select on sequences to revive_app;

-- look-ups before the tenant is known ------------------------------------------------------------
-- Each returns the few columns its caller needs for one exact key, never a list. They live in
-- their own schema, which Supabase's REST layer does not publish, with an empty search_path (every
-- name qualified), and are owned by revive_lookup (BYPASSRLS) so that FORCE ROW LEVEL SECURITY
-- keeps binding the table owner.

create schema revive_private;
revoke all on schema revive_private from public;
grant usage on schema revive_private to revive_app;
-- The owner of a function must be able to create in its schema; revoked again below.
grant usage, create on schema revive_private to revive_lookup;
grant usage on schema public to revive_lookup;
grant select (id, merchant_id, email, password_hash, role, disabled_at) on merchant_users to revive_lookup;
grant select (id, merchant_id, user_id, token_hash, expires_at, revoked_at) on sessions to revive_lookup;
grant select (id, merchant_id, key_hash, scopes, expires_at, revoked_at) on api_keys to revive_lookup;

create function revive_private.auth_user_by_email(p_email text)
returns table (user_id uuid, merchant_id uuid, password_hash text, role text)
language sql stable security definer
set search_path = ''
as $$
    select u.id, u.merchant_id, u.password_hash, u.role
    from public.merchant_users u
    where u.email = pg_catalog.lower(p_email) and u.disabled_at is null
$$;

create function revive_private.auth_session_by_token_hash(p_token_hash bytea)
returns table (session_id uuid, user_id uuid, merchant_id uuid, role text)
language sql stable security definer
set search_path = ''
as $$
    select s.id, s.user_id, s.merchant_id, u.role
    from public.sessions s
    join public.merchant_users u on u.id = s.user_id
    where s.token_hash = p_token_hash
      and s.revoked_at is null
      and s.expires_at > pg_catalog.now()
      and u.disabled_at is null
$$;

create function revive_private.auth_api_key_by_hash(p_key_hash bytea)
returns table (key_id uuid, merchant_id uuid, scopes text[], expires_at timestamptz, revoked_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
    select k.id, k.merchant_id, k.scopes, k.expires_at, k.revoked_at
    from public.api_keys k
    where k.key_hash = p_key_hash
$$;

alter function revive_private.auth_user_by_email(text) owner to revive_lookup;
alter function revive_private.auth_session_by_token_hash(bytea) owner to revive_lookup;
alter function revive_private.auth_api_key_by_hash(bytea) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on all functions in schema revive_private from public;
grant execute on all functions in schema revive_private to revive_app;

-- Supabase grants EXECUTE on new functions to its API roles by default privileges; take it back.
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
