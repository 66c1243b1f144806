//! Service basics: health, readiness, metrics, request ids, OpenAPI, body limits, dashboard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let http = common::client();
    assert_eq!(http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    let res = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"postgres": "ok", "redis": "ok"}));

    let metrics = http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/readyz\""), "{metrics}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let http = common::client();
    let res = http.get(app.url("/healthz")).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "{id}");
    // A caller's own id is kept.
    let res = http.get(app.url("/healthz")).header("x-request-id", "trace-me-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn openapi_document_and_docs_page() {
    let app = spawn_app().await;
    let http = common::client();
    let doc: Value = http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/users",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    let page = http.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "1024")]).await;
    let big = "x".repeat(4096);
    let res = common::client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"merchant_name": big, "email": "a@b.test", "password": "0123456789"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "payload_too_large");
}

#[tokio::test]
async fn errors_from_outside_the_handlers_have_the_same_shape() {
    let app = spawn_app().await;
    let res = common::client().put(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert!(res.headers().contains_key("allow"));
    assert_eq!(error_code(res).await, "method_not_allowed");
}

#[tokio::test]
async fn unknown_api_routes_and_the_dashboard() {
    let app = spawn_app().await;
    let http = common::client();
    let res = http.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Revive"));
    // Client-side routes fall back to the app shell.
    let res = http.get(app.url("/settings/team")).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("Revive"));
    // Unauthenticated API calls get the JSON error shape.
    let res = http.get(app.url("/api/v1/users")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
}

#[tokio::test]
async fn malformed_paths_and_queries_get_the_error_shape() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res = owner.delete("/api/v1/api-keys/not-a-uuid").await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "not_found");
    let res = owner.get("/api/v1/audit-log?limit=lots").await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "bad_request");
    let res = owner.get("/api/v1/no-such-thing").await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "not_found");
}
