//! Every operation of the OpenAPI document called with hostile input, as a dashboard session and
//! as an API key holding every scope (in the spirit of schemathesis, without its Python): broken
//! JSON, JSON of the wrong shape, fields of the wrong type, ids that are not ids, junk query
//! strings, oversized strings. Nothing may answer 5xx, and every error has the documented shape
//! (`{"error": {"code", "message"}}`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

/// Bodies a careless or hostile client sends.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let huge = "x".repeat(70_000);
    let deep = format!("{}{}", "[".repeat(2_000), "]".repeat(2_000));
    vec![
        ("empty", Vec::new()),
        ("not json", b"{\"name\": ".to_vec()),
        ("null", b"null".to_vec()),
        ("array", b"[1, 2, 3]".to_vec()),
        ("string", b"\"hello\"".to_vec()),
        ("number", b"12345678901234567890".to_vec()),
        ("empty object", b"{}".to_vec()),
        ("wrong types", serde_json::to_vec(&json!({"name": 5, "kind": [], "email": {}, "text": false, "role": 1,
            "title": null, "content": 3.5, "status": [], "scopes": "root", "flow": {}, "template_id": "nope",
            "phone_number_id": 1, "access_token": [], "query": 7, "k": "many", "price": [], "holdout_percent": "all"})).unwrap()),
        ("huge strings", serde_json::to_vec(&json!({"name": huge, "text": huge, "title": huge, "content": huge,
            "email": huge, "query": huge, "external_id": huge})).unwrap()),
        ("deep nesting", deep.into_bytes()),
        ("not utf-8", vec![0xff, 0xfe, 0x00, 0x7b, 0x22]),
        ("nul and rtl", serde_json::to_vec(&json!({"name": "a\u{0}b\u{202e}c", "text": "\u{0}", "title": "\u{202e}x"})).unwrap()),
    ]
}

/// Ids a careless or hostile client puts in a path.
const BAD_IDS: &[&str] =
    &["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "1%20or%201=1", "..%2F..%2Fetc"];

const QUERIES: &[&str] = &[
    "?limit=-1",
    "?limit=abc&offset=%ff",
    "?from=yesterday&to=2026-13-45",
    "?status=%27;drop%20table%20x;--&needs_attention=maybe",
    "?q=%E2%80%AE%00",
];

fn assert_documented(method: &str, path: &str, what: &str, status: reqwest::StatusCode, body: &[u8]) {
    assert!(
        !status.is_server_error(),
        "{method} {path} ({what}): {status} {}",
        String::from_utf8_lossy(body)
    );
    if status.is_client_error() && status != reqwest::StatusCode::METHOD_NOT_ALLOWED {
        let v: Value = serde_json::from_slice(body).unwrap_or_else(|_| {
            panic!(
                "{method} {path} ({what}): {status} with a body that is not JSON: {}",
                String::from_utf8_lossy(body)
            )
        });
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{method} {path} ({what}): {status} not in the documented error shape: {v}"
        );
    }
}

async fn send(
    client: &reqwest::Client,
    auth: &[(&str, String)],
    method: &str,
    url: &str,
    body: Option<&[u8]>,
) -> (reqwest::StatusCode, Vec<u8>) {
    let mut req = client.request(method.to_uppercase().parse().unwrap(), url);
    for (k, v) in auth {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_vec());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    // The live stream never ends: its status is the answer.
    if res.headers().get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream")) {
        return (status, Vec::new());
    }
    (status, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn hostile_input_to_every_operation_never_gets_a_5xx_and_errors_keep_their_shape() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    // Every scope there is.
    let (_, key) = owner
        .create_key(&[
            "events:write",
            "messages:read",
            "messages:write",
            "conversations:read",
            "conversations:write",
            "knowledge:read",
            "knowledge:write",
            "customers:read",
            "customers:write",
            "analytics:read",
            "imports:write",
        ])
        .await;
    let doc: Value = reqwest::get(app.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
    let session = vec![("x-csrf-token", owner.csrf.clone())];
    let api_key = vec![("x-api-key", key)];
    let plain = reqwest::Client::new();
    let mut calls = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            // Logging out would end the session the rest of the run uses.
            if template.ends_with("/auth/logout") {
                continue;
            }
            let paths: Vec<String> = if template.contains('{') {
                BAD_IDS.iter().map(|id| template.replace("{id}", id)).collect()
            } else {
                vec![template.clone()]
            };
            for (client, auth) in [(&owner.client, &session), (&plain, &api_key)] {
                for path in &paths {
                    for query in QUERIES {
                        let url = app.url(&format!("{path}{query}"));
                        let (status, body) = send(client, auth, method, &url, None).await;
                        assert_documented(method, &url, "junk query", status, &body);
                        calls += 1;
                    }
                    if method == "get" || method == "delete" {
                        continue;
                    }
                    for (what, body) in bodies() {
                        let (status, answer) = send(client, auth, method, &app.url(path), Some(&body)).await;
                        assert_documented(method, path, what, status, &answer);
                        calls += 1;
                    }
                }
            }
        }
    }
    assert!(calls > 1_000, "only {calls} calls made");
    // The session survived it all, and nothing was created by the junk.
    assert_eq!(owner.get("/api/v1/auth/me").await.status(), 200);
    let products: Value = owner.get("/api/v1/products").await.json().await.unwrap();
    assert_eq!(products.as_array().map(Vec::len), Some(0), "{products}");
}
