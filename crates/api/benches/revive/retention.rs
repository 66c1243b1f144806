//! The retention half of `make bench`: delivered orders through the order worker (events API →
//! Redis → `process_event` → customers, orders, schedules), then their T+3 check-ins through the
//! sender against a Meta mock that answers after a realistic delay.
//!
//! Both run the real apalis workers (`revive_workers::runner`) in this process, on a queue
//! prefix of their own, and are timed from the moment the work is in place until Postgres shows
//! every item done, so the figures include queueing, polling and every transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use revive_shared::config::Config;
use revive_shared::db::{Db, retention, whatsapp_accounts};
use revive_shared::ids::MerchantId;
use revive_workers::{Deps, Queues};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ORDERS: usize = 4000;
/// Jobs one worker process runs at once in this benchmark (`WORKER_CONCURRENCY`).
pub const WORKER_CONCURRENCY: usize = 64;
/// How long the Meta mock takes to answer a send: a typical Graph API round trip.
pub const META_LATENCY: Duration = Duration::from_millis(150);

pub struct Retention {
    /// Orders through the order worker (two events each: created, delivered).
    pub orders_per_sec: f64,
    pub sends_per_sec: f64,
}

/// Meta accepting a send after `META_LATENCY`, with a wamid of its own per message.
struct Accept;

impl Respond for Accept {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let callback = body["biz_opaque_callback_data"].as_str().unwrap_or("none");
        ResponseTemplate::new(200)
            .set_body_json(json!({"messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": format!("wamid.{callback}")}]}))
            .set_delay(META_LATENCY)
    }
}

/// Runs `sql` (a count) in the merchant's tenant transaction (row-level security binds even the
/// owner role).
async fn count(db: &Db, merchant: MerchantId, sql: &'static str) -> i64 {
    let mut tx = db.begin(merchant).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    n
}

/// Polls the count `sql` until it reaches `target`; returns the time taken.
async fn until_count(db: &Db, merchant: MerchantId, sql: &'static str, target: i64) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    loop {
        let n = count(db, merchant, sql).await;
        if n >= target {
            return started.elapsed();
        }
        assert!(Instant::now() < deadline, "stuck at {n} of {target}: {sql}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `base` serves the API with workers off, with settings `vars`; its queues are empty.
pub async fn run(base: &str, vars: &[(String, String)]) -> Retention {
    let meta = MockServer::start().await;
    Mock::given(method("POST")).respond_with(Accept).mount(&meta).await;
    let mut vars = vars.to_vec();
    for (k, v) in [
        ("META_GRAPH_BASE_URL", meta.uri().as_str()),
        ("WORKER_CONCURRENCY", &WORKER_CONCURRENCY.to_string()),
        ("DATABASE_MAX_CONNECTIONS", "24"),
        ("SWEEP_INTERVAL_SECS", "1"),
    ] {
        vars.retain(|(name, _)| name != k);
        vars.push((k.to_owned(), v.to_owned()));
    }
    let config = Config::from_vars(vars).expect("retention bench config");
    let db = Db::connect(&config.database_url, config.database_max_connections).await.unwrap();

    let session = crate::signup(base, "Retention Bench").await;
    let (http, merchant) = (&session.http, session.merchant);
    let key = session
        .post(&format!("{base}/api/v1/api-keys"), json!({"name": "bench", "scopes": ["events:write"]}))
        .await;
    let key = key["key"].as_str().unwrap().to_owned();
    prepare_sender(&db, &config, merchant).await;

    // Each order is placed (which records consent to messages about it) and delivered. The
    // events are stored and their jobs queued (the API runs no workers) before the clock starts:
    // what is timed is the order worker alone.
    let event = |i: usize, kind: &str| {
        json!({"type": kind, "external_id": format!("bench-{kind}-{i}"),
            "occurred_at": chrono::Utc::now().to_rfc3339(),
            "order": {"id": format!("BR{i}"), "number": format!("#{i}"), "currency": "EUR", "total": "19.80",
                      "items": [{"title": "Lavender soap", "quantity": 2, "unit_price": "9.90"}]},
            "customer": {"phone": format!("+49151{:08}", 50_000_000 + i), "name": format!("Kunde {i}")}})
    };
    for batch in 0..ORDERS / 500 {
        let items: Vec<Value> = (batch * 500..(batch + 1) * 500)
            .flat_map(|i| [event(i, "order.created"), event(i, "order.delivered")])
            .collect();
        let res = http
            .post(format!("{base}/api/v1/events"))
            .header("x-api-key", &key)
            .json(&json!({"events": items}))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["accepted"], 1000, "{body}");
    }

    let redis = revive_workers::queue::connect(config.redis_url.expose_secret()).await.unwrap();
    let queues = Queues::new(redis, &config.jobs.queue_prefix);
    let deps = Deps::new(
        Arc::new(config),
        db.clone(),
        queues,
        revive_shared::clock::Clock::system(),
        revive_shared::providers::Ai::local(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(revive_workers::runner::run(deps, Duration::from_secs(5), async move {
        let _ = stopped.await;
    }));

    let orders = until_count(
        &db,
        merchant,
        "select count(*) from external_events where status = 'processed'",
        2 * ORDERS as i64,
    )
    .await;
    let schedules =
        count(&db, merchant, "select count(*) from scheduled_messages where flow = 'checkin'").await;
    assert_eq!(schedules, ORDERS as i64, "one check-in per delivered order");

    // Every check-in due now: the dispatcher, the send jobs and the Meta mock take it from here.
    let mut tx = db.begin(merchant).await.unwrap();
    sqlx::query("update scheduled_messages set due_at = now() - interval '1 minute' where flow = 'checkin'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let sends = until_count(
        &db,
        merchant,
        "select count(*) from scheduled_messages where flow = 'checkin' and status = 'sent'",
        ORDERS as i64,
    )
    .await;
    let requests = meta.received_requests().await.unwrap().len();
    assert_eq!(requests, ORDERS, "one request to Meta per message");
    let _ = stop.send(());
    let _ = workers.await;

    Retention {
        orders_per_sec: ORDERS as f64 / orders.as_secs_f64(),
        sends_per_sec: ORDERS as f64 / sends.as_secs_f64(),
    }
}

/// A Meta number with room for the whole run (1000 messages/s), an approved check-in template,
/// no quiet hours and a cap that one message per customer never reaches.
async fn prepare_sender(db: &Db, config: &Config, merchant: MerchantId) {
    let mut tx = db.begin(merchant).await.unwrap();
    let pnid = format!("40{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
    let c = whatsapp_accounts::Connect {
        phone_number_id: &pnid,
        waba_id: None,
        access_token: "EAAG-bench-token",
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
         values ($1, 'checkin', 'checkin', 'Hi {{first_name}}, how is {{product}}?', 'order_checkin', 'approved')",
    )
    .bind(merchant.0)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
}
