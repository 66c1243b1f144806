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
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/events"))
        .header("x-api-key", &key)
        .json(&event)
        .send()
        .await
        .unwrap();
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
