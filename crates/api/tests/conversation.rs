//! Customers reply on WhatsApp: the signed webhook stores each message once, a conversation turn
//! answers (from the merchant's knowledge, or not at all), STOP works in every listed language,
//! and a complaint goes to a person. Replies go to a Meta Graph API mock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use revive_shared::db::whatsapp_accounts;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "platform-app-secret-for-conversations";

const FAQ: &str = "Our lavender soap is made with cold-pressed olive oil and lavender essential oil. \
It contains no parabens and no synthetic fragrance. One bar lasts about six weeks of daily use.";

/// Meta accepting a message, with a wamid of its own each time.
struct Accept;

impl wiremock::Respond for Accept {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "messages": [{"id": format!("wamid.reply-{}", uuid::Uuid::new_v4().simple())}]}))
    }
}

struct Chat {
    app: TestApp,
    owner: Account,
    meta: MockServer,
    pnid: String,
}

impl Chat {
    /// A merchant with a Meta number (replies go to the mock) and a lavender soap FAQ.
    async fn new() -> Self {
        let meta = MockServer::start().await;
        Mock::given(method("POST")).respond_with(Accept).mount(&meta).await;
        let app =
            spawn_app_with(&[("META_GRAPH_BASE_URL", &meta.uri()), ("WHATSAPP_APP_SECRET", SECRET)]).await;
        let owner = app.signup().await;
        let pnid = format!("20{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
        let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
        whatsapp_accounts::connect_meta(&mut tx, &app.config.cipher, &pnid, "EAAG-chat-token").await.unwrap();
        tx.commit().await.unwrap();
        let res = owner
            .post("/api/v1/knowledge/sources", json!({"kind": "faq", "title": "Soap FAQ", "content": FAQ}))
            .await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        eventually(20, "the FAQ to be embedded", || async {
            let s: Value = owner.get(&format!("/api/v1/knowledge/sources/{id}")).await.json().await.unwrap();
            (s["status"] == "ready").then_some(())
        })
        .await;
        Chat { app, owner, meta, pnid }
    }

    /// Posts `fixture` as Meta would, from `from`, with its first message's id set to `wamid`
    /// (and its text to `text`, for text messages). Returns the acknowledgement.
    async fn deliver(&self, fixture_name: &str, from: &str, wamid: &str, text: Option<&str>) -> Value {
        let mut body: Value = serde_json::from_slice(&fixture(fixture_name)).unwrap();
        let value = &mut body["entry"][0]["changes"][0]["value"];
        value["metadata"]["phone_number_id"] = json!(self.pnid);
        value["contacts"][0]["wa_id"] = json!(from);
        let message = &mut value["messages"][0];
        message["from"] = json!(from);
        message["id"] = json!(wamid);
        message["timestamp"] = json!(chrono::Utc::now().timestamp().to_string());
        if let Some(text) = text {
            message["text"]["body"] = json!(text);
        }
        let raw = serde_json::to_vec(&body).unwrap();
        let res = post_whatsapp(&self.app.base, "/webhooks/whatsapp", &raw, SECRET).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn say(&self, from: &str, text: &str) -> Value {
        let wamid = format!("wamid.in-{}", uuid::Uuid::new_v4().simple());
        self.deliver("whatsapp_inbound_text.json", from, &wamid, Some(text)).await
    }

    /// The texts sent to `to` so far.
    async fn replies_to(&self, to: &str) -> Vec<String> {
        self.meta
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
            .filter(|b| b["to"] == to)
            .map(|b| b["text"]["body"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits for the `n`th reply to `to`.
    async fn reply(&self, to: &str, n: usize) -> String {
        eventually(20, &format!("reply {n} to the customer"), || async {
            let replies = self.replies_to(to).await;
            replies.get(n - 1).cloned()
        })
        .await
    }

    async fn query<T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin>(
        &self,
        sql: &str,
    ) -> Vec<T> {
        let mut tx = self.app.db.begin(self.owner.merchant_id.into()).await.unwrap();
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
        rows
    }

    /// Waits until no inbound message is left unanswered and no reply is still being sent (a
    /// reply row is written with its turn, so nothing can be in flight after this).
    async fn settled(&self) {
        eventually(20, "every inbound message handled and every reply sent", || async {
            let open: Vec<(i64,)> = self
                .query(
                    "select count(*) from messages
                     where (direction = 'inbound' and handled_at is null)
                        or (direction = 'outbound' and status = 'pending')",
                )
                .await;
            (open[0].0 == 0).then_some(())
        })
        .await;
    }
}

#[tokio::test]
async fn a_product_question_is_answered_from_the_right_chunk_and_cites_it() {
    let c = Chat::new().await;
    let ack = c.say("4915112345601", "Does the lavender soap contain parabens?").await;
    assert_eq!(ack["messages_stored"], 1, "{ack}");
    let reply = c.reply("4915112345601", 1).await;
    assert!(reply.contains("It contains no parabens"), "{reply}");
    assert!(
        FAQ.contains(&reply) || reply.split(". ").all(|s| FAQ.contains(s.trim_end_matches('.'))),
        "only the FAQ's words: {reply}"
    );
    let rows: Vec<(Option<String>, Vec<uuid::Uuid>, Value)> =
        c.query("select intent, cited_chunk_ids, guardrail from messages where sent_by = 'bot'").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0.as_deref(), Some("product_question"));
    let chunk: Vec<(uuid::Uuid,)> = c.query("select id from knowledge_chunks").await;
    assert_eq!(rows[0].1, vec![chunk[0].0], "the reply cites the FAQ's chunk");
    assert_eq!(rows[0].2["output"]["passed"], true, "{}", rows[0].2);
}

#[tokio::test]
async fn a_question_the_knowledge_cannot_answer_is_not_invented() {
    let c = Chat::new().await;
    c.say("4915112345602", "Do you deliver to Antarctica by drone on Sundays?").await;
    let reply = c.reply("4915112345602", 1).await;
    assert!(reply.contains("not sure") && reply.contains("team"), "{reply}");
    let cited: Vec<(Vec<uuid::Uuid>,)> =
        c.query("select cited_chunk_ids from messages where sent_by = 'bot'").await;
    assert!(cited[0].0.is_empty());
}

#[tokio::test]
async fn stop_in_every_listed_language_revokes_consent_and_cancels_pending_messages() {
    let c = Chat::new().await;
    let (_, key) = c.owner.create_key(&["events:write"]).await;
    let words = ["STOP", "baja", "parar", "DUR", "Stopp", "arrêt", "band karo", "unsubscribe please"];
    for (i, word) in words.iter().enumerate() {
        let phone = format!("49151123457{i:02}");
        // A delivered order first: its check-in and review are pending.
        let event = json!({"type": "order.delivered", "external_id": format!("stop-{i}"),
            "occurred_at": chrono::Utc::now().to_rfc3339(),
            "order": {"id": format!("S{i}"), "items": [{"title": "Lavender soap"}]},
            "customer": {"phone": format!("+{phone}"), "marketing_consent": true}});
        let res = reqwest::Client::new()
            .post(c.app.url("/api/v1/events"))
            .header("x-api-key", &key)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        eventually(15, "the schedules", || async {
            let n: Vec<(i64,)> = c
                .query(&format!("select count(*) from scheduled_messages s join orders o on o.id = s.order_id where o.external_order_id = 'S{i}' and s.status = 'scheduled'"))
                .await;
            (n[0].0 == 2).then_some(())
        })
        .await;

        c.say(&phone, word).await;
        let confirmation = c.reply(&phone, 1).await;
        assert!(confirmation.contains("START"), "{word}: {confirmation}");
        let rows: Vec<(String, Option<String>)> = c
            .query(&format!("select s.status, s.reason from scheduled_messages s join orders o on o.id = s.order_id where o.external_order_id = 'S{i}'"))
            .await;
        assert!(rows.iter().all(|r| r.0 == "cancelled"), "{word}: {rows:?}");
        assert!(rows[0].1.as_deref().unwrap_or_default().contains("STOP"), "{rows:?}");
        c.settled().await;
        assert_eq!(c.replies_to(&phone).await.len(), 1, "one confirmation for {word}");
    }
    let consent: Vec<(bool, bool)> =
        c.query("select consent_marketing, consent_utility from customers").await;
    assert_eq!(consent.len(), words.len());
    assert!(consent.iter().all(|c| !c.0 && !c.1), "{consent:?}");
    // START subscribes again.
    c.say("4915112345700", "START").await;
    assert!(c.reply("4915112345700", 2).await.contains("STOP"));
}

#[tokio::test]
async fn a_complaint_goes_to_a_person_and_the_bot_stays_silent_after() {
    let c = Chat::new().await;
    c.say("4915112345603", "The soap arrived broken, this is terrible").await;
    let reply = c.reply("4915112345603", 1).await;
    assert!(reply.contains("team"), "{reply}");
    let state: Vec<(String, bool, Option<String>)> =
        c.query("select state, needs_attention, handoff_reason from conversations").await;
    assert_eq!(state[0].0, "human");
    assert!(state[0].1);
    assert_eq!(state[0].2.as_deref(), Some("complaint"));

    c.say("4915112345603", "Does the lavender soap contain parabens?").await;
    c.settled().await;
    assert_eq!(c.replies_to("4915112345603").await.len(), 1, "the bot says nothing while a person has it");

    // The inbox shows it; an agent reads it, answers by hand and gives it back to the bot.
    let inbox: Value = c.owner.get("/api/v1/conversations?needs_attention=true").await.json().await.unwrap();
    assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(inbox[0]["window_open"], true);
    let thread: Value = c.owner.get(&format!("/api/v1/conversations/{id}")).await.json().await.unwrap();
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{thread}");
    assert_eq!(messages[1]["sent_by"], "bot");
    assert_eq!(messages[1]["intent"], "complaint");
    let res = c
        .owner
        .post(
            &format!("/api/v1/conversations/{id}/reply"),
            json!({"text": "So sorry! A new one is on its way."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(c.reply("4915112345603", 2).await, "So sorry! A new one is on its way.");
    let other = c.app.signup().await;
    assert_eq!(other.get(&format!("/api/v1/conversations/{id}")).await.status(), 404);
    assert_eq!(other.post(&format!("/api/v1/conversations/{id}/release"), json!({})).await.status(), 404);
    let released: Value =
        c.owner.post(&format!("/api/v1/conversations/{id}/release"), json!({})).await.json().await.unwrap();
    assert_eq!(
        (released["state"].as_str(), released["needs_attention"].as_bool()),
        (Some("bot"), Some(false))
    );
    c.say("4915112345603", "Does the lavender soap contain parabens?").await;
    assert!(c.reply("4915112345603", 3).await.contains("parabens"), "the bot answers again");
}

#[tokio::test]
async fn every_inbound_type_is_handled_and_a_duplicate_delivery_answers_once() {
    let c = Chat::new().await;
    let cases = [
        ("whatsapp_inbound_image.json", "4915112345610", Some("picture")),
        ("whatsapp_inbound_unsupported.json", "4915112345611", Some("only read text")),
        ("whatsapp_inbound_order.json", "4915112345612", Some("only read text")),
        ("whatsapp_interactive_button_reply.json", "4915112345613", None),
        ("whatsapp_interactive_list_reply.json", "4915112345614", None),
        ("whatsapp_template_quick_reply_button.json", "4915112345615", None),
        ("whatsapp_inbound_text_reply_context.json", "4915112345616", None),
        ("whatsapp_inbound_referral_ctwa.json", "4915112345617", None),
        ("whatsapp_inbound_reaction.json", "4915112345618", None),
    ];
    for (file, from, _) in &cases {
        let ack = c.deliver(file, from, &format!("wamid.{file}"), None).await;
        assert_eq!(ack["messages_stored"], 1, "{file}: {ack}");
    }
    c.settled().await;
    for (file, from, expected) in &cases {
        let replies = c.replies_to(from).await;
        if *file == "whatsapp_inbound_reaction.json" {
            assert!(replies.is_empty(), "a reaction needs no answer: {replies:?}");
        } else {
            assert_eq!(replies.len(), 1, "{file}: {replies:?}");
        }
        if let Some(expected) = expected {
            assert!(replies[0].contains(expected), "{file}: {replies:?}");
        }
    }

    // Meta delivers the same message twice, and two quick messages make one turn.
    let wamid = "wamid.twice";
    let first = c.deliver("whatsapp_inbound_text.json", "4915112345620", wamid, Some("Hi!")).await;
    let again = c.deliver("whatsapp_inbound_text.json", "4915112345620", wamid, Some("Hi!")).await;
    assert_eq!((first["messages_stored"].clone(), again["messages_duplicate"].clone()), (json!(1), json!(1)));
    c.say("4915112345620", "Does the lavender soap contain parabens?").await;
    let reply = c.reply("4915112345620", 1).await;
    assert!(reply.contains("parabens"), "one turn answers both: {reply}");
    c.settled().await;
    assert_eq!(c.replies_to("4915112345620").await.len(), 1);
}

#[tokio::test]
async fn a_turn_that_keeps_failing_goes_to_a_person_with_the_reason() {
    let c = Chat::new().await;
    c.say("4915112345630", "Does the lavender soap contain parabens?").await;
    // Before its turn runs (a few seconds later): a phone that no longer decrypts, so every run
    // of the turn fails.
    let broken: Vec<(uuid::Uuid,)> =
        c.query("update customers set phone_enc = decode('00', 'hex') returning id").await;
    assert_eq!(broken.len(), 1);
    let state = eventually(60, "the turn to be given up", || async {
        let rows: Vec<(String, bool, Option<String>)> =
            c.query("select state, needs_attention, handoff_reason from conversations").await;
        (rows[0].0 == "human").then(|| rows[0].clone())
    })
    .await;
    assert!(state.1);
    assert!(state.2.as_deref().unwrap_or_default().contains("could not answer after 5 tries"), "{state:?}");
    c.settled().await;
    assert!(c.replies_to("4915112345630").await.is_empty());
}
