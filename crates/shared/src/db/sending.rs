//! The sender's queries: one scheduled message from "due" to "sent" (or why not), with the
//! intent recorded before the transport is called, so a worker that dies mid-send leaves a row
//! that says so instead of a message that might go out twice.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::TenantTx;
use crate::Result;
use crate::ids::{CustomerId, MerchantId};

/// Everything the sender decides on, read under a lock on the scheduled row. `product` is the
/// order's main item: the line that cost the most (ties by title), the same on every read.
#[derive(Debug, Clone)]
pub struct SendContext {
    pub id: uuid::Uuid,
    pub flow: String,
    pub due_at: DateTime<Utc>,
    pub attempts: i32,
    pub customer_id: CustomerId,
    pub first_name: Option<String>,
    pub customer_name: Option<String>,
    pub customer_timezone: Option<String>,
    pub customer_locale: Option<String>,
    pub consent_utility: bool,
    pub consent_marketing: bool,
    pub erased: bool,
    pub order_closed: bool,
    pub order_number: Option<String>,
    pub product: Option<String>,
    pub merchant_name: String,
    pub merchant_timezone: String,
    /// The customer wrote within the last 24 hours: WhatsApp's customer-service window is open,
    /// so free-form text may go when the flow has no approved template.
    pub window_open: bool,
}

/// Locks a still-scheduled message; `None` when it is already taken or settled.
pub async fn lock(tx: &mut TenantTx, id: uuid::Uuid, now: DateTime<Utc>) -> Result<Option<SendContext>> {
    let row = sqlx::query_as!(
        SendContext,
        r#"select s.id, s.flow, s.due_at, s.attempts, s.customer_id as "customer_id: CustomerId",
                  split_part(c.name, ' ', 1) as first_name, c.name as customer_name,
                  c.timezone as customer_timezone, c.locale as customer_locale,
                  c.consent_utility, c.consent_marketing, c.erased_at is not null as "erased!",
                  (o.cancelled_at is not null or o.refunded_at is not null) as "order_closed!",
                  o.order_number,
                  (select li.title from order_line_items li where li.order_id = o.id
                   order by li.unit_price_cents * li.quantity desc nulls last, li.title limit 1) as product,
                  m.name as merchant_name, m.timezone as merchant_timezone,
                  exists(select 1 from conversations cv where cv.customer_id = s.customer_id
                         and cv.last_inbound_at > $2::timestamptz - interval '24 hours') as "window_open!"
           from scheduled_messages s
           join customers c on c.id = s.customer_id
           join orders o on o.id = s.order_id
           join merchants m on m.id = s.merchant_id
           where s.id = $1 and s.status = 'scheduled'
           for update of s"#,
        id,
        now
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row)
}

/// What a customer has recently been sent by the flows: the weekly cap and the per-recipient
/// gap are decided on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recent {
    /// Flow messages sent (or being sent) in the rolling week.
    pub this_week: i64,
    /// When the latest flow message not known to have failed was sent.
    pub last_at: Option<DateTime<Utc>>,
}

