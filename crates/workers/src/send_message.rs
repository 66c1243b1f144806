//! `send_message`: send one due retention message, exactly as the merchant's settings and the
//! customer's consent allow, and record why in its trail.
//!
//! Exactly once: the scheduled row is locked and moved to `sending` (with its outbound message
//! `pending`) in a transaction committed *before* the transport is called; the outcome is
//! recorded in a second one. A duplicate job finds the row no longer `scheduled` and does
//! nothing. A worker that dies between the two leaves the row `sending`. WhatsApp's status
//! webhook for the message (it echoes the scheduled id as `biz_opaque_callback_data`) then
//! records it as sent; if none comes while the account's statuses are known to arrive, the
//! sweeper sends it again, and otherwise marks it failed as "outcome unknown" rather than risk a
//! second message.

use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use chrono::Duration;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use revive_shared::db::customers;
use revive_shared::db::sending::{self, SendContext};
use revive_shared::db::whatsapp_accounts::{self, Account};
use revive_shared::db::{TenantTx, retention};
use revive_shared::jobs::SendMessage;
use revive_shared::retention::send::{self, Decision, MAX_SEND_ATTEMPTS};
use revive_shared::whatsapp::{SendError, TemplateMessage, TextMessage, Transport, WhatsApp};

use crate::Deps;

#[tracing::instrument(skip_all, fields(merchant_id = %job.merchant_id, scheduled_id = %job.scheduled_id), err)]
pub async fn handle(job: SendMessage, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let outcome = run(&job, &deps).await?;
    metrics::counter!("revive_sends_total", "outcome" => outcome).increment(1);
    Ok(())
}

async fn run(job: &SendMessage, deps: &Deps) -> revive_shared::Result<&'static str> {
    let now = deps.clock.now();
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let Some(ctx) = sending::lock(&mut tx, job.scheduled_id, now).await? else {
        return Ok("duplicate");
    };
    // Pushed early (a clock moved back, a retry not yet due): the dispatcher pushes it again.
    if ctx.due_at > now + Duration::seconds(5) {
        return Ok("not_due");
    }
    let settings = retention::get(&mut tx).await?;
    let recent = sending::recent_to(&mut tx, ctx.customer_id, ctx.id, now).await?;
    let gap = Duration::seconds(deps.config.jobs.send_recipient_gap_secs as i64);
    match send::decide(&ctx, &settings, recent, gap, now) {
        Decision::Cancel(why) => return settle(tx, &ctx, "cancelled", &why, now, "cancelled").await,
        Decision::Skip(why) => return settle(tx, &ctx, "skipped", &why, now, "skipped").await,
        Decision::Move(at, why) => {
            sending::move_due(&mut tx, ctx.id, at, "moved", &why, now).await?;
            tx.commit().await?;
            return Ok("moved");
        }
        Decision::Send => {}
    }
    let template = sending::template_for(&mut tx, &ctx.flow).await?;
    let content = send::content(&ctx.flow, template, ctx.customer_locale.as_deref());
    let account = whatsapp_accounts::current(&mut tx, &deps.config.cipher).await?;
    if matches!(account, Account::Meta { .. }) && content.meta_template_name.is_none() && !ctx.window_open {
        let why = format!(
            "no approved template for the {} flow, and the customer has not written in the last 24 hours \
             (outside that window WhatsApp takes only approved templates)",
            ctx.flow
        );
        return settle(tx, &ctx, "failed", &why, now, "failed").await;
    }
    let transport = deps.transport(account).await;
    // Meta without an approved template: free-form text, inside the customer's open window.
    let as_text = matches!(transport, Transport::Meta(_)) && content.meta_template_name.is_none();
    let (text, params) = send::render(&content.body, &ctx);
    let phone = customers::phone_of(&mut tx, &deps.config.cipher, ctx.customer_id).await?;
    let kind = if as_text { "text" } else { "template" };
    sending::begin_send(&mut tx, &ctx, content.template_id, kind, &text, now).await?;
    tx.commit().await?;

    let callback = ctx.id.to_string();
    let result = if as_text {
        transport.send_text(&TextMessage { to: &phone, body: &text, callback: &callback }).await
    } else {
        let msg = TemplateMessage {
            to: &phone,
            template: content.meta_template_name.as_deref().unwrap_or(ctx.flow.as_str()),
            language: &content.language,
            params: &params,
            callback: &callback,
        };
        transport.send_template(&msg).await
    };

    let now = deps.clock.now();
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let outcome = match result {
        Ok(sent) => {
            sending::record_sent(&mut tx, ctx.id, &sent.wa_message_id, sent.delivered, now).await?;
            "sent"
        }
        Err(SendError::Retry { code, detail }) if ctx.attempts + 1 < MAX_SEND_ATTEMPTS => {
            let at = now + send::backoff(ctx.attempts);
            let why = format!("WhatsApp {code}: {detail}; retrying at {}", at.to_rfc3339());
            sending::record_failure(&mut tx, ctx.id, &code, &why, Some(at), false, now).await?;
            "retry"
        }
        Err(SendError::Retry { code, detail }) => {
            let why = format!("WhatsApp {code}: {detail}; gave up after {MAX_SEND_ATTEMPTS} attempts");
            sending::record_failure(&mut tx, ctx.id, &code, &why, None, true, now).await?;
            "dead"
        }
        Err(SendError::Permanent { code, detail }) => {
            let why = format!("WhatsApp {code}: {detail}");
            sending::record_failure(&mut tx, ctx.id, &code, &why, None, false, now).await?;
            "failed"
        }
        // Left `sending`: a status webhook settles it as sent, or the stuck-send reconciliation
        // does after `SEND_STUCK_SECS` (sent again only where statuses are known to flow).
        Err(SendError::Unknown { detail }) => {
            tracing::warn!(
                detail,
                "a send's outcome is unknown; left for a status webhook or reconciliation"
            );
            "unknown"
        }
        Err(SendError::OutsideWindow { detail }) => {
            match sending::refused_outside_window(&mut tx, ctx.id, &detail, now).await? {
                Some(true) => "retry",
                _ => "failed",
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

async fn settle(
    mut tx: TenantTx,
    ctx: &SendContext,
    status: &str,
    why: &str,
    now: chrono::DateTime<chrono::Utc>,
    outcome: &'static str,
) -> revive_shared::Result<&'static str> {
    sending::settle(&mut tx, ctx.id, status, why, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

impl Deps {
    /// The transport of a merchant's account; for Meta, after waiting for its number's turn in
    /// the token bucket.
    pub(crate) async fn transport(&self, account: Account) -> Transport {
        if let Account::Meta { phone_number_id, messages_per_second, .. } = &account {
            self.throttle(phone_number_id, *messages_per_second).until_ready().await;
        }
        Transport::for_account(account, &self.http, &self.config.whatsapp)
    }

    /// The token bucket of one WhatsApp phone number (Meta's throughput is per number), created
    /// at its account's rate the first time it is needed. Per process: N worker processes share a
    /// number's rate only approximately; see docs/operations.md.
    fn throttle(&self, phone_number_id: &str, per_second: i32) -> Arc<DefaultDirectRateLimiter> {
        let mut map = self.throttles.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(phone_number_id.to_owned())
            .or_insert_with(|| {
                let rate = std::num::NonZeroU32::new(per_second.clamp(1, 1000) as u32)
                    .unwrap_or(std::num::NonZeroU32::MIN);
                Arc::new(RateLimiter::direct(Quota::per_second(rate)))
            })
            .clone()
    }
}
