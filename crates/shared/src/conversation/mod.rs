//! The conversation manager: one turn answers every message a customer sent since the last
//! turn. In order: STOP / START (no model, always); silence while a human has the conversation;
//! messages that are not text; prompt-injection and abuse; intent, with complaints, refunds,
//! explicit requests and strong anger handed to a human; retrieval over the merchant's knowledge
//! (re-ranked for diversity and for what the customer bought); a reply written by the composer
//! with the history, the rolling summary and the customer's order; the guardrails on the reply,
//! with one regeneration told what failed, then a person. Every verdict is kept for the reply's
//! message row.
//!
//! Classifying, embedding and writing go through `providers::Ai`: the hosted model when a key is
//! set, the built-in ones (an extractive composer that only quotes the merchant's texts)
//! otherwise. The guardrails do not trust either.

mod texts;

use serde_json::json;

use crate::Result;
use crate::ai::guard;
use crate::ai::intent::{self, Intent};
use crate::ai::optout::{self, ConsentCommand};
use crate::db::conversations::{self, Conversation, Unhandled};
use crate::db::customers::{self, Purpose};
use crate::db::{TenantTx, knowledge, scheduled};
use crate::providers::{Action, Ai, Brief, Line};

pub use texts::Lang;

/// A chunk must be at least this similar to the question to be used: below it, the bot says it
/// does not know rather than answer from something unrelated.
pub const MIN_SCORE: f64 = 0.2;
/// Chunks retrieved per question.
pub const TOP_K: usize = 5;
/// Nearest chunks fetched for re-ranking to pick [`TOP_K`] from.
pub const CANDIDATES: i64 = 20;
/// Earlier messages a hosted model sees (the rolling summary covers the rest).
pub const HISTORY: i64 = 12;

/// What a turn decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// No reply: a human has the conversation, or nothing in the messages calls for one.
    Silent(&'static str),
    Reply(Reply),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub intent: Option<(Intent, f32)>,
    /// Hand the conversation to a human after this reply, for this reason.
    pub handoff: Option<String>,
    /// Close the conversation after this reply (the customer's next message opens it again).
    pub resolve: bool,
    pub cited: Vec<uuid::Uuid>,
    /// Every check made, for the message row.
    pub guardrail: serde_json::Value,
    /// The rolling summary, updated by a hosted model.
    pub summary: Option<String>,
}

impl Reply {
    fn fixed(text: String, handoff: Option<String>, guardrail: serde_json::Value) -> Self {
        Reply { text, intent: None, handoff, resolve: false, cited: Vec::new(), guardrail, summary: None }
    }
}

