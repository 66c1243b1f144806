-- Ingestion: store events from Shopify webhooks, CSV imports and the events API.
-- Builds on the foundation migration (roles, RLS conventions, look-up schema).

-- A secret rotation keeps the previous webhook secret valid until this time, because Shopify can
-- take up to an hour to start signing with a new one (PROTOCOLS.md §1.2).
alter table integrations add column previous_secret_expires_at timestamptz;
alter table integrations add column last_event_at timestamptz;

create table order_imports (
    id              uuid primary key default gen_random_uuid(),
    merchant_id     uuid not null references merchants (id) on delete cascade,
    integration_id  uuid,
    filename        text,
    status          text not null default 'processing'
                    check (status in ('processing', 'completed', 'failed')),
    bytes           bigint not null default 0,
    rows_total      integer not null default 0,
    accepted        integer not null default 0,
    duplicates      integer not null default 0,
    rejected        integer not null default 0,
    -- the first rejected rows, [{line, reason}]; `rejected` counts them all
    errors          jsonb not null default '[]',
    failure         text,
    created_by      text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    finished_at     timestamptz,
    unique (merchant_id, id),
    foreign key (merchant_id, integration_id) references integrations (merchant_id, id) on delete set null (integration_id)
);
create index order_imports_merchant_idx on order_imports (merchant_id, created_at desc);

alter table order_imports enable row level security;
alter table order_imports force row level security;
create policy tenant_isolation on order_imports
    using (merchant_id = app_current_merchant())
    with check (merchant_id = app_current_merchant());

-- Contact details of an event, encrypted; `normalized` never holds them in plaintext.
alter table external_events add column phone_enc bytea;
alter table external_events add column email_enc bytea;
-- SHA-256 of the normalized event and contact: the same idempotency key with other content is
-- reported instead of silently dropped.
alter table external_events add column content_hash bytea;
alter table external_events add column import_id uuid;
alter table external_events add column enqueued_at timestamptz;
alter table external_events add foreign key (merchant_id, import_id)
    references order_imports (merchant_id, id) on delete set null (import_id);
-- The sweeper's scan: only events still waiting for the queue.
create index external_events_waiting_idx on external_events (received_at)
    where status in ('pending', 'queued');
create index external_events_list_idx on external_events (merchant_id, received_at desc, id desc);

grant select, insert, update, delete on order_imports to revive_app;

-- look-ups before the tenant is known ------------------------------------------------------------

grant select (id, merchant_id, kind, status, shop_domain, webhook_secret_enc,
              previous_webhook_secret_enc, previous_secret_expires_at) on integrations to revive_lookup;
grant select (id, merchant_id, status, received_at, enqueued_at) on external_events to revive_lookup;

-- The integration a webhook is addressed to, with its secrets (still encrypted). The previous
-- secret only while its rotation window is open.
create function revive_private.webhook_integration(p_id uuid)
returns table (merchant_id uuid, kind text, status text, shop_domain text,
               secret_enc bytea, previous_secret_enc bytea)
language sql stable security definer
set search_path = ''
as $$
    select i.merchant_id, i.kind, i.status, i.shop_domain, i.webhook_secret_enc,
           case when i.previous_secret_expires_at > pg_catalog.now()
                then i.previous_webhook_secret_enc end
    from public.integrations i
    where i.id = p_id
$$;

-- Events the queue may not hold: pending ones (Redis was down when they arrived) and queued ones
-- whose job may have been lost with Redis's memory. Ids only; the sweeper re-reads each event
-- inside its tenant.
create function revive_private.events_to_enqueue(p_pending_for interval, p_queued_for interval, p_limit integer)
returns table (merchant_id uuid, event_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select e.merchant_id, e.id
    from public.external_events e
    where (e.status = 'pending' and e.received_at < pg_catalog.now() - p_pending_for)
       or (e.status = 'queued' and e.enqueued_at < pg_catalog.now() - p_queued_for)
    order by e.received_at
    limit p_limit
$$;

-- The owner of a function must be able to create in its schema; revoked again below.
grant create on schema revive_private to revive_lookup;
alter function revive_private.webhook_integration(uuid) owner to revive_lookup;
alter function revive_private.events_to_enqueue(interval, interval, integer) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.webhook_integration(uuid) from public;
revoke all on function revive_private.events_to_enqueue(interval, interval, integer) from public;
grant execute on function revive_private.webhook_integration(uuid) to revive_app;
grant execute on function revive_private.events_to_enqueue(interval, interval, integer) to revive_app;

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
