//! Customers reply on WhatsApp: the signed webhook stores each message once, a conversation turn
//! answers (from the merchant's knowledge, or not at all), STOP works in every listed language,
//! and a complaint goes to a person. Replies go to a Meta Graph API mock. The first tests use the
//! built-in providers; the `hosted_` ones an OpenAI-compatible mock server.
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
        Self::with_env(&[]).await
    }

    async fn with_env(env: &[(&str, &str)]) -> Self {
        let meta = MockServer::start().await;
        Mock::given(method("POST")).respond_with(Accept).mount(&meta).await;
        // Apps with different embedding models share this test database: none re-embeds the
        // others' sources.
        let mut vars = vec![
            ("META_GRAPH_BASE_URL", meta.uri()),
            ("WHATSAPP_APP_SECRET", SECRET.to_owned()),
            ("KNOWLEDGE_REEMBED", "false".to_owned()),
        ];
        vars.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let app = spawn_app_with(&vars).await;
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
    assert_eq!(rows[0].2["output"][0]["passed"], true, "{}", rows[0].2);
    // The inbox names the cited source by its title.
    let conversation: Vec<(uuid::Uuid,)> = c.query("select id from conversations").await;
    let thread: Value =
        c.owner.get(&format!("/api/v1/conversations/{}", conversation[0].0)).await.json().await.unwrap();
    let bot = thread["messages"].as_array().unwrap().iter().find(|m| m["sent_by"] == "bot").unwrap();
    assert_eq!(bot["cited_sources"][0]["title"], "Soap FAQ", "{bot}");
    assert_eq!(bot["cited_sources"][0]["chunk_id"], chunk[0].0.to_string());
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

// --- With a hosted model: an OpenAI-compatible mock server ---------------------------------------

/// What the mock's "model" writes for a reply, given the chat request and how many replies it
/// wrote before.
type Writer = dyn Fn(&Value, usize) -> Value + Send + Sync;

/// An OpenAI-compatible endpoint: embeddings by the built-in hashing embedder (so the test knows
/// which chunk is nearest), intents by the lexical classifier, replies by `write`.
struct OpenAiMock {
    write: Box<Writer>,
    replies: std::sync::atomic::AtomicUsize,
}

impl wiremock::Respond for OpenAiMock {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        if req.url.path().ends_with("/embeddings") {
            let data: Vec<Value> = body["input"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    json!({"object": "embedding", "index": i,
                           "embedding": revive_shared::ai::embed::hash_embed(text.as_str().unwrap())})
                })
                .collect();
            return ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data,
                "model": body["model"], "usage": {"prompt_tokens": 7, "total_tokens": 7}}));
        }
        let content = match body["response_format"]["json_schema"]["name"].as_str() {
            Some("classify") => {
                let text = body["messages"][1]["content"].as_str().unwrap();
                let (intent, confidence) = revive_shared::ai::intent::classify_local(text);
                json!({"intent": intent, "confidence": confidence})
            }
            _ => {
                let n = self.replies.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (self.write)(&body, n)
            }
        };
        ResponseTemplate::new(200).set_body_json(json!({"id": "chatcmpl-mock", "object": "chat.completion",
            "created": 1_764_000_000, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content.to_string()}}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}}))
    }
}

/// A merchant whose replies are written by `write` at an OpenAI-compatible mock.
async fn hosted(write: impl Fn(&Value, usize) -> Value + Send + Sync + 'static) -> (Chat, MockServer) {
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(OpenAiMock { write: Box::new(write), replies: Default::default() })
        .mount(&llm)
        .await;
    let base = format!("{}/v1", llm.uri());
    let c = Chat::with_env(&[
        ("OPENAI_API_KEY", "sk-test-hosted"),
        ("OPENAI_BASE_URL", &base),
        ("AI_CHAT_MODEL", "mock-chat"),
        ("AI_EMBEDDING_MODEL", "mock-embed"),
    ])
    .await;
    (c, llm)
}

/// The reply requests the mock received, in order.
async fn reply_requests(llm: &MockServer) -> Vec<Value> {
    llm.received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["response_format"]["json_schema"]["name"] == "reply")
        .collect()
}

/// The ids of the passages a reply request showed the model.
fn passage_ids(request: &Value) -> Vec<String> {
    let context = request["messages"][1]["content"].as_str().unwrap();
    context
        .lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.split_once(']')).map(|(id, _)| id.to_owned()))
        .collect()
}

