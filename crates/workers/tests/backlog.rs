//! A backlog larger than apalis-redis's fetch script can promote in one go (Lua's unpack stops
//! near 8,000 values): jobs pushed while no worker runs must all run once one starts, rather than
//! every fetch failing and the workers dying (see `queue.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use revive_shared::config::Config;
use revive_shared::ids::{EventId, MerchantId};
use revive_shared::jobs::ProcessEvent;
use revive_workers::Queues;

const JOBS: usize = 9_000;

#[tokio::test]
async fn a_backlog_over_the_lua_unpack_limit_drains() {
    let prefix = format!("test-backlog-{}", uuid::Uuid::new_v4().simple());
    let vars = common::vars(&prefix, &[("WORKER_CONCURRENCY", "32")]);
    let config = Config::from_vars(vars.clone()).unwrap();
    let redis = revive_workers::queue::connect(secrecy::ExposeSecret::expose_secret(&config.redis_url))
        .await
        .unwrap();
    let queues = Queues::new(redis, &prefix);
    // Jobs for events that do not exist: each finds nothing to do, so the test measures the
    // queue, not the order worker.
    let merchant = MerchantId::new();
    let jobs: Vec<ProcessEvent> =
        (0..JOBS).map(|_| ProcessEvent { merchant_id: merchant, event_id: EventId::new() }).collect();
    queues.push_events(&jobs, Duration::from_secs(60)).await.unwrap();
    let before = queues.stats().await.unwrap()[0].1;
    assert_eq!(before.pending, JOBS as u64, "{before:?}");

    let mut worker = common::start_worker(&vars);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let last = loop {
        let s = queues.stats().await.unwrap()[0].1;
        if s.done == JOBS as u64 {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "the backlog did not drain: {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!((last.pending, last.running, last.dead), (0, 0, 0), "{last:?}");
}
