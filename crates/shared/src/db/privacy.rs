//! One customer's data: the dashboard's customer views (phones masked), the export a data
//! request is answered with (everything, decrypted), and erasure.
//!
//! Erasure keeps the customer row as a tombstone (orders and analytics still count it) but
//! removes everything that identifies the person: the phone and e-mail ciphertexts and the
//! phone's blind index, name, external id, locale and timezone; every message and conversation;
//! the encrypted raw payloads and contact ciphertexts of the events about them, and the customer
//! part of those events' normalized form. Pending messages are cancelled first. The consent
//! ledger stays (it holds no personal data, and it is the record that consent was withdrawn).
//! Field keys are per merchant, so the ciphertexts are deleted rather than a per-customer key.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::TenantTx;
use crate::crypto::FieldCipher;
use crate::ids::CustomerId;
use crate::phone::mask_e164;
use crate::{Error, Result};

fn phone_context(merchant: crate::ids::MerchantId) -> String {
    format!("customers.phone:{merchant}")
}

fn email_context(merchant: crate::ids::MerchantId) -> String {
    format!("customers.email:{merchant}")
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub id: uuid::Uuid,
    pub name: Option<String>,
    /// `+90 *** *** 12 34`; never the whole number.
    pub phone_masked: Option<String>,
    pub consent_marketing: bool,
    pub consent_utility: bool,
    pub orders_count: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    pub erased: bool,
}

struct Row {
    id: uuid::Uuid,
    name: Option<String>,
    phone_enc: Option<Vec<u8>>,
    consent_marketing: bool,
    consent_utility: bool,
    orders_count: i64,
    last_message_at: Option<DateTime<Utc>>,
    erased: bool,
}

fn summary(tx: &TenantTx, cipher: &FieldCipher, r: Row) -> Result<CustomerSummary> {
    let phone_masked = r
        .phone_enc
        .map(|enc| cipher.decrypt_string(&enc, &phone_context(tx.merchant())).map(|p| mask_e164(&p)))
        .transpose()?;
    Ok(CustomerSummary {
        id: r.id,
        name: r.name,
        phone_masked,
        consent_marketing: r.consent_marketing,
        consent_utility: r.consent_utility,
        orders_count: r.orders_count,
        last_message_at: r.last_message_at,
        erased: r.erased,
    })
}

