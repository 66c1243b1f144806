//! The whole retention path with Shopify's own payloads: an order placed and its fulfilment
//! delivered (signed webhooks) → two schedules at T+3 and T+14 → with the clock at T+3, one
//! template message to the Meta Graph API mock, to the order's phone, with its variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use revive_shared::db::whatsapp_accounts;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[tokio::test]
async fn a_shopify_order_delivered_gets_its_check_in_at_t_plus_3() {
    let meta = MockServer::start().await;
    let app = spawn_app_with(&[("META_GRAPH_BASE_URL", &meta.uri())]).await;
    // The fixtures happened around 2022-01-01: the app lives then (see order_worker.rs).
    app.clock.set(at("2022-01-01T01:00:00Z"));
    let owner = app.signup().await;
    let (integration, secret) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;
    let pnid = format!("30{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    whatsapp_accounts::connect_meta(&mut tx, &app.config.cipher, &pnid, "EAAG-shopify-test").await.unwrap();
    tx.commit().await.unwrap();
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{pnid}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "messages": [{"id": "wamid.shopify-checkin"}]})))
        .mount(&meta)
        .await;
    let t: Value = owner
        .post(
            "/api/v1/templates",
            json!({"flow": "checkin", "name": "checkin", "language": "en", "category": "utility",
                   "body": "Hi {{first_name}}, how are your {{product}}? ({{order_number}})",
                   "meta_template_name": "order_checkin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let approve = json!({"status": "approved"});
    assert_eq!(
        owner.patch(&format!("/api/v1/templates/{}", t["id"].as_str().unwrap()), approve).await.status(),
        200
    );
    let no_quiet = json!({"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"});
    assert_eq!(owner.patch("/api/v1/settings/retention", no_quiet).await.status(), 200);

    // Shopify's sample order, with a phone and without its sample cancellation.
    let mut order: Value = serde_json::from_slice(&fixture("shopify_orders_create.json")).unwrap();
    order["customer"]["phone"] = json!("+4915123456789");
    order["cancelled_at"] = Value::Null;
    let order = serde_json::to_vec(&order).unwrap();
    let delivered = fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json");
    for (i, (topic, body)) in
        [("orders/create", &order), ("fulfillments/update", &delivered)].into_iter().enumerate()
    {
        let res =
            post_shopify(&app.base, integration, &shop, topic, body, &secret, &format!("e2e-{i}")).await;
        assert_eq!(res.status(), 200);
    }
    let schedules = eventually(15, "two schedules", || async {
        let list: Value = owner.get("/api/v1/scheduled-messages").await.json().await.unwrap();
        (list.as_array().unwrap().len() == 2).then_some(list)
    })
    .await;
    assert_eq!(schedules[0]["flow"], "checkin");
    assert_eq!(schedules[0]["due_at"], "2022-01-04T00:00:00Z");
    assert_eq!(schedules[1]["flow"], "review");
    assert_eq!(schedules[1]["due_at"], "2022-01-15T00:00:00Z");
    assert!(meta.received_requests().await.unwrap().is_empty(), "nothing before T+3");

    app.clock.set(at("2022-01-04T00:00:30Z"));
    let id = schedules[0]["id"].as_str().unwrap().to_owned();
    eventually(20, "the check-in to be sent", || async {
        let m: Value = owner.get(&format!("/api/v1/scheduled-messages/{id}")).await.json().await.unwrap();
        (m["status"] == "sent").then_some(())
    })
    .await;
    let requests = meta.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one message");
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(sent["to"], "4915123456789");
    assert_eq!(sent["template"]["name"], "order_checkin");
    // {{product}} is the order's main item: the line that cost the most.
    assert_eq!(
        sent["template"]["components"][0]["parameters"],
        json!([{"type": "text", "text": "John"}, {"type": "text", "text": "Mid-century lounger"},
               {"type": "text", "text": "#9999"}])
    );
    assert_eq!(requests[0].headers.get("authorization").unwrap(), "Bearer EAAG-shopify-test");
}
