//! `scheduled_messages`: the durable record of every retention message, one per (order, flow).
//! Each decision about a message is appended to its `trail`, so "why was this (not) sent?" always
//! has an answer.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::TenantTx;
use crate::Result;
use crate::ids::CustomerId;

/// The retention flows. `checkin` is the T+3 message; the others are the T+14 choice.
pub const FLOWS: &[&str] = &["checkin", "review", "replenishment", "upsell"];
/// Flows that are marketing (need marketing consent), as opposed to the order-related check-in.
pub const MARKETING_FLOWS: &[&str] = &["review", "replenishment", "upsell"];

/// Writes the schedule for one flow of an order, unless it exists. Returns whether it was new.
pub async fn schedule(
    tx: &mut TenantTx,
    customer: CustomerId,
    order: uuid::Uuid,
    flow: &str,
    due_at: DateTime<Utc>,
    why: &str,
    held_out: bool,
) -> Result<Option<uuid::Uuid>> {
    let merchant = tx.merchant();
    let mut trail = vec![json!({"at": Utc::now(), "event": "scheduled", "detail": why})];
    if held_out {
        trail.push(json!({"at": Utc::now(), "event": "held_out",
                          "detail": "in this flow's control group: never sent, counted for lift"}));
    }
    let id = sqlx::query_scalar!(
        r#"insert into scheduled_messages (merchant_id, customer_id, order_id, flow, due_at, trail, held_out,
                                           status, reason)
           values ($1, $2, $3, $4, $5, $6, $7,
                   case when $7 then 'skipped' else 'scheduled' end,
                   case when $7 then 'held out: control group' end)
           on conflict (order_id, flow) do nothing
           returning id"#,
        merchant.0,
        customer.0,
        order,
        flow,
        due_at,
        serde_json::Value::Array(trail),
        held_out
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(id)
}

