//! With Redis down, webhooks are still acknowledged and stored as pending; once Redis is back
//! the sweeper queues them and they are processed. Nothing acknowledged is lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};

use common::*;

/// A Redis server of the test's own, on a free port, so stopping it disturbs no other test.
struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed by scripts/setup-services.sh");
        OwnRedis { port, child }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&self) {
        let url = self.url();
        eventually(10, "redis-server to accept connections", || {
            let url = url.clone();
            async move {
                let client = redis::Client::open(url).ok()?;
                let mut conn = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
            }
        })
        .await;
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn webhooks_survive_a_redis_outage() {
    let port = free_port();
    let mut redis = OwnRedis::start(port);
    redis.wait_ready().await;
    let app = spawn_app_with(&[("REDIS_URL", &redis.url())]).await;
    let owner = app.signup().await;
    let (integration, secret) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;
    let body = fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json");

    let res =
        post_shopify(&app.base, integration, &shop, "fulfillments/update", &body, &secret, "before").await;
    assert_eq!(res.status(), 200);
    eventually(15, "the first event processed", || async {
        let rows = event_rows(&app, owner.merchant_id).await;
        (rows.len() == 1 && rows[0].1 == "processed").then_some(())
    })
    .await;

    redis.kill();
    for i in 0..5 {
        let res = post_shopify(
            &app.base,
            integration,
            &shop,
            "fulfillments/update",
            &body,
            &secret,
            &format!("down-{i}"),
        )
        .await;
        assert_eq!(res.status(), 200, "acknowledged while Redis is down");
    }
    let rows = event_rows(&app, owner.merchant_id).await;
    assert_eq!(rows.len(), 6);
    assert_eq!(rows.iter().filter(|r| r.1 == "pending").count(), 5, "{rows:?}");
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);

    let redis = OwnRedis::start(port);
    redis.wait_ready().await;
    let rows = eventually(60, "every event processed after Redis returned", || async {
        let rows = event_rows(&app, owner.merchant_id).await;
        rows.iter().all(|r| r.1 == "processed").then_some(rows)
    })
    .await;
    assert_eq!(rows.len(), 6, "none lost, none doubled");
    assert!(rows.iter().all(|r| r.3 == 1), "each ran once: {rows:?}");
}
