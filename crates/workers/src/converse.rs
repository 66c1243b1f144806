//! `converse`: one conversation turn (`shared::conversation` decides), then the reply sent and
//! its outcome recorded.
//!
//! Once only: the turn locks the conversation, takes every unanswered inbound message, marks
//! them answered and records the reply in one transaction, committed before WhatsApp is called.
//! A duplicate job finds nothing unanswered; a job that runs while messages are still arriving
//! leaves them to the job of the newest one.

use apalis::prelude::{AbortError, Attempt, BoxDynError, Data};
use revive_shared::conversation::{self, Plan};
use revive_shared::db::conversations::{self, BotReply};
use revive_shared::db::{customers, whatsapp_accounts};
use revive_shared::jobs::Converse;
use revive_shared::whatsapp::{TextMessage, WhatsApp};

use crate::Deps;

/// Messages from one customer this close together are answered as one turn.
pub const QUIET_PERIOD: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs of one turn job before its messages go to a person with the error as the reason
/// (apalis itself would retry 25 times, STACK.md pitfall 3).
pub const MAX_ATTEMPTS: usize = 5;

#[tracing::instrument(skip_all, fields(merchant_id = %job.merchant_id, conversation_id = %job.conversation_id), err)]
pub async fn handle(job: Converse, attempt: Attempt, deps: Data<Deps>) -> Result<(), BoxDynError> {
    match run(&job, &deps).await {
        Ok(outcome) => {
            metrics::counter!("revive_turns_total", "outcome" => outcome).increment(1);
            Ok(())
        }
        Err(e) if attempt.current() >= MAX_ATTEMPTS => {
            tracing::error!(error = %e, "conversation turn failed for good; handed to a person");
            give_up(&job, &deps, &e.to_string()).await?;
            metrics::counter!("revive_turns_total", "outcome" => "gave_up").increment(1);
            Err(AbortError::new(e).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The turn cannot be made: its messages are marked answered (so the sweeper stops re-queueing
/// them) and the conversation goes to a person, with the reason.
async fn give_up(job: &Converse, deps: &Deps, why: &str) -> revive_shared::Result<()> {
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let waiting = conversations::unhandled(&mut tx, job.conversation_id).await?;
    let ids: Vec<uuid::Uuid> = waiting.iter().map(|m| m.id).collect();
    conversations::mark_handled(&mut tx, &ids, None).await?;
    let reason = format!("the bot could not answer after {MAX_ATTEMPTS} tries: {why}");
    conversations::hand_off(&mut tx, job.conversation_id, &reason).await?;
    tx.commit().await
}

async fn run(job: &Converse, deps: &Deps) -> revive_shared::Result<&'static str> {
    let now = deps.clock.now();
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let Some(conversation) = conversations::lock(&mut tx, job.conversation_id).await? else {
        return Ok("gone");
    };
    let waiting = conversations::unhandled(&mut tx, conversation.id).await?;
    let Some(newest) = waiting.last() else { return Ok("duplicate") };
    if newest.waited_secs < QUIET_PERIOD.as_secs_f64() {
        return Ok("waiting_for_more");
    }
    let ids: Vec<uuid::Uuid> = waiting.iter().map(|m| m.id).collect();
    let plan = conversation::plan(&mut tx, &deps.ai, &conversation, &waiting, now).await?;
    let reply = match plan {
        Plan::Silent(why) => {
            conversations::mark_handled(&mut tx, &ids, None).await?;
            if conversation.state == "human" {
                conversations::needs_attention(&mut tx, conversation.id).await?;
            }
            tx.commit().await?;
            tracing::debug!(why, "no reply");
            return Ok("silent");
        }
        Plan::Reply(reply) => reply,
    };
    let intent = reply.intent.map(|(i, c)| (i.as_str(), c));
    conversations::mark_handled(&mut tx, &ids, intent).await?;
    if let Some(why) = &reply.handoff {
        conversations::hand_off(&mut tx, conversation.id, why).await?;
    } else if reply.resolve {
        conversations::resolve(&mut tx, conversation.id).await?;
    }
    if let Some(summary) = &reply.summary {
        conversations::set_summary(&mut tx, conversation.id, summary).await?;
    }
    let message = conversations::record_reply(
        &mut tx,
        conversation.id,
        conversation.customer_id,
        &BotReply {
            body: &reply.text,
            intent: intent.map(|(i, _)| i),
            confidence: intent.map(|(_, c)| c),
            guardrail: reply.guardrail.clone(),
            cited: &reply.cited,
        },
    )
    .await?;
    let account = whatsapp_accounts::current(&mut tx, &deps.config.cipher).await?;
    let phone = customers::phone_of(&mut tx, &deps.config.cipher, conversation.customer_id).await?;
    tx.commit().await?;

    let transport = deps.transport(account).await;
    let callback = message.to_string();
    let result =
        transport.send_text(&TextMessage { to: &phone, body: &reply.text, callback: &callback }).await;
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let outcome = match &result {
        Ok(sent) => {
            conversations::reply_outcome(&mut tx, message, Some(&sent.wa_message_id), None, sent.delivered)
                .await?;
            if reply.handoff.is_some() { "handed_off" } else { "replied" }
        }
        Err(e) => {
            // Not retried here (the turn is over; sending it later could answer out of order):
            // the reply is marked failed with WhatsApp's reason and a person is asked to look.
            conversations::reply_outcome(&mut tx, message, None, Some(&e.to_string()), false).await?;
            conversations::needs_attention(&mut tx, conversation.id).await?;
            "reply_failed"
        }
    };
    tx.commit().await?;
    Ok(outcome)
}