/// Cancels every still-scheduled message of an order, recording why.
pub async fn cancel_for_order(tx: &mut TenantTx, order: uuid::Uuid, why: &str) -> Result<u64> {
    let step = json!([{"at": Utc::now(), "event": "cancelled", "detail": why}]);
    let done = sqlx::query!(
        "update scheduled_messages set status = 'cancelled', reason = $2, trail = trail || $3, updated_at = now()
         where order_id = $1 and status = 'scheduled'",
        order,
        why,
        step
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Cancels a customer's still-scheduled messages of `flows` (all flows when `None`).
pub async fn cancel_for_customer(
    tx: &mut TenantTx,
    customer: CustomerId,
    flows: Option<&[&str]>,
    why: &str,
) -> Result<u64> {
    let step = json!([{"at": Utc::now(), "event": "cancelled", "detail": why}]);
    let flows: Option<Vec<String>> = flows.map(|f| f.iter().map(|s| (*s).to_owned()).collect());
    let done = sqlx::query!(
        "update scheduled_messages set status = 'cancelled', reason = $2, trail = trail || $3, updated_at = now()
         where customer_id = $1 and status = 'scheduled' and ($4::text[] is null or flow = any($4))",
        customer.0,
        why,
        step,
        flows.as_deref()
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScheduledMessage {
    pub id: uuid::Uuid,
    pub customer_id: CustomerId,
    pub order_id: uuid::Uuid,
    pub flow: String,
    pub due_at: DateTime<Utc>,
    pub status: String,
    pub attempts: i32,
    pub reason: Option<String>,
    /// `[{at, event, detail}]`, oldest first.
    pub trail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The schedules of one order, by due time.
pub async fn for_order(tx: &mut TenantTx, order: uuid::Uuid) -> Result<Vec<ScheduledMessage>> {
    let rows = sqlx::query_as!(
        ScheduledMessage,
        r#"select id, customer_id as "customer_id: CustomerId", order_id, flow, due_at, status, attempts,
                  reason, trail, created_at
           from scheduled_messages where order_id = $1 order by due_at"#,
        order
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub flow: Option<String>,
    pub order_id: Option<uuid::Uuid>,
    pub customer_id: Option<uuid::Uuid>,
    pub limit: i64,
}

/// By due time, soonest first.
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<ScheduledMessage>> {
    let rows = sqlx::query_as!(
        ScheduledMessage,
        r#"select id, customer_id as "customer_id: CustomerId", order_id, flow, due_at, status, attempts,
                  reason, trail, created_at
           from scheduled_messages
           where ($1::text is null or status = $1) and ($2::text is null or flow = $2)
             and ($3::uuid is null or order_id = $3) and ($4::uuid is null or customer_id = $4)
           order by due_at, id limit $5"#,
        f.status,
        f.flow,
        f.order_id,
        f.customer_id,
        f.limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

pub async fn get(tx: &mut TenantTx, id: uuid::Uuid) -> Result<ScheduledMessage> {
    sqlx::query_as!(
        ScheduledMessage,
        r#"select id, customer_id as "customer_id: CustomerId", order_id, flow, due_at, status, attempts,
                  reason, trail, created_at
           from scheduled_messages where id = $1"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(crate::Error::NotFound)
}

/// Cancels one message if it has not gone out yet.
pub async fn cancel(tx: &mut TenantTx, id: uuid::Uuid, why: &str) -> Result<ScheduledMessage> {
    let step = json!([{"at": Utc::now(), "event": "cancelled", "detail": why}]);
    let done = sqlx::query_scalar!(
        "update scheduled_messages set status = 'cancelled', reason = $2, trail = trail || $3, updated_at = now()
         where id = $1 and status = 'scheduled' returning id",
        id,
        why,
        step
    )
    .fetch_optional(tx.conn())
    .await?;
    let found = get(tx, id).await?;
    if done.is_none() {
        return Err(crate::Error::Conflict("this message is no longer scheduled"));
    }
    Ok(found)
}

/// Puts a message back in line, due `now`: `send-now` for a scheduled one, `replay` for a failed
/// or dead one (its attempts start over). 409 when it is in none of `from`.
pub async fn requeue(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    from: &[&str],
    event: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<ScheduledMessage> {
    let from: Vec<String> = from.iter().map(|s| (*s).to_owned()).collect();
    let step = json!([{"at": now, "event": event, "detail": why}]);
    let done = sqlx::query_scalar!(
        // A new due time, never the current one: the job id is made of it (`SendMessage::task_id`).
        "update scheduled_messages set status = 'scheduled', reason = null,
                due_at = case when due_at = $2 then $2 + interval '1 microsecond' else $2 end,
                attempts = case when status in ('failed', 'dead') then 0 else attempts end,
                trail = trail || $3, updated_at = now()
         where id = $1 and status = any($4) returning id",
        id,
        now,
        step,
        &from
    )
    .fetch_optional(tx.conn())
    .await?;
    let found = get(tx, id).await?;
    if done.is_none() {
        return Err(crate::Error::Conflict("this message cannot be sent from its current state"));
    }
    Ok(found)
}

/// One merchant's retention messages by where they stand in the send queue. Postgres is the
/// source of truth for every message (Redis holds only what is due), so these are exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct QueueStats {
    /// Due now, waiting for a worker.
    pub pending: i64,
    /// Due later (including retries waiting for their backoff).
    pub scheduled: i64,
    /// Held by a worker between recording its intent and its outcome.
    pub running: i64,
    /// Failed for good: a permanent WhatsApp error or a missing template.
    pub failed: i64,
    /// Retries exhausted: the dead-letter list, replayable.
    pub dead: i64,
    /// Seconds the oldest due message has waited; 0 when none waits.
    pub oldest_pending_secs: i64,
}

pub async fn queue_stats(tx: &mut TenantTx, now: DateTime<Utc>) -> Result<QueueStats> {
    let s = sqlx::query_as!(
        QueueStats,
        r#"select count(*) filter (where status = 'scheduled' and due_at <= $1::timestamptz) as "pending!",
                  count(*) filter (where status = 'scheduled' and due_at > $1) as "scheduled!",
                  count(*) filter (where status = 'sending') as "running!",
                  count(*) filter (where status = 'failed') as "failed!",
                  count(*) filter (where status = 'dead') as "dead!",
                  coalesce(extract(epoch from $1::timestamptz - min(due_at) filter (where status = 'scheduled' and due_at <= $1)),
                           0)::bigint as "oldest_pending_secs!"
           from scheduled_messages
           where status in ('scheduled', 'sending', 'failed', 'dead')"#,
        now
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(s)
}
