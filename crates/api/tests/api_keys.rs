//! API keys: shown once, hashed at rest, scoped, revocable, expiring.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Duration, Utc};
use common::{error_code, spawn_app};
use revive_shared::crypto::{Scope, api_key};
use revive_shared::db::api_keys;
use serde_json::{Value, json};

#[tokio::test]
async fn a_key_works_until_revoked() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (id, key) = owner.create_key(&["events:write"]).await;
    assert!(key.starts_with("rvk_"));

    let http = common::client();
    let res = http.get(app.url("/api/v1/merchant")).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let merchant: Value = res.json().await.unwrap();
    assert_eq!(merchant["id"], owner.merchant_id.to_string());

    // Listed without the key, with its prefix and last use.
    let list: Value = owner.get("/api/v1/api-keys").await.json().await.unwrap();
    let listed = &list.as_array().unwrap()[0];
    assert_eq!(listed["id"], id.to_string());
    assert!(key.starts_with(listed["display_prefix"].as_str().unwrap()));
    assert!(listed["last_used_at"].is_string());
    assert!(!list.to_string().contains(&key));

    // Only the SHA-256 of the key is stored.
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    let plain_hits: i64 = sqlx::query_scalar(
        "select count(*) from api_keys k where k::text like '%' || $1 || '%' or k::text like '%' || $2 || '%'",
    )
    .bind(&key[4..])
    .bind(&hex[8..])
    .fetch_one(tx.conn())
    .await
    .unwrap();
    assert_eq!(plain_hits, 0);
    let hashed: i64 = sqlx::query_scalar("select count(*) from api_keys where key_hash = sha256($1::bytea)")
        .bind(key.as_bytes())
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(hashed, 1, "the stored value is the key's SHA-256");
    drop(tx);

    assert_eq!(owner.delete(&format!("/api/v1/api-keys/{id}")).await.status(), 204);
    let res = http.get(app.url("/api/v1/merchant")).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
}

#[tokio::test]
async fn expired_malformed_and_unknown_keys_get_401() {
    let app = spawn_app().await;
    let owner = app.signup().await;

    // An expired key, written straight to the database (the API refuses past expiries).
    let expired = api_key::generate();
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    api_keys::create(
        &mut tx,
        &expired,
        "old",
        &[Scope::EventsWrite],
        Some(Utc::now() - Duration::minutes(1)),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let never_stored = api_key::generate();
    let http = common::client();
    for key in [expired.expose(), never_stored.expose(), "rvk_garbage", "", "sk_live_123"] {
        let res = http.get(app.url("/api/v1/merchant")).header("x-api-key", key).send().await.unwrap();
        assert_eq!(res.status(), 401, "key {key:?}");
    }
}

#[tokio::test]
async fn keys_cannot_manage_keys_and_bad_requests_are_rejected() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    let http = common::client();
    let res = http
        .post(app.url("/api/v1/api-keys"))
        .header("x-api-key", &key)
        .json(&json!({"name": "minted", "scopes": ["events:write"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let res = owner.post("/api/v1/api-keys", json!({"name": "x", "scopes": ["root"]})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["fields"]["scopes"].is_array(), "{body}");

    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    let res = owner
        .post("/api/v1/api-keys", json!({"name": "x", "scopes": ["events:write"], "expires_at": past}))
        .await;
    assert_eq!(res.status(), 422);

    let res = owner.delete(&format!("/api/v1/api-keys/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(res.status(), 404);
}
