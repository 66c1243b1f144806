//! A worker process SIGKILLed in the middle of 10,000 due sends, then a fresh one started: every
//! message reaches the Meta mock exactly once and none is lost.
//!
//! The mock answers like Meta (a wamid per message, after a delay) and the test plays Meta's
//! status webhook: every accepted message gets a `sent` status with its
//! `biz_opaque_callback_data`, applied by the same code `/webhooks/whatsapp` runs. That is what
//! settles the sends the killed worker made but never recorded; the ones it recorded an intent
//! for but never made are sent again once no status confirms them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use revive_shared::config::Config;
use revive_shared::db::{self, Db, customers, merchants, message_status, retention, whatsapp_accounts};
use revive_shared::ids::MerchantId;
use revive_shared::phone::PhoneE164;
use revive_shared::whatsapp::webhook::Status;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SENDS: usize = 10_000;
const KILL_AFTER: usize = 3_000;

/// Workers with room for many sends at once; a stuck send is reconciled after 10 s, longer than
/// any healthy send takes here and far shorter than production's 10 minutes.
fn vars(prefix: &str, meta: &str) -> Vec<(String, String)> {
    common::vars(
        prefix,
        &[
            ("WORKER_CONCURRENCY", "32"),
            ("DATABASE_MAX_CONNECTIONS", "16"),
            ("SEND_STUCK_SECS", "10"),
            ("META_GRAPH_BASE_URL", meta),
        ],
    )
}

/// Meta's answer to a send: accepted, with a wamid derived from the scheduled id it echoes.
struct Accept;

impl Respond for Accept {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let callback = body["biz_opaque_callback_data"].as_str().unwrap_or("none");
        ResponseTemplate::new(200)
            .set_body_json(json!({"messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": format!("wamid.{callback}")}]}))
            .set_delay(Duration::from_millis(15))
    }
}

