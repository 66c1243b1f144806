//! Customers in the dashboard (masked phones), the export of one customer's data, and erasure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_customer_is_listed_masked_exported_whole_and_erased() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    let event = json!({"type": "order.delivered", "external_id": "priv-1", "occurred_at": chrono::Utc::now().to_rfc3339(),
        "order": {"id": "P-1", "number": "#7", "items": [{"title": "Soap"}]},
        "customer": {"phone": "+49 151 12345699", "name": "Lea <script>alert(1)</script>", "email": "lea@example.com",
                     "marketing_consent": true}});
    let res = post_event(&app, &key, &event).await;
    assert_eq!(res.status(), 202);
    let listed = eventually(20, "the customer with two schedules", || async {
        let list: Value = owner.get("/api/v1/customers").await.json().await.unwrap();
        let c = list.as_array().unwrap().first().cloned()?;
        let detail: Value = owner
            .get(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        (detail["orders"].as_array().unwrap().len() == 1).then_some(c)
    })
    .await;
    assert_eq!(listed["phone_masked"], "+49 *** *** 56 99");
    assert!(!listed.to_string().contains("12345699"), "{listed}");
    let id = listed["id"].as_str().unwrap().to_owned();
    let detail: Value = owner.get(&format!("/api/v1/customers/{id}")).await.json().await.unwrap();
    assert_eq!(detail["consent_history"][0]["purpose"], "marketing");
    assert_eq!(detail["orders"][0]["order_number"], "#7");
    assert_eq!(
        owner.get("/api/v1/customers?q=lea").await.json::<Value>().await.unwrap().as_array().unwrap().len(),
        1
    );
    assert!(
        owner
            .get("/api/v1/customers?q=nobody")
            .await
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The export is whole; a viewer may look but not export or erase; another merchant sees nothing.
    let res = owner.get(&format!("/api/v1/customers/{id}/export")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let export: Value = res.json().await.unwrap();
    assert_eq!(export["customer"]["phone"], "+4915112345699");
    assert_eq!(export["customer"]["email"], "lea@example.com");
    assert_eq!(export["scheduled_messages"].as_array().unwrap().len(), 2);
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    assert_eq!(viewer.get(&format!("/api/v1/customers/{id}")).await.status(), 200);
    assert_eq!(viewer.get(&format!("/api/v1/customers/{id}/export")).await.status(), 403);
    assert_eq!(viewer.post(&format!("/api/v1/customers/{id}/erase"), json!({})).await.status(), 403);
    let other = app.signup().await;
    assert_eq!(other.get(&format!("/api/v1/customers/{id}")).await.status(), 404);
    assert_eq!(other.post(&format!("/api/v1/customers/{id}/erase"), json!({})).await.status(), 404);

    // Erasure: schedules cancelled, personal data and ciphertexts gone, the row kept anonymous.
    let res = owner.post(&format!("/api/v1/customers/{id}/erase"), json!({})).await;
    assert_eq!(res.status(), 200);
    let erased: Value = res.json().await.unwrap();
    assert_eq!(erased["scheduled_cancelled"], 2);
    let after: Value = owner.get(&format!("/api/v1/customers/{id}/export")).await.json().await.unwrap();
    assert_eq!(
        (after["customer"]["phone"].clone(), after["customer"]["name"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(after["scheduled_messages"].as_array().unwrap().iter().all(|s| s["status"] == "cancelled"));
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let left: (i64, i64) = sqlx::query_as(
        "select (select count(*) from customers where phone_enc is not null or email_enc is not null or phone_bidx is not null),
                (select count(*) from external_events where raw_enc is not null or phone_enc is not null)",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(left, (0, 0), "no ciphertext of the customer is left");
    let list: Value = owner.get("/api/v1/customers").await.json().await.unwrap();
    assert_eq!((list[0]["erased"].clone(), list[0]["phone_masked"].clone()), (json!(true), Value::Null));
}

/// Writes a customer and one inbound message of the given age, straight into the database.
async fn message_aged(app: &TestApp, merchant: uuid::Uuid, days: i64, body: &str) -> uuid::Uuid {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let customer: uuid::Uuid =
        sqlx::query_scalar("insert into customers (merchant_id, name) values ($1, 'Aged') returning id")
            .bind(merchant)
            .fetch_one(tx.conn())
            .await
            .unwrap();
    let id: uuid::Uuid = sqlx::query_scalar(
        "insert into messages (merchant_id, customer_id, direction, body, sent_by, created_at)
         values ($1, $2, 'inbound', $3, 'customer', now() - make_interval(days => $4::int)) returning id",
    )
    .bind(merchant)
    .bind(customer)
    .bind(body)
    .bind(days as i32)
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn body_of(app: &TestApp, merchant: uuid::Uuid, message: uuid::Uuid) -> Option<String> {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let body: Option<String> = sqlx::query_scalar("select body from messages where id = $1")
        .bind(message)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    body
}

#[tokio::test]
async fn message_bodies_older_than_the_retention_period_are_purged() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let keeps_all = app.signup().await;
    let old = message_aged(&app, owner.merchant_id, 40, "my old question").await;
    let recent = message_aged(&app, owner.merchant_id, 2, "my recent question").await;
    let others_old = message_aged(&app, keeps_all.merchant_id, 400, "kept forever").await;

    // A viewer may not set it; out-of-range values are refused.
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    let res = viewer.patch("/api/v1/settings/retention", json!({"message_retention_days": 30})).await;
    assert_eq!(res.status(), 403);
    let res = owner.patch("/api/v1/settings/retention", json!({"message_retention_days": 0})).await;
    assert_eq!(res.status(), 422);
    let res = owner.patch("/api/v1/settings/retention", json!({"message_retention_days": 30})).await;
    assert_eq!(res.status(), 200);

    eventually(40, "the 40-day-old body purged by the sweeper", || async {
        body_of(&app, owner.merchant_id, old).await.is_none().then_some(())
    })
    .await;
    assert_eq!(body_of(&app, owner.merchant_id, recent).await.as_deref(), Some("my recent question"));
    assert_eq!(body_of(&app, keeps_all.merchant_id, others_old).await.as_deref(), Some("kept forever"));
    let log: Value = owner.get("/api/v1/audit-log").await.json().await.unwrap();
    let purge = log.as_array().unwrap().iter().find(|e| e["action"] == "messages.purge").cloned().unwrap();
    assert_eq!(
        (purge["actor_type"].clone(), purge["details"]["messages"].clone()),
        (json!("worker"), json!(1))
    );
}
