//! Orders and their line items, applied monotonically: a field only moves forward. Lifecycle
//! timestamps (`fulfilled_at`, `delivered_at`, `cancelled_at`, `refunded_at`) are set once and
//! never cleared; mutable facts (payment state, total) are only overwritten by an event at least as
//! new as the last one applied, so a late, older delivery never undoes a newer state.

use chrono::{DateTime, Utc};

use super::TenantTx;
use crate::ids::CustomerId;
use crate::normalize::{LineItem, OrderFacts};
use crate::{Error, Result};

/// The order as the worker needs it after a change.
#[derive(Debug, Clone)]
pub struct OrderState {
    pub id: uuid::Uuid,
    pub customer_id: Option<CustomerId>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
}

impl OrderState {
    /// Cancelled or refunded: nothing more should be sent about it.
    pub fn is_closed(&self) -> bool {
        self.cancelled_at.is_some() || self.refunded_at.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    Fulfilled,
    Delivered,
    Cancelled,
    Refunded,
}

/// Creates or updates an order from an event's facts; `at` is the event's time.
pub async fn upsert(
    tx: &mut TenantTx,
    facts: &OrderFacts,
    customer: Option<CustomerId>,
    at: DateTime<Utc>,
) -> Result<OrderState> {
    let merchant = tx.merchant();
    let financial = facts.financial_status.and_then(|f| serde_json::to_value(f).ok());
    let financial = financial.as_ref().and_then(|v| v.as_str());
    let state = sqlx::query_as!(
        OrderState,
        r#"insert into orders (merchant_id, customer_id, external_order_id, order_number, currency,
                               total_cents, financial_status, placed_at, cancelled_at, last_event_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           on conflict (merchant_id, external_order_id) do update set
             customer_id = coalesce(orders.customer_id, excluded.customer_id),
             order_number = coalesce(orders.order_number, excluded.order_number),
             currency = coalesce(orders.currency, excluded.currency),
             placed_at = coalesce(orders.placed_at, excluded.placed_at),
             cancelled_at = coalesce(orders.cancelled_at, excluded.cancelled_at),
             total_cents = case when excluded.last_event_at >= coalesce(orders.last_event_at, '-infinity')
                                then coalesce(excluded.total_cents, orders.total_cents) else orders.total_cents end,
             financial_status = case when excluded.last_event_at >= coalesce(orders.last_event_at, '-infinity')
                                then coalesce(excluded.financial_status, orders.financial_status) else orders.financial_status end,
             last_event_at = greatest(orders.last_event_at, excluded.last_event_at),
             updated_at = now()
           returning id, customer_id as "customer_id: CustomerId", fulfilled_at, delivered_at, cancelled_at, refunded_at"#,
        merchant.0,
        customer.map(|c| c.0),
        facts.external_id,
        facts.number,
        facts.currency,
        facts.total_minor,
        financial,
        facts.placed_at,
        facts.cancelled_at,
        at
    )
    .fetch_one(tx.conn())
    .await?;
    if !facts.items.is_empty() {
        add_items_once(tx, state.id, &facts.items).await?;
    }
    Ok(state)
}

/// Line items are written by the first event that lists them; later events' copies are the
/// same order and are not applied again.
async fn add_items_once(tx: &mut TenantTx, order: uuid::Uuid, items: &[LineItem]) -> Result<()> {
    let merchant = tx.merchant();
    let titles: Vec<String> = items.iter().map(|i| i.title.clone()).collect();
    let skus: Vec<Option<String>> = items.iter().map(|i| i.sku.clone()).collect();
    let products: Vec<Option<String>> = items.iter().map(|i| i.external_product_id.clone()).collect();
    let quantities: Vec<i32> = items.iter().map(|i| i.quantity.max(1)).collect();
    let prices: Vec<Option<i64>> = items.iter().map(|i| i.unit_price_minor).collect();
    sqlx::query!(
        r#"insert into order_line_items (merchant_id, order_id, title, sku, external_product_id, quantity, unit_price_cents)
           select $1, $2, * from unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[])
           where not exists (select 1 from order_line_items where order_id = $2)"#,
        merchant.0,
        order,
        &titles,
        &skus as &[Option<String>],
        &products as &[Option<String>],
        &quantities,
        &prices as &[Option<i64>]
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records a lifecycle step; the first time it happened is kept.
pub async fn mark(
    tx: &mut TenantTx,
    order: uuid::Uuid,
    step: Milestone,
    at: DateTime<Utc>,
) -> Result<OrderState> {
    let (f, d, c, r) = match step {
        Milestone::Fulfilled => (Some(at), None, None, None),
        Milestone::Delivered => (None, Some(at), None, None),
        Milestone::Cancelled => (None, None, Some(at), None),
        Milestone::Refunded => (None, None, None, Some(at)),
    };
    let state = sqlx::query_as!(
        OrderState,
        r#"update orders set
             fulfilled_at = coalesce(fulfilled_at, $2, $3),
             delivered_at = coalesce(delivered_at, $3),
             cancelled_at = coalesce(cancelled_at, $4),
             refunded_at = coalesce(refunded_at, $5),
             updated_at = now()
           where id = $1
           returning id, customer_id as "customer_id: CustomerId", fulfilled_at, delivered_at, cancelled_at, refunded_at"#,
        order,
        f,
        d,
        c,
        r
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?;
    let status = if state.refunded_at.is_some() {
        "refunded"
    } else if state.cancelled_at.is_some() {
        "cancelled"
    } else if state.delivered_at.is_some() {
        "delivered"
    } else if state.fulfilled_at.is_some() {
        "fulfilled"
    } else {
        "open"
    };
    sqlx::query!("update orders set status = $2 where id = $1 and status <> $2", order, status)
        .execute(tx.conn())
        .await?;
    Ok(state)
}

/// Orders whose transit estimate ran out without a delivery event (SECURITY DEFINER look-up).
pub async fn presumed_delivered(
    pool: &sqlx::PgPool,
    now: DateTime<Utc>,
    limit: i32,
) -> Result<Vec<(crate::ids::MerchantId, uuid::Uuid)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: crate::ids::MerchantId", order_id as "order_id!"
           from revive_private.orders_presumed_delivered($1, $2)"#,
        now,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.order_id)).collect())
}

/// The order's current state.
pub async fn state(tx: &mut TenantTx, order: uuid::Uuid) -> Result<OrderState> {
    sqlx::query_as!(
        OrderState,
        r#"select id, customer_id as "customer_id: CustomerId", fulfilled_at, delivered_at, cancelled_at, refunded_at
           from orders where id = $1"#,
        order
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)
}

/// Finds an order by the store's id.
pub async fn find_by_external(tx: &mut TenantTx, external_id: &str) -> Result<Option<uuid::Uuid>> {
    let id = sqlx::query_scalar!("select id from orders where external_order_id = $1", external_id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(id)
}