/// Reads `Recent` for a customer, other than the message `id` itself, holding a lock on that
/// customer's sends until the transaction ends: two workers sending to one customer at once
/// would otherwise both see room under the cap. The lock is taken after the scheduled row's,
/// and nothing else takes it, so it cannot deadlock.
pub async fn recent_to(
    tx: &mut TenantTx,
    customer: CustomerId,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<Recent> {
    sqlx::query_scalar!(
        "select pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))::text",
        customer.0
    )
    .fetch_one(tx.conn())
    .await?;
    let r = sqlx::query!(
        r#"select count(*) filter (where status in ('pending', 'sent', 'delivered', 'read')) as "this_week!",
                  max(created_at) filter (where status <> 'failed') as last_at
           from messages
           where customer_id = $1 and sent_by = 'flow' and direction = 'outbound'
             and created_at >= $2::timestamptz - interval '7 days' and scheduled_message_id is distinct from $3"#,
        customer.0,
        now,
        id
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Recent { this_week: r.this_week, last_at: r.last_at })
}

/// The template a flow sends: an approved one first, then a draft, newest first.
pub struct FlowTemplate {
    pub id: uuid::Uuid,
    pub body: String,
    pub language: String,
    pub meta_template_name: Option<String>,
    pub approved: bool,
}

pub async fn template_for(tx: &mut TenantTx, flow: &str) -> Result<Option<FlowTemplate>> {
    let row = sqlx::query_as!(
        FlowTemplate,
        r#"select id, body, language, meta_template_name, status = 'approved' as "approved!"
           from message_templates where flow = $1
           order by status = 'approved' desc, updated_at desc limit 1"#,
        flow
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row)
}

pub(crate) fn step(at: DateTime<Utc>, event: &str, detail: &str) -> serde_json::Value {
    json!([{"at": at, "event": event, "detail": detail}])
}

/// Settles a message without sending it (`cancelled` or `skipped`), with the reason.
pub async fn settle(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    status: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "update scheduled_messages set status = $2, reason = $3, trail = trail || $4, updated_at = now() where id = $1",
        id,
        status,
        why,
        step(now, status, why)
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Moves a message to a later time (quiet hours, a retry), keeping it scheduled.
pub async fn move_due(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    to: DateTime<Utc>,
    event: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "update scheduled_messages set status = 'scheduled', due_at = $2, reason = $3, trail = trail || $4, updated_at = now()
         where id = $1",
        id,
        to,
        why,
        step(now, event, why)
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records the intent to send: the row becomes `sending` and its outbound message `pending`.
/// Committed before the transport is called.
pub async fn begin_send(
    tx: &mut TenantTx,
    ctx: &SendContext,
    template: Option<uuid::Uuid>,
    kind: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<uuid::Uuid> {
    let merchant: MerchantId = tx.merchant();
    sqlx::query!(
        "update scheduled_messages set status = 'sending', attempts = attempts + 1, template_id = $2,
                trail = trail || $3, updated_at = now()
         where id = $1",
        ctx.id,
        template,
        step(now, "sending", &format!("attempt {}", ctx.attempts + 1))
    )
    .execute(tx.conn())
    .await?;
    let message = sqlx::query_scalar!(
        // `created_at` is the send time by the app's clock: the weekly cap and the per-recipient
        // gap compare it with that clock.
        "insert into messages (merchant_id, customer_id, scheduled_message_id, direction, kind, body, status, sent_by, created_at)
         values ($1, $2, $3, 'outbound', $5, $4, 'pending', 'flow', $6)
         on conflict (scheduled_message_id) where scheduled_message_id is not null
         do update set body = excluded.body, kind = excluded.kind, status = 'pending', error_code = null,
                       error_reason = null, created_at = excluded.created_at
         returning id",
        merchant.0,
        ctx.customer_id.0,
        ctx.id,
        body,
        kind,
        now
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(message)
}

pub async fn record_sent(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    wa_message_id: &str,
    delivered: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let status = if delivered { "delivered" } else { "sent" };
    // Lock order, everywhere: the scheduled row before its message (see `message_status`).
    sqlx::query!(
        "update scheduled_messages set status = 'sent', reason = null, trail = trail || $2, updated_at = now()
         where id = $1 and status = 'sending'",
        id,
        step(now, "sent", &format!("accepted by WhatsApp as {wa_message_id}"))
    )
    .execute(tx.conn())
    .await?;
    // A status webhook can beat this write (Meta is quick): never move its status back.
    sqlx::query!(
        "update messages set wa_message_id = $3, status_at = $4,
                status = case when message_status_rank(coalesce(status, 'pending')) > message_status_rank($2)
                              then status else $2 end
         where scheduled_message_id = $1",
        id,
        status,
        wa_message_id,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records a failed send: `failed` (permanent) or `dead` (retries exhausted), or back to
/// `scheduled` at `retry_at`.
pub async fn record_failure(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    code: &str,
    why: &str,
    retry_at: Option<DateTime<Utc>>,
    dead: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    // Lock order: the scheduled row before its message.
    match retry_at {
        Some(at) => move_due(tx, id, at, "retry", why, now).await?,
        None => settle(tx, id, if dead { "dead" } else { "failed" }, why, now).await?,
    }
    sqlx::query!(
        "update messages set status = 'failed', error_code = $2, error_reason = $3, status_at = $4
         where scheduled_message_id = $1",
        id,
        code,
        why,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// WhatsApp refused a free-form text because the customer's 24-hour window had closed (131047,
/// in the send's answer or later in a `failed` status). With an approved template for the flow
/// now, the message is due again at once and goes as that template (`Some(true)`); without one it
/// fails, saying what would fix it (`Some(false)`). `None`, changing nothing, when the message is
/// no longer being sent or sent (cancelled meanwhile, or already settled by this same status).
pub async fn refused_outside_window(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Option<bool>> {
    let has_template = sqlx::query_scalar!(
        r#"select exists(select 1 from message_templates t
                         where t.flow = s.flow and t.status = 'approved' and t.meta_template_name is not null) as "e!"
           from scheduled_messages s where s.id = $1 and s.status in ('sending', 'sent')"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(has_template) = has_template else { return Ok(None) };
    let why = if has_template {
        format!("WhatsApp 131047 ({detail}): sending the approved template instead")
    } else {
        format!(
            "WhatsApp 131047 ({detail}): outside the 24-hour window only an approved template may be sent, \
             and this flow has none; approve one and replay"
        )
    };
    let retry_at = has_template.then_some(now);
    record_failure(tx, id, "131047", &why, retry_at, false, now).await?;
    Ok(Some(has_template))
}

/// Scheduled messages due by `now`, across merchants (SECURITY DEFINER look-up).
pub async fn due(
    pool: &sqlx::PgPool,
    now: DateTime<Utc>,
    limit: i32,
) -> Result<Vec<(MerchantId, uuid::Uuid, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: MerchantId", scheduled_id as "scheduled_id!", due_at as "due_at!"
           from revive_private.messages_due($1, $2)"#,
        now,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.scheduled_id, r.due_at)).collect())
}

/// Sends left `sending` since before `before` (their worker stopped mid-send).
pub async fn stuck(
    pool: &sqlx::PgPool,
    before: DateTime<Utc>,
    limit: i32,
) -> Result<Vec<(MerchantId, uuid::Uuid)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: MerchantId", scheduled_id as "scheduled_id!"
           from revive_private.sends_stuck($1, $2)"#,
        before,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.scheduled_id)).collect())
}

/// Settles a send left `sending` since before its worker stopped, unless its outcome arrived
/// meanwhile. `retry`: WhatsApp's status webhooks for this account are flowing and none confirmed
/// this message, so WhatsApp never accepted it and sending again cannot double it. Otherwise the
/// outcome is unknown and the row fails with that reason (a late status can still confirm it),
/// because a customer must never get a retention message twice. `false` when its outcome had
/// arrived meanwhile.
pub async fn reconcile_stuck(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    retry: bool,
    stuck_for: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<bool> {
    let minutes = stuck_for.as_secs().div_ceil(60);
    let (status, event, why) = if retry {
        (
            "scheduled",
            "retry",
            format!(
                "no word from WhatsApp {minutes} min after its worker stopped mid-send, while its status webhooks \
                 arrive: WhatsApp never got it; sending again"
            ),
        )
    } else {
        (
            "failed",
            "failed",
            "outcome unknown: the worker stopped during the send; not retried so the customer cannot get it twice"
                .to_owned(),
        )
    };
    let done = sqlx::query!(
        "update scheduled_messages set status = $2, reason = $3, trail = trail || $4,
                outcome_unknown = ($2 = 'failed'), due_at = case when $2 = 'scheduled' then $5 else due_at end,
                updated_at = now()
         where id = $1 and status = 'sending'",
        id,
        status,
        if retry { None } else { Some(why.as_str()) },
        step(now, event, &why),
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}
