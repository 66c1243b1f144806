//! The conversation manager: one turn answers every message a customer sent since the last
//! turn. In order: STOP / START (no model, always); silence while a human has the conversation;
//! messages that are not text; prompt-injection and abuse; intent, with complaints, refunds,
//! explicit requests and strong anger handed to a human; retrieval over the merchant's knowledge;
//! an extractive reply from the best chunk; the guardrails on the reply. Every verdict is kept for
//! the reply's message row.
//!
//! The built-in (local) providers run here: the lexical classifier, the hashing embedder and an
//! extractive composer, so a reply never says anything the merchant's texts do not.

mod texts;

use serde_json::json;

use crate::Result;
use crate::ai::intent::{self, Intent};
use crate::ai::optout::{self, ConsentCommand};
use crate::ai::{guard, text};
use crate::db::conversations::{Conversation, Unhandled};
use crate::db::customers::{self, Purpose};
use crate::db::{TenantTx, knowledge, scheduled};

pub use texts::Lang;

/// A chunk must be at least this similar to the question to be used: below it, the bot says it
/// does not know rather than answer from something unrelated.
pub const MIN_SCORE: f64 = 0.2;
/// Chunks retrieved per question.
pub const TOP_K: i64 = 5;

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
    pub cited: Vec<uuid::Uuid>,
    /// Every check made, for the message row.
    pub guardrail: serde_json::Value,
}

impl Reply {
    fn fixed(text: String, handoff: Option<String>, guardrail: serde_json::Value) -> Self {
        Reply { text, intent: None, handoff, cited: Vec::new(), guardrail }
    }
}

/// Plans the turn for `messages` (oldest first), applying a STOP / START to the consent ledger
/// and the customer's pending messages in the same transaction.
pub async fn plan(
    tx: &mut TenantTx,
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
        if !granted {
            scheduled::cancel_for_customer(tx, customer, None, "the customer replied STOP on WhatsApp")
                .await?;
        }
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
    let (intent, confidence) = intent::classify_local(&joined);
    let anger = intent::negative_sentiment(&joined);
    let handoff = match intent {
        Intent::Complaint => Some("complaint"),
        Intent::ReturnRefund => Some("return or refund request"),
        Intent::HumanRequest => Some("asked for a person"),
        _ if anger >= intent::STRONG_NEGATIVE => Some("strong negative sentiment"),
        _ => None,
    };
    if let Some(why) = handoff {
        let mut reply = Reply::fixed(
            lang.handing_over().to_owned(),
            Some(why.to_owned()),
            json!({"input": "ok", "sentiment": anger}),
        );
        reply.intent = Some((intent, confidence));
        return Ok(Plan::Reply(reply));
    }
    if matches!(intent, Intent::Thanks | Intent::Smalltalk) {
        let mut reply = Reply::fixed(lang.welcome().to_owned(), None, json!({"input": "ok"}));
        reply.intent = Some((intent, confidence));
        return Ok(Plan::Reply(reply));
    }

    // 5. Retrieval and an extractive answer.
    let model = crate::knowledge::model();
    let query = crate::knowledge::embed_one(&joined);
    let hits = knowledge::search(tx, &query, model, TOP_K).await?;
    let best = hits.iter().find(|h| h.score >= MIN_SCORE);
    let Some(best) = best else {
        let mut reply = Reply::fixed(
            lang.dont_know().to_owned(),
            None,
            json!({"input": "ok", "retrieval": {"best_score": hits.first().map(|h| h.score), "threshold": MIN_SCORE}}),
        );
        reply.intent = Some((intent, confidence));
        return Ok(Plan::Reply(reply));
    };
    let answer = compose(&joined, &best.content);

    // 6. Guardrails on the way out: everything priced, discounted or linked must be the
    // merchant's own; no medical or legal claims; short; nobody else's number.
    let allowed = allowed_claims(tx, &hits).await?;
    let mut problems = guard::unbacked_claims(&answer, &allowed);
    if let Some(claim) = guard::medical_or_legal(&answer) {
        problems.push(format!("medical or legal claim: {claim}"));
    }
    if guard::too_long(&answer) {
        problems.push("too long".into());
    }
    if guard::mentions_other_phone(&answer, "") {
        problems.push("names a phone number".into());
    }
    let verdict = json!({"input": "ok", "output": {"passed": problems.is_empty(), "problems": problems},
                         "retrieval": {"best_score": best.score, "threshold": MIN_SCORE}});
    if !problems.is_empty() {
        let mut reply = Reply::fixed(
            lang.handing_over().to_owned(),
            Some(format!("output guardrail: {}", problems.join("; "))),
            verdict,
        );
        reply.intent = Some((intent, confidence));
        return Ok(Plan::Reply(reply));
    }
    Ok(Plan::Reply(Reply {
        text: answer,
        intent: Some((intent, confidence)),
        handoff: None,
        cited: vec![best.chunk_id],
        guardrail: verdict,
    }))
}

/// A word without a plural or third-person `s`, so "contain" meets "contains".
fn stem(word: &str) -> &str {
    if word.chars().count() > 4 { word.strip_suffix('s').unwrap_or(word) } else { word }
}

/// The sentences of `chunk` that share the most words with `question`, at most two, in their
/// original order: an answer made only of the merchant's own words.
pub fn compose(question: &str, chunk: &str) -> String {
    let folded_question = text::fold(question);
    let asked: std::collections::HashSet<&str> =
        text::words(&folded_question).into_iter().filter(|w| w.chars().count() > 2).map(stem).collect();
    let sentences = crate::ai::chunk::sentences(chunk);
    let mut scored: Vec<(usize, usize)> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let folded = text::fold(s);
            (i, text::words(&folded).into_iter().filter(|w| asked.contains(stem(w))).count())
        })
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = scored.iter().take(2).filter(|(_, n)| *n > 0).map(|(i, _)| *i).collect();
    if chosen.is_empty() {
        chosen.push(0);
    }
    chosen.sort_unstable();
    chosen.iter().filter_map(|i| sentences.get(*i)).cloned().collect::<Vec<_>>().join(" ")
}

/// What a reply may mention: the catalog's prices, and the prices and links in the retrieved
/// chunks; the discount ceiling from the merchant's settings.
async fn allowed_claims(tx: &mut TenantTx, hits: &[knowledge::Hit]) -> Result<guard::Allowed> {
    let settings = crate::db::retention::get(tx).await?;
    let mut prices = knowledge::catalog_prices(tx).await?;
    let mut urls = knowledge::catalog_urls(tx).await?;
    for h in hits {
        prices.extend(guard::prices_in(&h.content));
        urls.extend(guard::urls_in(&h.content));
    }
    Ok(guard::Allowed {
        prices,
        max_discount_percent: settings.max_discount_percent,
        urls,
        product_names: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_composer_keeps_the_sentences_that_answer() {
        let chunk =
            "Our lavender soap is made with olive oil. It contains no parabens. One bar lasts six weeks.";
        assert_eq!(compose("Do you use parabens?", chunk), "It contains no parabens.");
        assert_eq!(
            compose("Does the soap contain parabens?", chunk),
            "Our lavender soap is made with olive oil. It contains no parabens."
        );
        assert_eq!(
            compose("how long does one bar of lavender soap last", chunk),
            "Our lavender soap is made with olive oil. One bar lasts six weeks."
        );
        assert_eq!(compose("xyz", chunk), "Our lavender soap is made with olive oil.");
    }
}
