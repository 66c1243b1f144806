-- The order worker: consent ledger entries remember the event they came from, so applying an
-- event twice cannot record its consent twice.
alter table customer_consent_events add column event_id uuid;
create unique index customer_consent_events_event_key
    on customer_consent_events (event_id, purpose) where event_id is not null;

-- Look-ups by the store's own customer id (events without a phone, compliance requests).
create index if not exists customers_external_id_idx on customers (merchant_id, external_customer_id)
    where external_customer_id is not null;

-- The order an event was applied to, for the dashboard's event detail.
alter table external_events add column order_id uuid;
alter table external_events add foreign key (merchant_id, order_id)
    references orders (merchant_id, id) on delete set null (order_id);

create index scheduled_messages_order_idx on scheduled_messages (order_id);
create index scheduled_messages_customer_idx on scheduled_messages (customer_id, status);

-- Webhook look-ups only ever concern Shopify integrations; CSV and API integrations' rows are not
-- returned at all.
create or replace function revive_private.webhook_integration(p_id uuid)
returns table (merchant_id uuid, kind text, status text, shop_domain text,
               secret_enc bytea, previous_secret_enc bytea)
language sql stable security definer
set search_path = ''
as $$
    select i.merchant_id, i.kind, i.status, i.shop_domain, i.webhook_secret_enc,
           case when i.previous_secret_expires_at > pg_catalog.now()
                then i.previous_webhook_secret_enc end
    from public.integrations i
    where i.id = p_id and i.kind = 'shopify'
$$;
-- The events_to_enqueue look-up is the one that returns a list (the sweeper serves every
-- tenant): ids only, bounded by its limit, and each event is then read inside its tenant.
comment on function revive_private.events_to_enqueue(interval, interval, integer) is
    'Sweeper: ids of events that may be missing from the queue; ids only, bounded.';
