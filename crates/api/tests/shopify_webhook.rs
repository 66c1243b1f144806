//! Shopify webhooks against the real app, Postgres (RLS on) and Redis, with the fixtures from
//! Shopify's documentation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;
use uuid::Uuid;

/// Every Shopify fixture, the topic it is delivered as, and what Revive must make of it.
const FIXTURES: &[(&str, &str, &str, &str)] = &[
    // file, topic, normalized type, final status
    ("shopify_orders_create.json", "orders/create", "order.created", "rejected"),
    ("shopify_orders_create.json", "orders/cancelled", "order.cancelled", "rejected"),
    ("shopify_fulfillments_update.json", "fulfillments/update", "fulfillment.updated", "processed"),
    (
        "shopify_fulfillments_update_delivered.RECONSTRUCTED.json",
        "fulfillments/update",
        "order.delivered",
        "processed",
    ),
    (
        "shopify_fulfillment_events_create.json",
        "fulfillment_events/create",
        "fulfillment.updated",
        "processed",
    ),
    ("shopify_customers_create.json", "customers/create", "customer.updated", "rejected"),
    ("shopify_customer_rest_record_with_consent.json", "customers/update", "customer.updated", "processed"),
    (
        "shopify_customers_email_marketing_consent_update.json",
        "customers_email_marketing_consent/update",
        "consent.updated",
        "processed",
    ),
    (
        "shopify_customers_marketing_consent_update_sms.json",
        "customers_marketing_consent/update",
        "consent.updated",
        "processed",
    ),
    (
        "shopify_customers_whats_app_marketing_consent_update.json",
        "customers_whats_app_marketing_consent/update",
        "consent.updated",
        "processed",
    ),
    ("shopify_customers_data_request.json", "customers/data_request", "privacy.data_request", "processed"),
    ("shopify_customers_redact.json", "customers/redact", "privacy.customer_redact", "processed"),
    ("shopify_shop_redact.json", "shop/redact", "privacy.shop_redact", "processed"),
    ("shopify_app_uninstalled.json", "app/uninstalled", "app.uninstalled", "processed"),
    ("shopify_app_uninstalled.json", "collections/update", "ignored", "ignored"),
];

