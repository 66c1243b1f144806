//! `POST /api/v1/events` with API keys: batches answered per item, idempotency, scopes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

fn item(i: usize) -> Value {
    json!({
        "type": "order.delivered", "external_id": format!("evt-{i}"), "occurred_at": "2026-11-20T10:00:00Z",
        "order": {"id": format!("ord-{i}"), "currency": "EUR", "total": "19.90",
                  "items": [{"title": "Lavender soap", "sku": "SOAP-1", "quantity": 1, "unit_price": "19.90"}]},
        "customer": {"phone": format!("+4915123{:06}", 456000 + i), "name": "Çağla Öztürk", "marketing_consent": true}
    })
}

async fn post(app: &TestApp, key: &str, body: &Value, idem: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(app.url("/api/v1/events")).header("x-api-key", key).json(body);
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_batch_of_1000_with_bad_items_answers_per_item_and_stores_good_ones_once() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    let bad = |i: usize| i % 20 == 7;
    let items: Vec<Value> = (0..1000)
        .map(|i| {
            if !bad(i) {
                return item(i);
            }
            match (i / 20) % 4 {
                0 => json!({"type": "order.delivered", "external_id": format!("evt-{i}"), "order": {"id": "x"}, "customer": {"phone": "not a phone"}}),
                1 => json!({"type": "order.teleported", "external_id": format!("evt-{i}")}),
                2 => json!("just a string"),
                _ => json!({"type": "order.delivered", "external_id": format!("evt-{i}"), "order": {"id": "y", "total": "5"}}),
            }
        })
        .collect();
    let res = post(&app, &key, &json!({"events": items}), None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64(), body["rejected"].as_u64()),
        (Some(950), Some(0), Some(50))
    );
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["index"], i);
        let expected = if bad(i) { "rejected" } else { "accepted" };
        assert_eq!(r["status"], expected, "item {i}: {r}");
        if bad(i) {
            assert!(r["errors"].as_object().is_some_and(|e| !e.is_empty()), "item {i} says why: {r}");
        }
    }
    assert!(!body.to_string().contains("not a phone"), "errors never echo values");

    // The same batch again: every good item is a duplicate, nothing new is stored.
    let again: Value = post(&app, &key, &json!({"events": items}), None).await.json().await.unwrap();
    assert_eq!((again["accepted"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(950)));
    let rows = eventually(30, "all 950 events processed", || async {
        let rows = event_rows(&app, owner.merchant_id).await;
        (rows.len() == 950 && rows.iter().all(|r| r.1 == "processed")).then_some(rows)
    })
    .await;
    assert!(rows.iter().all(|r| r.0 == "order.delivered" && r.3 == 1));
    assert_eq!(queued_jobs(&app).await, 950);

    // No phone number reached the table in plaintext.
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let leaks: i64 =
        sqlx::query_scalar("select count(*) from external_events where normalized::text like '%4915123%'")
            .fetch_one(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(leaks, 0);
}

#[tokio::test]
async fn single_events_are_idempotent_by_key_and_conflicts_are_reported() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    let mut event = item(1);
    event.as_object_mut().unwrap().remove("external_id");

    let res = post(&app, &key, &event, Some("idem-1")).await;
    assert_eq!(res.status(), 202);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["status"], "accepted");
    let res = post(&app, &key, &event, Some("idem-1")).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    assert_eq!((second["status"].as_str(), &second["id"]), (Some("duplicate"), &first["id"]));

    // Same key, different content: refused, not silently dropped.
    event["order"]["total"] = json!("99.00");
    let res = post(&app, &key, &event, Some("idem-1")).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["fields"]["external_id"].is_array(), "{body}");
    // No key at all.
    let res = post(&app, &key, &event, None).await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "validation_failed");
    // Within one batch, a repeated id with the same content is a duplicate.
    let batch = json!([item(5), item(5)]);
    let body: Value = post(&app, &key, &batch, None).await.json().await.unwrap();
    assert_eq!((body["accepted"].as_u64(), body["duplicates"].as_u64()), (Some(1), Some(1)));
    let res = post(&app, &key, &json!((0..1001).map(item).collect::<Vec<_>>()), None).await;
    assert_eq!(res.status(), 422);
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/events"))
        .header("x-api-key", &key)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn keys_need_the_scope_and_revoked_keys_get_401() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (_, reader) = owner.create_key(&["customers:read"]).await;
    let res = post(&app, &reader, &item(1), None).await;
    assert_eq!(res.status(), 403);
    let (id, key) = owner.create_key(&["events:write"]).await;
    assert_eq!(post(&app, &key, &item(1), None).await.status(), 202);
    assert_eq!(owner.delete(&format!("/api/v1/api-keys/{id}")).await.status(), 204);
    assert_eq!(post(&app, &key, &item(2), None).await.status(), 401);
    // A paused API integration refuses events instead of losing them.
    let res = owner.post("/api/v1/integrations", json!({"kind": "api", "name": "ERP"})).await;
    let integration: Value = res.json().await.unwrap();
    let (_, key) = owner.create_key(&["events:write"]).await;
    let path = format!("/api/v1/integrations/{}", integration["id"].as_str().unwrap());
    assert_eq!(owner.patch(&path, json!({"status": "paused"})).await.status(), 200);
    assert_eq!(post(&app, &key, &item(3), None).await.status(), 409);
    assert_eq!(owner.patch(&path, json!({"status": "active"})).await.status(), 200);
    let res = post(&app, &key, &item(3), None).await;
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let detail: Value = owner.get(&format!("/api/v1/events/{id}")).await.json().await.unwrap();
    assert_eq!(detail["integration_id"], integration["id"]);
}
