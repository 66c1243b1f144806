//! Rate limits answer 429 with Retry-After.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{error_code, spawn_app_with, unique_email};
use serde_json::json;

#[tokio::test]
async fn public_routes_are_limited_per_ip() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    let http = common::client();
    let login = || {
        http.post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": unique_email("x"), "password": "whatever-password"}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(login().await.unwrap().status(), 401);
    }
    let res = login().await.unwrap();
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(error_code(res).await, "rate_limited");

    // Health checks are not public API routes and stay reachable.
    assert_eq!(http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn api_keys_are_limited_per_key() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_API_KEY_PER_HOUR", "2")]).await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    let (_, other_key) = owner.create_key(&["events:write"]).await;
    let http = common::client();
    let call = |k: String| http.get(app.url("/api/v1/merchant")).header("x-api-key", k).send();
    assert_eq!(call(key.clone()).await.unwrap().status(), 200);
    assert_eq!(call(key.clone()).await.unwrap().status(), 200);
    let res = call(key.clone()).await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // The limit is per key: another key of the same merchant still works.
    assert_eq!(call(other_key).await.unwrap().status(), 200);
}

#[tokio::test]
async fn all_of_a_merchants_keys_and_sessions_share_one_budget() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MERCHANT_PER_HOUR", "4")]).await;
    let owner = app.signup().await;
    // Two session calls...
    let (_, first) = owner.create_key(&["events:write"]).await;
    let (_, second) = owner.create_key(&["events:write"]).await;
    let http = common::client();
    let call = |k: String| http.get(app.url("/api/v1/merchant")).header("x-api-key", k).send();
    // ...and two key calls use the budget of four...
    assert_eq!(call(first.clone()).await.unwrap().status(), 200);
    assert_eq!(call(second.clone()).await.unwrap().status(), 200);
    // ...so the next call, through either key or the session, is refused.
    assert_eq!(call(first).await.unwrap().status(), 429);
    assert_eq!(owner.get("/api/v1/users").await.status(), 429);
    // Another merchant is unaffected.
    let other = app.signup().await;
    assert_eq!(other.get("/api/v1/users").await.status(), 200);
}

#[tokio::test]
async fn failed_authentication_spends_the_ip_budget() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    let http = common::client();
    let guess = || {
        let key = revive_shared::crypto::api_key::generate();
        http.get(app.url("/api/v1/merchant")).header("x-api-key", key.expose().to_owned()).send()
    };
    for _ in 0..3 {
        assert_eq!(guess().await.unwrap().status(), 401);
    }
    let res = guess().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}