/// Customers, most recently active first; `name` filters by a part of the name, `id` finds one.
pub async fn list(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    name: Option<&str>,
    id: Option<CustomerId>,
    limit: i64,
) -> Result<Vec<CustomerSummary>> {
    let pattern =
        name.map(|n| format!("%{}%", n.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let rows = sqlx::query_as!(
        Row,
        r#"select c.id, c.name, c.phone_enc, c.consent_marketing, c.consent_utility,
                  (select count(*) from orders o where o.customer_id = c.id) as "orders_count!",
                  (select max(m.created_at) from messages m where m.customer_id = c.id) as last_message_at,
                  c.erased_at is not null as "erased!"
           from customers c
           where ($1::text is null or c.name ilike $1) and ($2::uuid is null or c.id = $2)
           order by greatest(c.updated_at, (select max(m.created_at) from messages m where m.customer_id = c.id)) desc nulls last,
                    c.id
           limit $3"#,
        pattern,
        id.map(|i| i.0),
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(|r| summary(tx, cipher, r)).collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentEntry {
    /// utility, marketing or ai_replies.
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLine {
    pub id: uuid::Uuid,
    pub order_number: Option<String>,
    pub status: String,
    pub total_cents: Option<i64>,
    pub currency: Option<String>,
    pub placed_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageLine {
    pub id: uuid::Uuid,
    pub direction: String,
    pub kind: String,
    pub body: Option<String>,
    pub sent_by: Option<String>,
    pub status: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One customer for the dashboard: the summary, the consent ledger, orders and messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: CustomerSummary,
    pub consent_history: Vec<ConsentEntry>,
    pub orders: Vec<OrderLine>,
    /// The latest 200, oldest first.
    pub messages: Vec<MessageLine>,
}

pub async fn detail(tx: &mut TenantTx, cipher: &FieldCipher, id: CustomerId) -> Result<CustomerDetail> {
    let customer = list(tx, cipher, None, Some(id), 1).await?.pop().ok_or(Error::NotFound)?;
    let consent_history = sqlx::query_as!(
        ConsentEntry,
        r#"select purpose, granted, source, occurred_at as at from customer_consent_events
           where customer_id = $1 order by occurred_at, recorded_at"#,
        id.0
    )
    .fetch_all(tx.conn())
    .await?;
    let orders = sqlx::query_as!(
        OrderLine,
        r#"select id, order_number, status, total_cents, currency, placed_at, delivered_at from orders
           where customer_id = $1 order by coalesce(placed_at, created_at) desc"#,
        id.0
    )
    .fetch_all(tx.conn())
    .await?;
    let messages = sqlx::query_as!(
        MessageLine,
        r#"select id, direction, kind, body, sent_by, status, created_at from (
             select * from messages where customer_id = $1 order by created_at desc, id desc limit 200) m
           order by created_at, id"#,
        id.0
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(CustomerDetail { customer, consent_history, orders, messages })
}

/// Everything Revive holds about one customer, decrypted: the answer to a data request.
pub async fn export(tx: &mut TenantTx, cipher: &FieldCipher, id: CustomerId) -> Result<Value> {
    let merchant = tx.merchant();
    let c = sqlx::query!(
        "select name, phone_enc, email_enc, external_customer_id, locale, timezone, consent_utility,
                consent_marketing, created_at, erased_at
         from customers where id = $1",
        id.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?;
    let phone = c.phone_enc.map(|e| cipher.decrypt_string(&e, &phone_context(merchant))).transpose()?;
    let email = c.email_enc.map(|e| cipher.decrypt_string(&e, &email_context(merchant))).transpose()?;
    let detail = detail(tx, cipher, id).await?;
    let items = sqlx::query!(
        r#"select li.order_id, li.title, li.sku, li.quantity, li.unit_price_cents from order_line_items li
           join orders o on o.id = li.order_id where o.customer_id = $1 order by li.title"#,
        id.0
    )
    .fetch_all(tx.conn())
    .await?;
    let scheduled = sqlx::query!(
        r#"select flow, due_at, status, reason from scheduled_messages where customer_id = $1 order by due_at"#,
        id.0
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(json!({
        "customer": {
            "id": id.0, "name": c.name, "phone": phone, "email": email,
            "external_customer_id": c.external_customer_id, "locale": c.locale, "timezone": c.timezone,
            "consent_utility": c.consent_utility, "consent_marketing": c.consent_marketing,
            "created_at": c.created_at, "erased_at": c.erased_at,
        },
        "consent_history": detail.consent_history,
        "orders": detail.orders,
        "order_items": items.iter().map(|i| json!({"order_id": i.order_id, "title": i.title, "sku": i.sku,
            "quantity": i.quantity, "unit_price_cents": i.unit_price_cents})).collect::<Vec<_>>(),
        "messages": detail.messages,
        "scheduled_messages": scheduled.iter().map(|s| json!({"flow": s.flow, "due_at": s.due_at,
            "status": s.status, "reason": s.reason})).collect::<Vec<_>>(),
    }))
}

/// What an erasure removed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Erased {
    pub erased_at: DateTime<Utc>,
    pub scheduled_cancelled: u64,
    pub messages_deleted: u64,
    pub events_redacted: u64,
}

/// Erases one customer (see the module's comment). Erasing twice is harmless.
pub async fn erase(tx: &mut TenantTx, id: CustomerId, now: DateTime<Utc>, why: &str) -> Result<Erased> {
    let exists = sqlx::query_scalar!("select id from customers where id = $1 for update", id.0)
        .fetch_optional(tx.conn())
        .await?;
    if exists.is_none() {
        return Err(Error::NotFound);
    }
    let scheduled_cancelled = super::scheduled::cancel_for_customer(tx, id, None, why).await?;
    let messages_deleted = sqlx::query!("delete from messages where customer_id = $1", id.0)
        .execute(tx.conn())
        .await?
        .rows_affected();
    sqlx::query!("delete from conversations where customer_id = $1", id.0).execute(tx.conn()).await?;
    let events_redacted = sqlx::query!(
        "update external_events set raw_enc = null, phone_enc = null, email_enc = null,
                normalized = normalized - 'customer'
         where order_id in (select id from orders where customer_id = $1)",
        id.0
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    sqlx::query!(
        "update customers set phone_enc = null, phone_bidx = null, email_enc = null, name = null,
                external_customer_id = null, locale = null, timezone = null,
                consent_marketing = false, consent_utility = false, consent_ai_replies = false,
                erased_at = coalesce(erased_at, $2), updated_at = now()
         where id = $1",
        id.0,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(Erased { erased_at: now, scheduled_cancelled, messages_deleted, events_redacted })
}

/// Removes an event's contact details and raw payload (an erasure request's own event).
pub async fn redact_event(tx: &mut TenantTx, event: uuid::Uuid) -> Result<()> {
    sqlx::query!(
        "update external_events set raw_enc = null, phone_enc = null, email_enc = null,
                normalized = normalized - 'customer'
         where id = $1",
        event
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Merchants with a retention period for message bodies, and its length in days, across
/// merchants (SECURITY DEFINER look-up: ids and numbers only).
pub async fn message_retention(pool: &sqlx::PgPool) -> Result<Vec<(crate::ids::MerchantId, i32)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: crate::ids::MerchantId", days as "days!"
           from revive_private.message_retention()"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.days)).collect())
}

/// Clears the bodies of messages older than `before`, at most `limit` of them (oldest first,
/// so a long backlog is worked off over several calls without one long lock), and the rolling
/// summaries of conversations quiet since then (a summary is written from those bodies).
/// Returns how many message bodies and summaries were cleared. Rows, statuses and verdicts stay:
/// analytics and the delivery trail do not need the text. Every worker process sweeps, so rows
/// another purge holds are skipped, not waited for and cleared twice.
pub async fn purge_message_bodies(
    tx: &mut TenantTx,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<(u64, u64)> {
    let merchant = tx.merchant();
    let bodies = sqlx::query!(
        "update messages set body = null
         where body is not null
           and id in (select id from messages
                      where merchant_id = $1 and body is not null and created_at < $2
                      order by created_at limit $3
                      for update skip locked)",
        merchant.0,
        before,
        limit
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    let summaries = sqlx::query!(
        "update conversations set summary = null
         where merchant_id = $1 and summary is not null and updated_at < $2",
        merchant.0,
        before
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok((bodies, summaries))
}
