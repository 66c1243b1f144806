//! Accounts: sign-up, log-in, sessions, CSRF and roles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASSWORD, error_code, spawn_app, unique_email};
use serde_json::{Value, json};

#[tokio::test]
async fn signup_login_me_logout() {
    let app = spawn_app().await;
    let owner = app.signup().await;

    let me: Value = owner.get("/api/v1/auth/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], owner.email);
    assert_eq!(me["user"]["role"], "owner");
    assert_eq!(me["csrf_token"], owner.csrf);

    // A second session through log-in; the session cookie is HttpOnly.
    let res = common::client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": owner.email.to_uppercase(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("revive_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");

    let res = owner.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(res.status(), 204);
    let res = owner.get("/api/v1/auth/me").await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
}

#[tokio::test]
async fn the_session_token_is_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res = common::client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": owner.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("revive_session="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let hex: String = token.bytes().map(|b| format!("{b:02x}")).collect();
    let hits: i64 = sqlx::query_scalar(
        "select count(*) from sessions s where s::text like '%' || $1 || '%' or s::text like '%' || $2 || '%'",
    )
    .bind(&token)
    .bind(&hex)
    .fetch_one(tx.conn())
    .await
    .unwrap();
    assert_eq!(hits, 0);
    let hashed: i64 =
        sqlx::query_scalar("select count(*) from sessions where token_hash = sha256($1::bytea)")
            .bind(token.as_bytes())
            .fetch_one(tx.conn())
            .await
            .unwrap();
    assert_eq!(hashed, 1, "the stored value is the token's SHA-256");
}

#[tokio::test]
async fn duplicate_email_is_a_conflict() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res = common::client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"merchant_name": "Copy", "email": owner.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "conflict");
}

#[tokio::test]
async fn invalid_signup_names_the_fields_without_echoing_values() {
    let app = spawn_app().await;
    let res = common::client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"merchant_name": "", "email": "not-an-email", "password": "short-pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    for field in ["merchant_name", "email", "password"] {
        assert!(body["error"]["fields"][field].is_array(), "{field} missing in {body}");
    }
    assert!(!text.contains("short-pw"), "password echoed: {text}");

    // A name of only spaces is blank, not a database error.
    let res = common::client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"merchant_name": "   ", "email": unique_email("b"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // A value of the wrong type is not echoed either.
    let res = common::client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"merchant_name": "Shop", "email": 4915123456789_u64, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = common::client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": ["+4915123456789"], "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(!text.contains("4915123456789"), "value echoed: {text}");

    // Malformed JSON and a wrong content type get the same error shape.
    let res = common::client()
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "bad_request");
    let res = common::client().post(app.url("/api/v1/auth/signup")).body("x").send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(error_code(res).await, "unsupported_media_type");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_indistinguishable() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let attempt = |email: String| {
        let url = app.url("/api/v1/auth/login");
        async move {
            let res = common::client()
                .post(url)
                .json(&json!({"email": email, "password": "not the password"}))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (wrong_status, wrong_body) = attempt(owner.email.clone()).await;
    let (unknown_status, unknown_body) = attempt(unique_email("nobody")).await;
    assert_eq!(wrong_status, 401);
    assert_eq!(unknown_status, 401);
    assert_eq!(wrong_body, unknown_body);
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let body = json!({"name": "k", "scopes": ["events:write"]});

    let res = owner.client.post(owner.url("/api/v1/api-keys")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "csrf_failed");

    let res = owner
        .client
        .post(owner.url("/api/v1/api-keys"))
        .header("x-csrf-token", "forged")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Another session's token does not fit this session.
    let other = app.signup().await;
    let res = owner
        .client
        .post(owner.url("/api/v1/api-keys"))
        .header("x-csrf-token", &other.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = owner.post("/api/v1/api-keys", body).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn roles_are_enforced() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let admin = app.login(&owner.add_member("admin").await, PASSWORD).await;
    let agent = app.login(&owner.add_member("agent").await, PASSWORD).await;
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    let key_body = json!({"name": "k", "scopes": ["events:write"]});

    for low in [&agent, &viewer] {
        let res = low.post("/api/v1/api-keys", key_body.clone()).await;
        assert_eq!(res.status(), 403);
        assert_eq!(error_code(res).await, "forbidden");
        assert_eq!(low.get("/api/v1/api-keys").await.status(), 403);
        assert_eq!(low.get("/api/v1/audit-log").await.status(), 403);
        let res = low
            .post(
                "/api/v1/users",
                json!({"email": unique_email("x"), "password": PASSWORD, "role": "viewer"}),
            )
            .await;
        assert_eq!(res.status(), 403);
        // Everyone may see the team.
        assert_eq!(low.get("/api/v1/users").await.status(), 200);
    }

    assert_eq!(admin.post("/api/v1/api-keys", key_body).await.status(), 201);
    // Admins cannot create owners or touch the owner.
    let res = admin
        .post("/api/v1/users", json!({"email": unique_email("o"), "password": PASSWORD, "role": "owner"}))
        .await;
    assert_eq!(res.status(), 403);
    let res = admin.patch(&format!("/api/v1/users/{}", owner.user_id), json!({"role": "viewer"})).await;
    assert_eq!(res.status(), 403);

    // The last owner cannot step down.
    let res = owner.patch(&format!("/api/v1/users/{}", owner.user_id), json!({"role": "admin"})).await;
    assert_eq!(res.status(), 409);

    // A role change ends the member's sessions, so the new role applies at once.
    let res = owner.patch(&format!("/api/v1/users/{}", agent.user_id), json!({"role": "admin"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(agent.get("/api/v1/auth/me").await.status(), 401);

    // The audit log recorded who did it.
    let log: Value = owner.get("/api/v1/audit-log").await.json().await.unwrap();
    let change =
        log.as_array().unwrap().iter().find(|e| e["action"] == "user.role_change").expect("audit entry");
    assert_eq!(change["actor_id"], owner.user_id.to_string());
    assert_eq!(change["details"]["to"], "admin");
}