/// Seeds `SENDS` delivered orders, each with a check-in due a minute ago.
async fn seed(db: &Db, config: &Config, merchant: MerchantId, phone_number_id: &str) {
    let mut tx = db.begin(merchant).await.unwrap();
    merchants::create(&mut tx, "Kill-send test").await.unwrap();
    let c = whatsapp_accounts::Connect {
        phone_number_id,
        waba_id: None,
        access_token: "EAAG-kill-test-token",
        app_secret: None,
        verify_token: None,
        messages_per_second: Some(1000),
    };
    whatsapp_accounts::connect(&mut tx, &config.cipher, &c).await.unwrap();
    let mut settings = retention::get(&mut tx).await.unwrap();
    settings.quiet_hours_start = chrono::NaiveTime::MIN;
    settings.quiet_hours_end = chrono::NaiveTime::MIN;
    retention::put(&mut tx, &settings).await.unwrap();
    sqlx::query(
        "insert into message_templates (merchant_id, flow, name, body, meta_template_name, status)
         values ($1, 'checkin', 'checkin', 'Hi {{first_name}}', 'order_checkin', 'approved')",
    )
    .bind(merchant.0)
    .execute(tx.conn())
    .await
    .unwrap();
    for i in 0..SENDS {
        let phone = PhoneE164::parse(&format!("+49151{:08}", 40_000_000 + i), None).unwrap();
        customers::upsert_by_phone(&mut tx, &config.cipher, &config.blind_index, &phone, Some("Kim Example"))
            .await
            .unwrap();
    }
    sqlx::raw_sql(
        "update customers set consent_utility = true;
         insert into orders (merchant_id, customer_id, external_order_id, delivered_at)
           select merchant_id, id, 'o-' || id, now() - interval '1 hour' from customers;
         insert into scheduled_messages (merchant_id, customer_id, order_id, flow, due_at, trail)
           select merchant_id, customer_id, id, 'checkin', now() - interval '1 minute', '[]' from orders",
    )
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Plays Meta's status webhook for every send the mock accepted since the last call.
async fn deliver_statuses(db: &Db, merchant: MerchantId, meta: &MockServer, done: &mut usize) -> usize {
    let requests = meta.received_requests().await.unwrap();
    if requests.len() == *done {
        return *done;
    }
    let mut tx = db.begin(merchant).await.unwrap();
    let account = whatsapp_accounts::view(&mut tx).await.unwrap().unwrap().id;
    whatsapp_accounts::saw_statuses(&mut tx, account, Utc::now()).await.unwrap();
    for r in &requests[*done..] {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let callback = body["biz_opaque_callback_data"].as_str().unwrap().to_owned();
        let status = Status {
            id: format!("wamid.{callback}"),
            status: "sent".into(),
            timestamp: Utc::now(),
            recipient_id: body["to"].as_str().map(ToOwned::to_owned),
            recipient_user_id: None,
            biz_opaque_callback_data: Some(callback),
            errors: vec![],
        };
        message_status::apply(&mut tx, &status, Utc::now()).await.unwrap();
    }
    tx.commit().await.unwrap();
    *done = requests.len();
    *done
}

async fn status_counts(db: &Db, merchant: MerchantId) -> HashMap<String, i64> {
    let mut tx = db.begin(merchant).await.unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from scheduled_messages group by status")
            .fetch_all(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    rows.into_iter().collect()
}

#[tokio::test]
async fn a_worker_killed_mid_sends_sends_each_message_exactly_once() {
    let meta = MockServer::start().await;
    Mock::given(method("POST")).respond_with(Accept).mount(&meta).await;
    let prefix = format!("test-killsend-{}", uuid::Uuid::new_v4().simple());
    let vars = vars(&prefix, &meta.uri());
    let config = Config::from_vars(vars.clone()).unwrap();
    db::migrate(config.database_owner_url.as_ref().unwrap()).await.unwrap();
    let db = Db::connect(&config.database_url, 4).await.unwrap();
    let merchant = MerchantId::new();
    let phone_number_id = format!("30{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
    seed(&db, &config, merchant, &phone_number_id).await;

    let mut delivered = 0;
    let mut first = common::start_worker(&vars);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    while deliver_statuses(&db, merchant, &meta, &mut delivered).await < KILL_AFTER {
        assert!(tokio::time::Instant::now() < deadline, "the first worker sent only {delivered}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.kill().unwrap(); // SIGKILL: in-flight sends are cut wherever they are
    first.wait().unwrap();
    let at_kill = status_counts(&db, merchant).await;
    assert!(at_kill.get("sent").copied().unwrap_or(0) < SENDS as i64, "killed mid-way: {at_kill:?}");

    let mut second = common::start_worker(&vars);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let end = loop {
        deliver_statuses(&db, merchant, &meta, &mut delivered).await;
        let counts = status_counts(&db, merchant).await;
        if counts.get("sent").copied() == Some(SENDS as i64) {
            break counts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all sent: {counts:?} (at the kill: {at_kill:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = second.kill();
    let _ = second.wait();

    // The books: one request per message, every message sent, none twice.
    let requests = meta.received_requests().await.unwrap();
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for r in &requests {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        *per_message.entry(body["biz_opaque_callback_data"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let twice = per_message.values().filter(|&&n| n > 1).count();
    let mut tx = db.begin(merchant).await.unwrap();
    let (confirmed, retried): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where trail @> '[{\"event\": \"sent\"}]' and trail::text like '%status webhook%'),
                count(*) filter (where trail @> '[{\"event\": \"retry\"}]')
         from scheduled_messages",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    println!(
        "kill-mid-send: {SENDS} due, killed after {KILL_AFTER} accepted (rows then: {at_kill:?}); \
         {} requests to Meta, {} messages, {twice} sent twice; {confirmed} settled by a status webhook, \
         {retried} sent again after no status; final {end:?}",
        requests.len(),
        per_message.len()
    );
    assert_eq!(twice, 0, "no message reaches Meta twice");
    assert_eq!(per_message.len(), SENDS, "every message reached Meta");
    assert_eq!(requests.len(), SENDS);
}