/// Plans the turn for `messages` (oldest first), applying a STOP / START to the consent ledger
/// and the customer's pending messages in the same transaction.
pub async fn plan(
    tx: &mut TenantTx,
    ai: &Ai,
    conversation: &Conversation,
    messages: &[Unhandled],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Plan> {
    let words: Vec<&str> = messages.iter().filter_map(|m| m.body.as_deref()).collect();
    let joined = words.join("\n");
    let lang = Lang::of(&joined);

    // 1. STOP and START, before anything else and whoever has the conversation.
    if let Some(command) = words.iter().rev().find_map(|w| optout::consent_command(w)) {
        let granted = command == ConsentCommand::Start;
        let customer = conversation.customer_id;
        for purpose in [Purpose::Marketing, Purpose::Utility] {
            customers::record_consent(tx, customer, purpose, granted, "whatsapp reply", now, None).await?;
        }
        let cancelled = if granted {
            0
        } else {
            scheduled::cancel_for_customer(tx, customer, None, "the customer replied STOP on WhatsApp")
                .await?
        };
        let action = if granted { "customer.opt_in" } else { "customer.opt_out" };
        let details = json!({"via": "whatsapp reply", "scheduled_cancelled": cancelled});
        let actor = crate::db::audit::Actor::Worker("converse");
        crate::db::audit::record(tx, &actor, action, Some(("customer", customer.0.to_string())), details)
            .await?;
        let text = if granted { lang.resubscribed() } else { lang.unsubscribed() };
        return Ok(Plan::Reply(Reply::fixed(text.to_owned(), None, json!({"consent": command}))));
    }
    if conversation.state != "bot" {
        return Ok(Plan::Silent("a human has this conversation"));
    }

    // 2. Nothing to read: a reaction needs no answer; media and unknown types get a short one.
    if words.is_empty() {
        let kinds: Vec<&str> = messages.iter().map(|m| m.kind.as_str()).collect();
        if kinds.iter().all(|k| *k == "reaction") {
            return Ok(Plan::Silent("only reactions"));
        }
        if kinds.iter().any(|k| matches!(*k, "image" | "video" | "document" | "audio" | "sticker")) {
            // A photo sent after a complaint is usually evidence: a person should look at it.
            return Ok(Plan::Reply(Reply::fixed(
                lang.thanks_for_media().to_owned(),
                Some("the customer sent media".into()),
                json!({"input": "media"}),
            )));
        }
        return Ok(Plan::Reply(Reply::fixed(
            lang.text_only().to_owned(),
            None,
            json!({"input": "unsupported"}),
        )));
    }

    // 3. Injection and abuse: no model reads it, a person does.
    if let Some(pattern) = guard::injection(&joined) {
        return Ok(Plan::Reply(Reply::fixed(
            lang.handing_over().to_owned(),
            Some(format!("input guardrail: {pattern}")),
            json!({"input": {"blocked": pattern}}),
        )));
    }

    // 4. Intent; what needs a person goes to one.
    let (intent, confidence) = ai.classifier.classify(&joined).await?;
    let anger = intent::negative_sentiment(&joined);
    let handoff = match intent {
        Intent::Complaint => Some("complaint"),
        Intent::ReturnRefund => Some("return or refund request"),
        Intent::HumanRequest => Some("asked for a person"),
        _ if anger >= intent::STRONG_NEGATIVE => Some("strong negative sentiment"),
        _ => None,
    };
    let labelled = |mut reply: Reply| {
        reply.intent = Some((intent, confidence));
        Plan::Reply(reply)
    };
    if let Some(why) = handoff {
        return Ok(labelled(Reply::fixed(
            lang.handing_over().to_owned(),
            Some(why.to_owned()),
            json!({"input": "ok", "sentiment": anger}),
        )));
    }
    if matches!(intent, Intent::Thanks | Intent::Smalltalk) {
        return Ok(labelled(Reply::fixed(lang.welcome().to_owned(), None, json!({"input": "ok"}))));
    }

    // 5. Retrieval: the nearest chunks of this merchant, re-ranked for diversity and for what
    // the customer bought; only those above the threshold may be used.
    let question = ai.embed_one(&joined).await?;
    let found = knowledge::candidates(tx, &question, ai.embedder.model(), CANDIDATES).await?;
    let bought = knowledge::purchased_products(tx, conversation.customer_id).await?;
    let best_score =
        found.iter().map(|c| c.hit.score).fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let hits: Vec<knowledge::Hit> = crate::knowledge::rerank(found, &bought, TOP_K)
        .into_iter()
        .filter(|h| h.score >= MIN_SCORE)
        .collect();
    let retrieval = json!({"best_score": best_score, "threshold": MIN_SCORE,
                           "used": hits.iter().map(|h| h.chunk_id).collect::<Vec<_>>()});
    if hits.is_empty() {
        return Ok(labelled(Reply::fixed(
            lang.dont_know().to_owned(),
            None,
            json!({"input": "ok", "retrieval": retrieval}),
        )));
    }

    // 6. The reply, checked on the way out; one regeneration told what was wrong, then a person.
    let allowed = allowed_claims(tx, &hits).await?;
    let history: Vec<Line> = conversations::history(tx, conversation.id, HISTORY)
        .await?
        .into_iter()
        .map(|(from, text)| Line { from: speaker(&from), text })
        .collect();
    let order = conversations::order_context(tx, conversation.customer_id).await?;
    let store = crate::db::merchants::get(tx).await?.name;
    let language = guard::language_of(&joined).unwrap_or(lang.code());
    let mut rejected: Vec<String> = Vec::new();
    let mut drafts = Vec::new();
    for _ in 0..2 {
        let brief = Brief {
            question: &joined,
            language,
            store_name: &store,
            history: &history,
            summary: conversation.summary.as_deref(),
            order: order.as_deref(),
            chunks: &hits,
            rejected: &rejected,
        };
        let draft = ai.composer.compose(&brief).await?;
        let problems = check_reply(&joined, &draft.reply, &allowed);
        drafts.push(json!({"passed": problems.is_empty(), "problems": problems, "action": draft.action}));
        if problems.is_empty() {
            let verdict = json!({"input": "ok", "output": drafts, "retrieval": retrieval});
            let handoff =
                (draft.action == Action::Handoff).then(|| "the assistant asked for a person".to_owned());
            return Ok(labelled(Reply {
                text: draft.reply,
                intent: None,
                handoff,
                resolve: draft.action == Action::Resolve,
                cited: draft.cited,
                guardrail: verdict,
                summary: draft.summary,
            }));
        }
        rejected = problems;
    }
    Ok(labelled(Reply::fixed(
        lang.handing_over().to_owned(),
        Some(format!("output guardrail: {}", rejected.join("; "))),
        json!({"input": "ok", "output": drafts, "retrieval": retrieval}),
    )))
}

/// Who wrote a history line, as the composer names them.
fn speaker(sent_by: &str) -> &'static str {
    match sent_by {
        "customer" => "customer",
        "agent" => "agent",
        _ => "bot",
    }
}

/// The output guardrails: every price, discount, link and quoted product name backed by the
/// merchant's data; no medical or legal claims; short enough; in the customer's language; no
/// phone number (someone else's data or an invented contact). Returns what failed.
pub fn check_reply(customer: &str, reply: &str, allowed: &guard::Allowed) -> Vec<String> {
    let mut problems = guard::unbacked_claims(reply, allowed);
    if reply.trim().is_empty() {
        problems.push("empty reply".into());
    }
    if let Some(claim) = guard::medical_or_legal(reply) {
        problems.push(format!("medical or legal claim: {claim}"));
    }
    if guard::too_long(reply) {
        problems.push("too long".into());
    }
    if !guard::same_language(customer, reply) {
        problems.push("not in the customer's language".into());
    }
    if guard::mentions_other_phone(reply, "") {
        problems.push("names a phone number".into());
    }
    problems
}

/// What a reply may mention: the catalog's prices, and the prices and links in the retrieved
/// chunks; the discount ceiling from the merchant's settings.
async fn allowed_claims(tx: &mut TenantTx, hits: &[knowledge::Hit]) -> Result<guard::Allowed> {
    let settings = crate::db::retention::get(tx).await?;
    let mut prices = knowledge::catalog_prices(tx).await?;
    let mut urls = knowledge::catalog_urls(tx).await?;
    let product_names = knowledge::catalog_names(tx).await?;
    for h in hits {
        prices.extend(guard::prices_in(&h.content));
        urls.extend(guard::urls_in(&h.content));
    }
    Ok(guard::Allowed { prices, max_discount_percent: settings.max_discount_percent, urls, product_names })
}
