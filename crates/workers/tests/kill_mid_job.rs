//! A worker process SIGKILLed in the middle of a backlog, then a fresh one started: every event
//! is applied exactly once and none is lost. Runs the real `revive-workers` binary against real
//! Postgres (as the application role) and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use revive_shared::config::Config;
use revive_shared::db::events::{self, NewEvent};
use revive_shared::db::{self, Db, merchants};
use revive_shared::ids::MerchantId;
use revive_shared::jobs::ProcessEvent;
use revive_workers::Queues;
use serde_json::json;

const EVENTS: usize = 3000;

async fn counts(db: &Db, merchant: MerchantId) -> (i64, i64, i64, i64) {
    let mut tx = db.begin(merchant).await.unwrap();
    let row: (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from external_events where status = 'processed'),
                (select coalesce(sum(attempts), 0) from external_events),
                (select count(*) from customers),
                (select count(*) from orders)",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    row
}

async fn wait_for(
    db: &Db,
    merchant: MerchantId,
    secs: u64,
    what: &str,
    done: impl Fn((i64, i64, i64, i64)) -> bool,
) -> (i64, i64, i64, i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = counts(db, merchant).await;
        if done(c) {
            return c;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {c:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_backlog_loses_and_repeats_nothing() {
    let prefix = format!("test-kill-{}", uuid::Uuid::new_v4().simple());
    let config = Config::from_vars(common::vars(&prefix, &[])).unwrap();
    db::migrate(config.database_owner_url.as_ref().unwrap()).await.unwrap();
    let db = Db::connect(&config.database_url, 8).await.unwrap();
    let merchant = MerchantId::new();
    let mut tx = db.begin(merchant).await.unwrap();
    merchants::create(&mut tx, "Kill test").await.unwrap();
    tx.commit().await.unwrap();

    // A backlog of delivered orders, stored and queued as the API would.
    let redis = revive_workers::queue::connect(secrecy::ExposeSecret::expose_secret(&config.redis_url))
        .await
        .unwrap();
    let queues = Queues::new(redis, &prefix);
    for chunk in (0..EVENTS).collect::<Vec<_>>().chunks(500) {
        let batch: Vec<NewEvent> = chunk
            .iter()
            .map(|i| {
                let item = json!({"type": "order.delivered", "external_id": format!("k-{i}"),
                    "order": {"id": format!("o-{i}")}, "customer": {"phone": format!("+49151{:08}", 30_000_000 + i)}});
                let (external_id, normalized) = revive_shared::normalize::api::normalize(&item, None).unwrap();
                NewEvent { integration_id: None, import_id: None, external_id, shopify_webhook_id: None,
                    shopify_event_id: None, triggered_at: None, normalized, raw: None, ignore: false }
            })
            .collect();
        let mut tx = db.begin(merchant).await.unwrap();
        let inserted = events::insert_many(&mut tx, &config.cipher, &batch).await.unwrap();
        let ids: Vec<_> = inserted.iter().map(|e| e.id).collect();
        events::mark_queued(&mut tx, &ids).await.unwrap();
        tx.commit().await.unwrap();
        let jobs: Vec<_> =
            ids.iter().map(|&event_id| ProcessEvent { merchant_id: merchant, event_id }).collect();
        queues.push_events(&jobs, Duration::from_secs(10)).await.unwrap();
    }

    let mut first = common::start_worker(&common::vars(&prefix, &[]));
    let before = wait_for(&db, merchant, 120, "the first worker to get going", |c| c.0 >= 300).await;
    first.kill().unwrap(); // SIGKILL: no graceful anything
    first.wait().unwrap();
    let at_kill = counts(&db, merchant).await;
    assert!(
        at_kill.0 < EVENTS as i64,
        "killed mid-backlog (processed {} of {EVENTS}); raise EVENTS",
        at_kill.0
    );

    let mut second = common::start_worker(&common::vars(&prefix, &[]));
    let after = wait_for(&db, merchant, 180, "every event processed", |c| c.0 == EVENTS as i64).await;
    let _ = second.kill();
    let _ = second.wait();

    // Effects exactly once: one customer and one order per event.
    assert_eq!((after.2, after.3), (EVENTS as i64, EVENTS as i64), "at kill {at_kill:?}, before {before:?}");
    // Runs: one per event, plus at most the jobs the killed worker held (its concurrency and
    // prefetched batch), which ran again after the orphan timeout.
    let repeats = after.1 - EVENTS as i64;
    assert!((0..=40).contains(&repeats), "{repeats} repeated runs");
    let mut tx = db.begin(merchant).await.unwrap();
    let schedules: i64 =
        sqlx::query_scalar("select count(*) from scheduled_messages").fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(schedules, 2 * EVENTS as i64, "checkin + review per delivered order, once");
}
