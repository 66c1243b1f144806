-- Orders fulfilled but never reported delivered: after the merchant's transit estimate they are
-- presumed delivered and scheduled from then.
create index orders_awaiting_delivery_idx on orders (fulfilled_at)
    where delivered_at is null and cancelled_at is null and refunded_at is null;

grant select (id, merchant_id, customer_id, fulfilled_at, delivered_at, cancelled_at, refunded_at) on orders to revive_lookup;
grant select (merchant_id, transit_estimate_days) on retention_settings to revive_lookup;
grant select (order_id) on scheduled_messages to revive_lookup;

-- Ids of orders whose transit estimate ran out in the last two days without a delivery event
-- and that have no schedules yet. Ids only, bounded; each is then handled inside its tenant.
create function revive_private.orders_presumed_delivered(p_now timestamptz, p_limit integer)
returns table (merchant_id uuid, order_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select o.merchant_id, o.id
    from public.orders o
    join public.retention_settings r on r.merchant_id = o.merchant_id
    where o.delivered_at is null and o.cancelled_at is null and o.refunded_at is null
      and o.customer_id is not null
      and o.fulfilled_at <= p_now - pg_catalog.make_interval(days => r.transit_estimate_days)
      and o.fulfilled_at > p_now - pg_catalog.make_interval(days => r.transit_estimate_days + 2)
      and not exists (select 1 from public.scheduled_messages s where s.order_id = o.id)
    order by o.fulfilled_at
    limit p_limit
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.orders_presumed_delivered(timestamptz, integer) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.orders_presumed_delivered(timestamptz, integer) from public;
grant execute on function revive_private.orders_presumed_delivered(timestamptz, integer) to revive_app;