#[tokio::test]
async fn hosted_a_product_question_is_answered_from_the_right_chunk_and_cites_it() {
    let (c, llm) = hosted(|request, _| {
        let ids = passage_ids(request);
        json!({"reply": "No, our lavender soap has no parabens.", "action": "continue",
               "cited_chunk_ids": [ids[0], "not-a-uuid", uuid::Uuid::new_v4().to_string()],
               "summary": "The customer asked whether the lavender soap has parabens."})
    })
    .await;
    let chunk: Vec<(uuid::Uuid, String)> = c.query("select id, embedding_model from knowledge_chunks").await;
    assert_eq!(chunk[0].1, "mock-embed", "chunks record the hosted embedding model");

    c.say("4915112345640", "Does the lavender soap contain parabens?").await;
    assert_eq!(c.reply("4915112345640", 1).await, "No, our lavender soap has no parabens.");
    let rows: Vec<(Option<String>, Vec<uuid::Uuid>, Value)> =
        c.query("select intent, cited_chunk_ids, guardrail from messages where sent_by = 'bot'").await;
    assert_eq!(rows[0].0.as_deref(), Some("product_question"));
    assert_eq!(rows[0].1, vec![chunk[0].0], "only the chunk the model was shown is kept as cited");
    assert_eq!(rows[0].2["output"][0]["passed"], true, "{}", rows[0].2);

    let requests = reply_requests(&llm).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["model"], "mock-chat");
    assert_eq!(request["response_format"]["json_schema"]["strict"], true);
    assert!(request["messages"][1]["content"].as_str().unwrap().contains("no parabens"), "{request}");
    let last = request["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(last["content"], "Does the lavender soap contain parabens?");
    let auth = llm.received_requests().await.unwrap()[0].headers.get("authorization").cloned();
    assert_eq!(auth.unwrap().to_str().unwrap(), "Bearer sk-test-hosted");

    // The next turn carries the history and the rolling summary the model wrote.
    let summary: Vec<(Option<String>,)> = c.query("select summary from conversations").await;
    assert_eq!(summary[0].0.as_deref(), Some("The customer asked whether the lavender soap has parabens."));
    c.say("4915112345640", "And how long does one bar of the lavender soap last?").await;
    c.reply("4915112345640", 2).await;
    let second = &reply_requests(&llm).await[1];
    let text = second.to_string();
    assert!(text.contains("Conversation so far: The customer asked whether"), "{second}");
    let roles: Vec<&str> =
        second["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "system", "user", "assistant", "user"], "{second}");
}

#[tokio::test]
async fn hosted_a_question_the_knowledge_cannot_answer_is_not_sent_to_the_model() {
    let (c, llm) = hosted(|_, _| {
        json!({"reply": "Yes, drones every Sunday!", "action": "continue",
                                        "cited_chunk_ids": [], "summary": ""})
    })
    .await;
    c.say("4915112345641", "Do you deliver to Antarctica by drone on Sundays?").await;
    let reply = c.reply("4915112345641", 1).await;
    assert!(reply.contains("not sure") && reply.contains("team"), "{reply}");
    assert!(reply_requests(&llm).await.is_empty(), "nothing to answer from: no reply is written");
    // STOP never reaches the model either.
    let before = llm.received_requests().await.unwrap().len();
    c.say("4915112345641", "STOP").await;
    assert!(c.reply("4915112345641", 2).await.contains("START"));
    assert_eq!(llm.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn hosted_a_reply_naming_a_price_not_in_the_catalog_is_blocked() {
    // Every draft names a price the merchant never set.
    let (c, llm) = hosted(|request, _| {
        json!({"reply": "Yes! It is only $99.00 and it has no parabens.", "action": "continue",
               "cited_chunk_ids": passage_ids(request), "summary": "Parabens and price."})
    })
    .await;
    c.say("4915112345642", "Does the lavender soap contain parabens?").await;
    let reply = c.reply("4915112345642", 1).await;
    assert!(!reply.contains("99"), "{reply}");
    assert!(reply.contains("team"), "a person takes over: {reply}");
    let requests = reply_requests(&llm).await;
    assert_eq!(requests.len(), 2, "one regeneration, then a person");
    assert!(requests[1].to_string().contains("price $99.00 is not in the catalog"), "{}", requests[1]);
    let verdict: Vec<(Value,)> = c.query("select guardrail from messages where sent_by = 'bot'").await;
    let drafts = verdict[0].0["output"].as_array().unwrap().clone();
    assert_eq!(drafts.len(), 2);
    assert!(drafts.iter().all(|d| d["passed"] == false), "{drafts:?}");
    let state: Vec<(String, Option<String>)> =
        c.query("select state, handoff_reason from conversations").await;
    assert_eq!(state[0].0, "human");
    assert!(state[0].1.as_deref().unwrap().contains("price $99.00"), "{state:?}");
}

#[tokio::test]
async fn hosted_a_rejected_draft_is_written_again_once_and_the_second_is_sent() {
    let (c, llm) = hosted(|request, n| {
        let reply = if n == 0 {
            "No parabens! Take 30% off with code SOAP30."
        } else {
            "No, our lavender soap contains no parabens."
        };
        json!({"reply": reply, "action": "resolve", "cited_chunk_ids": passage_ids(request), "summary": "Parabens."})
    })
    .await;
    c.say("4915112345643", "Does the lavender soap contain parabens?").await;
    assert_eq!(c.reply("4915112345643", 1).await, "No, our lavender soap contains no parabens.");
    assert_eq!(reply_requests(&llm).await.len(), 2);
    let verdict: Vec<(Value,)> = c.query("select guardrail from messages where sent_by = 'bot'").await;
    assert_eq!(verdict[0].0["output"][0]["passed"], false);
    assert_eq!(verdict[0].0["output"][1]["passed"], true);
    // "resolve" closes the conversation (and never shows in the text); a new message reopens it.
    let state: Vec<(String,)> = c.query("select state from conversations").await;
    assert_eq!(state[0].0, "closed");
    c.say("4915112345643", "How long does one bar of lavender soap last?").await;
    c.reply("4915112345643", 2).await;
    let state: Vec<(String,)> = c.query("select state from conversations").await;
    assert_eq!(state[0].0, "closed", "answered and resolved again");
    assert_eq!(reply_requests(&llm).await.len(), 3);
}

#[tokio::test]
async fn hosted_a_complaint_hands_off_and_a_model_outage_is_a_clear_503() {
    let (c, llm) = hosted(|_, _| json!({})).await;
    c.say("4915112345644", "The soap arrived broken, this is terrible").await;
    assert!(c.reply("4915112345644", 1).await.contains("team"));
    let state: Vec<(String, Option<String>)> =
        c.query("select state, handoff_reason from conversations").await;
    assert_eq!((state[0].0.as_str(), state[0].1.as_deref()), ("human", Some("complaint")));
    assert!(reply_requests(&llm).await.is_empty());

    let res = c.owner.post("/api/v1/conversation/classify", json!({"text": "where is my order?"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["intent"], "order_status");
    // The endpoint goes down: the API says so, in the documented shape.
    llm.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&llm).await;
    let res = c.owner.post("/api/v1/conversation/classify", json!({"text": "where is my order?"})).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "unavailable");
}

// --- The phone simulator ------------------------------------------------------------------------

#[tokio::test]
async fn the_simulator_plays_a_customer_of_a_sandbox_store_through_the_real_webhook_path() {
    let app = spawn_app_with(&[("KNOWLEDGE_REEMBED", "false")]).await;
    let owner = app.signup().await;
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

    let res = owner
        .post("/api/v1/simulator/messages", json!({"text": "Does the lavender soap contain parabens?"}))
        .await;
    assert_eq!(res.status(), 202);
    let out: Value = res.json().await.unwrap();
    let conversation = out["conversation_id"].as_str().unwrap().to_owned();
    let thread = eventually(20, "the bot's reply in the conversation", || async {
        let t: Value =
            owner.get(&format!("/api/v1/conversations/{conversation}")).await.json().await.unwrap();
        // The reply is recorded before it is sent: wait for the sandbox's outcome too.
        let m = t["messages"].as_array().unwrap();
        (m.len() == 2 && m[1]["status"] != "pending").then_some(t.clone())
    })
    .await;
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(
        (messages[0]["direction"].as_str(), messages[0]["sent_by"].as_str()),
        (Some("inbound"), Some("customer"))
    );
    assert!(messages[1]["body"].as_str().unwrap().contains("no parabens"), "{thread}");
    assert_eq!(messages[1]["status"], "delivered", "the sandbox delivers: {thread}");

    // A second customer, by number; bad input is a clear 422; a viewer cannot play customers.
    let res =
        owner.post("/api/v1/simulator/messages", json!({"text": "STOP", "phone": "+49 151 12345650"})).await;
    assert_eq!(res.status(), 202);
    assert_ne!(res.json::<Value>().await.unwrap()["conversation_id"], json!(conversation));
    let res = owner.post("/api/v1/simulator/messages", json!({"text": "hi", "phone": "12"})).await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["error"]["fields"]["phone"].is_array());
    assert_eq!(owner.post("/api/v1/simulator/messages", json!({"text": "  "})).await.status(), 422);
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    assert_eq!(viewer.post("/api/v1/simulator/messages", json!({"text": "hi"})).await.status(), 403);

    // Once a real number is connected the simulator refuses: its replies would go to a phone.
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let pnid = format!("21{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
    whatsapp_accounts::connect_meta(&mut tx, &app.config.cipher, &pnid, "EAAG-real").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(owner.post("/api/v1/simulator/messages", json!({"text": "hi"})).await.status(), 409);
}

#[tokio::test]
async fn outside_the_window_an_agent_answers_with_an_approved_template() {
    let c = Chat::new().await;
    let (_, key) = c.owner.create_key(&["events:write"]).await;
    let event = json!({"type": "order.created", "external_id": "tpl-1",
        "occurred_at": chrono::Utc::now().to_rfc3339(),
        "order": {"id": "T-1", "number": "#1042", "items": [{"title": "Lavender soap"}]},
        "customer": {"phone": "+4915112345660", "name": "Ana Lima", "marketing_consent": true}});
    let res = reqwest::Client::new()
        .post(c.app.url("/api/v1/events"))
        .header("x-api-key", &key)
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    eventually(15, "the order", || async {
        let n: Vec<(i64,)> = c.query("select count(*) from orders where order_number = '#1042'").await;
        (n[0].0 == 1).then_some(())
    })
    .await;
    c.say("4915112345660", "The soap arrived broken").await;
    c.reply("4915112345660", 1).await;
    c.settled().await;
    // Two days later: the customer's window has closed.
    let ids: Vec<(uuid::Uuid,)> =
        c.query("update conversations set last_inbound_at = now() - interval '2 days' returning id").await;
    let path = format!("/api/v1/conversations/{}/reply", ids[0].0);
    let res = c.owner.post(&path, json!({"text": "Any news?"})).await;
    assert_eq!(res.status(), 409);

    let template = json!({"flow": "checkin", "name": "agent_follow_up", "language": "en", "category": "utility",
        "body": "Hi {{first_name}}, about order {{order_number}}: we have news for you.",
        "meta_template_name": "agent_follow_up"});
    let created: Value = c.owner.post("/api/v1/templates", template).await.json().await.unwrap();
    let template_id = created["id"].as_str().unwrap().to_owned();
    let res = c.owner.post(&path, json!({"template_id": template_id})).await;
    assert_eq!(res.status(), 422, "a draft cannot be sent");
    let res = c.owner.patch(&format!("/api/v1/templates/{template_id}"), json!({"status": "approved"})).await;
    assert_eq!(res.status(), 200);
    let res = c.owner.post(&path, json!({"template_id": template_id})).await;
    assert_eq!(res.status(), 201);
    let sent: Vec<Value> = c
        .meta
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["type"] == "template")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["template"]["name"], "agent_follow_up");
    assert_eq!(sent[0]["to"], "4915112345660");
    let params = &sent[0]["template"]["components"][0]["parameters"];
    assert_eq!(
        (params[0]["text"].as_str(), params[1]["text"].as_str()),
        (Some("Ana"), Some("#1042")),
        "{sent:?}"
    );
    let rows: Vec<(String, Option<String>)> =
        c.query("select kind, body from messages where sent_by = 'agent'").await;
    assert_eq!(rows[0].0, "template");
    assert_eq!(rows[0].1.as_deref(), Some("Hi Ana, about order #1042: we have news for you."));

    // Neither or both is a 422; a customer who said STOP gets no template.
    assert_eq!(c.owner.post(&path, json!({})).await.status(), 422);
    assert_eq!(c.owner.post(&path, json!({"text": "x", "template_id": template_id})).await.status(), 422);
    c.say("4915112345660", "STOP").await;
    c.settled().await;
    let _: Vec<(uuid::Uuid,)> =
        c.query("update conversations set last_inbound_at = now() - interval '2 days' returning id").await;
    assert_eq!(c.owner.post(&path, json!({"template_id": template_id})).await.status(), 409);
}