#[tokio::test]
async fn every_fixture_is_stored_normalized_and_processed() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (integration, secret) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;

    for (i, (file, topic, _, _)) in FIXTURES.iter().enumerate() {
        let res =
            post_shopify(&app.base, integration, &shop, topic, &fixture(file), &secret, &format!("wh-{i}"))
                .await;
        assert_eq!(res.status(), 200, "{file} as {topic}");
    }
    let rows = eventually(20, "every event to settle", || async {
        let rows = event_rows(&app, owner.merchant_id).await;
        let settled =
            rows.len() == FIXTURES.len() && rows.iter().all(|r| r.1 != "pending" && r.1 != "queued");
        settled.then_some(rows)
    })
    .await;
    let listed: Value = owner.get("/api/v1/events?source=shopify&limit=200").await.json().await.unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), FIXTURES.len());
    for (file, topic, event_type, status) in FIXTURES {
        let found = listed.iter().find(|e| e["topic"] == *topic && e["event_type"] == *event_type);
        let event = found.unwrap_or_else(|| panic!("no {event_type} event for {file} as {topic}"));
        assert_eq!(event["status"], *status, "{file} as {topic}: {event}");
        let detail: Value = owner
            .get(&format!("/api/v1/events/{}", event["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(detail["normalized"]["event_type"], *event_type);
        assert_eq!(detail["shopify_webhook_id"].as_str().map(|w| w.starts_with("wh-")), Some(true));
        if *status == "rejected" {
            assert!(detail["reason"].as_str().unwrap().contains("phone"), "{detail}");
        }
        // The stored JSON holds no contact details.
        let text = detail.to_string();
        for secret_bit in ["jon@example.com", "bob@biller.com", "380639379992", "555-555", "123-123-1234"] {
            assert!(!text.contains(secret_bit), "{file}: {secret_bit} leaked into {text}");
        }
    }
    // The order's facts survive its rejected phone.
    let order = listed.iter().find(|e| e["topic"] == "orders/create").unwrap();
    let detail: Value =
        owner.get(&format!("/api/v1/events/{}", order["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(detail["normalized"]["order"]["external_id"], "820982911946154508");
    assert_eq!(detail["normalized"]["order"]["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        rows.iter().filter(|r| r.3 == 1).count(),
        FIXTURES.len() - 1,
        "each queued event ran once: {rows:?}"
    );
}

#[tokio::test]
async fn bad_signatures_get_401_and_store_nothing() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (integration, secret) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;
    let body = fixture("shopify_orders_create.json");

    // Signed with another secret; signed over other bytes; unknown integration; no signature.
    let res = post_shopify(&app.base, integration, &shop, "orders/create", &body, "wrong-secret", "w1").await;
    assert_eq!(res.status(), 401);
    let hmac = revive_shared::crypto::signature::sign_shopify(secret.as_bytes(), b"{}");
    let res = reqwest::Client::new()
        .post(format!("{}/webhooks/shopify/{integration}", app.base))
        .header("x-shopify-hmac-sha256", hmac)
        .header("x-shopify-topic", "customers/redact")
        .header("x-shopify-shop-domain", &shop)
        .header("x-shopify-api-version", "2026-07")
        .header("x-shopify-webhook-id", "w2")
        .body(fixture("shopify_customers_redact.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
    let res = post_shopify(&app.base, Uuid::new_v4(), &shop, "orders/create", &body, &secret, "w3").await;
    assert_eq!(res.status(), 401);
    let res = reqwest::Client::new()
        .post(format!("{}/webhooks/shopify/{integration}", app.base))
        .header("x-shopify-topic", "shop/redact")
        .body(fixture("shopify_shop_redact.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(event_rows(&app, owner.merchant_id).await.is_empty());

    // Signed but missing a header Shopify's own library requires: 400 naming it.
    let hmac = revive_shared::crypto::signature::sign_shopify(secret.as_bytes(), &body);
    let res = reqwest::Client::new()
        .post(format!("{}/webhooks/shopify/{integration}", app.base))
        .header("x-shopify-hmac-sha256", hmac)
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-shop-domain", &shop)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(text.contains("X-Shopify-api-version") && text.contains("X-Shopify-webhook-id"), "{text}");
    // Signed for another shop.
    let res =
        post_shopify(&app.base, integration, "other.myshopify.com", "orders/create", &body, &secret, "w4")
            .await;
    assert_eq!(res.status(), 400);
    assert!(event_rows(&app, owner.merchant_id).await.is_empty());
}

#[tokio::test]
async fn twenty_deliveries_ten_concurrent_make_one_event_and_one_job() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (integration, secret) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;
    let body = fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json");

    let concurrent = (0..10).map(|_| {
        post_shopify(&app.base, integration, &shop, "fulfillments/update", &body, &secret, "same-delivery")
    });
    for res in futures_util::future::join_all(concurrent).await {
        assert_eq!(res.status(), 200);
    }
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let res = post_shopify(
            &app.base,
            integration,
            &shop,
            "fulfillments/update",
            &body,
            &secret,
            "same-delivery",
        )
        .await;
        assert_eq!(res.status(), 200);
        statuses.push(res.json::<Value>().await.unwrap()["status"].as_str().unwrap().to_owned());
    }
    assert!(statuses.iter().all(|s| s == "duplicate"), "{statuses:?}");
    let rows = eventually(15, "the event to be processed", || async {
        let rows = event_rows(&app, owner.merchant_id).await;
        (rows.len() == 1 && rows[0].1 == "processed").then_some(rows)
    })
    .await;
    assert_eq!(rows[0].0, "order.delivered");
    assert_eq!(rows[0].3, 1, "the job ran once");
    assert_eq!(queued_jobs(&app).await, 1, "one job in the queue's history");

    // The same webhook id on another topic is another delivery (Event-Id fan-out).
    let res =
        post_shopify(&app.base, integration, &shop, "fulfillments/create", &body, &secret, "same-delivery")
            .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "stored");
}

#[tokio::test]
async fn a_rotated_secret_keeps_verifying_and_paused_integrations_store_ignored() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (integration, old) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;
    let body = fixture("shopify_shop_redact.json");
    let new = "shpss_rotated_secret_value";
    let res = owner
        .patch(&format!("/api/v1/integrations/{integration}"), serde_json::json!({"webhook_secret": new}))
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["rotating_secret"], true);
    assert!(!view.to_string().contains(new));
    for (secret, id) in [(old.as_str(), "r1"), (new, "r2")] {
        let res = post_shopify(&app.base, integration, &shop, "shop/redact", &body, secret, id).await;
        assert_eq!(res.status(), 200, "signed with {id}");
    }
    let res = owner
        .patch(&format!("/api/v1/integrations/{integration}"), serde_json::json!({"status": "paused"}))
        .await;
    assert_eq!(res.status(), 200);
    let res = post_shopify(&app.base, integration, &shop, "shop/redact", &body, new, "r3").await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ignored");
    let rows = event_rows(&app, owner.merchant_id).await;
    assert_eq!(rows.iter().filter(|r| r.1 == "ignored").count(), 1, "{rows:?}");
}

#[tokio::test]
async fn another_merchant_sees_none_of_it() {
    let app = spawn_app().await;
    let a = app.signup().await;
    let b = app.signup().await;
    let (integration, secret) = a.connect_shopify().await;
    let shop = a.shop_of(integration).await;
    let res = post_shopify(
        &app.base,
        integration,
        &shop,
        "shop/redact",
        &fixture("shopify_shop_redact.json"),
        &secret,
        "x1",
    )
    .await;
    assert_eq!(res.status(), 200);
    let listed: Value = a.get("/api/v1/events").await.json().await.unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(b.get(&format!("/api/v1/events/{id}")).await.status(), 404);
    assert_eq!(b.get("/api/v1/events").await.json::<Value>().await.unwrap(), serde_json::json!([]));
    assert_eq!(b.get(&format!("/api/v1/integrations/{integration}")).await.status(), 404);
    assert_eq!(
        b.patch(&format!("/api/v1/integrations/{integration}"), serde_json::json!({"status": "paused"}))
            .await
            .status(),
        404
    );
    assert_eq!(b.delete(&format!("/api/v1/integrations/{integration}")).await.status(), 404);
    let viewer_email = a.add_member("viewer").await;
    let viewer = app.login(&viewer_email, PASSWORD).await;
    assert_eq!(viewer.get("/api/v1/integrations").await.status(), 200);
    assert_eq!(viewer.delete(&format!("/api/v1/integrations/{integration}")).await.status(), 403);
    assert_eq!(a.delete(&format!("/api/v1/integrations/{integration}")).await.status(), 204);
    // Deleting the integration keeps its events; its webhook URL stops verifying.
    assert_eq!(a.get(&format!("/api/v1/events/{id}")).await.status(), 200);
    let res = post_shopify(&app.base, integration, &shop, "shop/redact", b"{}", &secret, "x2").await;
    assert_eq!(res.status(), 401);
}
