//! With Redis down, webhooks are still acknowledged and stored as pending; once Redis is back
//! the sweeper queues them and they are processed. Nothing acknowledged is lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

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
