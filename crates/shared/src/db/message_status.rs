//! What WhatsApp's status webhooks tell us about messages we sent: merged by precedence
//! (`message_status_rank` in the schema), so late or repeated deliveries never move a status
//! back, and applying the same status twice changes nothing.

use chrono::{DateTime, Utc};

use super::TenantTx;
use super::sending::step;
use crate::Result;
use crate::whatsapp::webhook::Status;

/// Applies one status to the outbound message it names, and to its scheduled message's trail.
/// `true` when the message's status moved forward; `false` for a repeat, a status older than
/// what we have, or a message that is not ours.
pub async fn apply(tx: &mut TenantTx, status: &Status, now: DateTime<Utc>) -> Result<bool> {
    let Some(new) = status.normalized() else { return Ok(false) };
    // A send whose worker stopped before writing the outcome has no wamid yet: Meta's echo of
    // the scheduled id is how it is found.
    let callback = status.biz_opaque_callback_data.as_deref().and_then(|s| s.parse::<uuid::Uuid>().ok());
    lock_scheduled(tx, callback, &status.id).await?;
    if let Some(scheduled) = callback {
        confirm_unsettled_send(tx, scheduled, &status.id, now).await?;
    }
    let (code, reason) = match (new, status.error()) {
        ("failed", Some((code, text))) => (Some(code), Some(text)),
        ("failed", None) => (None, Some("WhatsApp reported the message failed, without a reason".to_owned())),
        _ => (None, None),
    };
    let row = sqlx::query!(
        "update messages set status = $2, status_at = $3, error_code = $4, error_reason = $5
         where wa_message_id = $1 and direction = 'outbound'
           and message_status_rank($2) > message_status_rank(coalesce(status, 'pending'))
         returning customer_id, scheduled_message_id",
        status.id,
        new,
        status.timestamp,
        code,
        reason
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else { return Ok(false) };
    if let Some(user_id) = status.recipient_user_id.as_deref() {
        sqlx::query!(
            "update customers set wa_user_id = $2, updated_at = now()
             where id = $1 and wa_user_id is distinct from $2",
            row.customer_id,
            user_id
        )
        .execute(tx.conn())
        .await?;
    }
    if let Some(scheduled) = row.scheduled_message_id {
        // A text refused because the window had closed goes again as a template, if it can.
        let refused = match (code.as_deref(), reason.as_deref()) {
            (Some("131047"), Some(detail)) => {
                super::sending::refused_outside_window(tx, scheduled, detail, now).await?.is_some()
            }
            _ => false,
        };
        if !refused {
            trail_status(tx, scheduled, new, reason.as_deref(), now).await?;
        }
    }
    Ok(true)
}

/// Takes the row lock of the scheduled message a status is about, before its message's.
///
/// The sender writes an outcome in that order (scheduled row, then message); taking the locks
/// the other way round here deadlocked a status webhook against a worker recording the same
/// send. A message with no scheduled row (a conversation reply) needs no lock here.
async fn lock_scheduled(tx: &mut TenantTx, callback: Option<uuid::Uuid>, wa_message_id: &str) -> Result<()> {
    sqlx::query!(
        "select id from scheduled_messages
         where id = coalesce($1, (select scheduled_message_id from messages
                                  where wa_message_id = $2 and direction = 'outbound' limit 1))
         for update",
        callback,
        wa_message_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(())
}

/// Keeps a flow message's row in step with its delivery: `failed` when WhatsApp could not
/// deliver what it had accepted, `sent` again if a later delivery contradicts that. (Its message
/// has a wamid, so WhatsApp did accept it: any `failed` here was a delivery failure.)
async fn trail_status(
    tx: &mut TenantTx,
    scheduled: uuid::Uuid,
    status: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    match status {
        "failed" => {
            let why = format!("WhatsApp could not deliver it: {}", reason.unwrap_or("no reason given"));
            sqlx::query!(
                "update scheduled_messages set status = 'failed', reason = $2, trail = trail || $3, updated_at = now()
                 where id = $1 and status = 'sent'",
                scheduled,
                why,
                step(now, "failed", &why)
            )
            .execute(tx.conn())
            .await?;
        }
        "delivered" | "read" => {
            let detail = format!("WhatsApp reports it {status}");
            sqlx::query!(
                "update scheduled_messages set
                    status = case when status = 'failed' then 'sent' else status end,
                    reason = case when status = 'failed' then null else reason end,
                    trail = trail || $2, updated_at = now()
                 where id = $1",
                scheduled,
                step(now, status, &detail)
            )
            .execute(tx.conn())
            .await?;
        }
        // `sent` is already in the trail, written when Meta accepted the message.
        _ => {}
    }
    Ok(())
}

/// A send left `sending` (or given up as "outcome unknown") that WhatsApp did accept: record it
/// as sent, with the wamid the status names. No-op for every other message.
async fn confirm_unsettled_send(
    tx: &mut TenantTx,
    scheduled: uuid::Uuid,
    wa_message_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let why = "WhatsApp confirmed it by a status webhook (its worker stopped before recording the outcome)";
    let confirmed = sqlx::query!(
        "update scheduled_messages set status = 'sent', reason = null, outcome_unknown = false,
                trail = trail || $2, updated_at = now()
         where id = $1 and (status = 'sending' or (status = 'failed' and outcome_unknown))",
        scheduled,
        step(now, "sent", why)
    )
    .execute(tx.conn())
    .await?;
    if confirmed.rows_affected() > 0 {
        sqlx::query!(
            "update messages set wa_message_id = $2, status = 'sent', status_at = $3, error_code = null, error_reason = null
             where scheduled_message_id = $1 and wa_message_id is null",
            scheduled,
            wa_message_id,
            now
        )
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
