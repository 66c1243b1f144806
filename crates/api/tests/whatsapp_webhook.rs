//! `/webhooks/whatsapp`: verification, signatures, status precedence, marketing preferences and
//! business-scoped user ids, with Meta's own example payloads signed byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::*;
use revive_shared::db::customers;
use revive_shared::ids::CustomerId;
use revive_shared::phone::PhoneE164;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PLATFORM_SECRET: &str = "platform-app-secret-for-tests";
const VERIFY_TOKEN: &str = "platform-verify-token";
/// The business number of Meta's status examples.
const STATUS_FIXTURE_NUMBER: &str = "1122334455667";
/// The business number of Meta's preference and error examples.
const PREFERENCE_FIXTURE_NUMBER: &str = "106540352242922";

/// An app that only answers webhooks: no workers, so no dispatcher sends other tests' messages.
async fn webhook_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("RUN_WORKERS", "false"),
        ("WHATSAPP_APP_SECRET", PLATFORM_SECRET),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

fn random_number_id() -> String {
    format!("20{}", Uuid::new_v4().as_u128() % 10_000_000_000_000)
}

async fn connect(owner: &Account, phone_number_id: &str, extra: Value) -> Value {
    let mut body = json!({"phone_number_id": phone_number_id, "access_token": "EAAG-test-token-0123456789"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let res = owner.put("/api/v1/whatsapp-account", body).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert!(!out.to_string().contains("EAAG-test-token"), "the token is never shown: {out}");
    out
}

async fn ack(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn status_delivery(phone_number_id: &str, statuses: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550000000", "phone_number_id": phone_number_id},
            "statuses": statuses}}]}]}))
    .unwrap()
}

async fn message_status(app: &TestApp, merchant: Uuid, wamid: &str) -> (String, Option<String>) {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let row: (String, Option<String>) =
        sqlx::query_as("select status, error_code from messages where wa_message_id = $1")
            .bind(wamid)
            .fetch_one(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    row
}

#[tokio::test]
async fn subscription_is_verified_with_the_token() {
    let app = webhook_app(&[]).await;
    let verify = |token: &str| {
        reqwest::Client::new().get(app.url(&format!(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        )))
    };
    let res = verify(VERIFY_TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "1158201444");
    let res = verify("not-the-token").send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "forbidden");
    let res = reqwest::Client::new().get(app.url("/webhooks/whatsapp?hub.challenge=1")).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // A merchant's own Meta app gets its own address and token.
    let owner = app.signup().await;
    let account = connect(
        &owner,
        &random_number_id(),
        json!({"app_secret": "merchant-app-secret-123", "verify_token": "merchant-verify-1"}),
    )
    .await;
    let url = account["webhook_url"].as_str().unwrap();
    let id = account["account"]["id"].as_str().unwrap();
    assert!(url.ends_with(&format!("/webhooks/whatsapp/{id}")), "{url}");
    let own = |token: &str| {
        reqwest::Client::new().get(app.url(&format!(
            "/webhooks/whatsapp/{id}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=42"
        )))
    };
    assert_eq!(own("merchant-verify-1").send().await.unwrap().text().await.unwrap(), "42");
    assert_eq!(own(VERIFY_TOKEN).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn unsigned_forged_and_altered_deliveries_are_refused() {
    let app = webhook_app(&[]).await;
    let body = fixture("whatsapp_status_delivered.json");
    let res = post_whatsapp(&app.base, "/webhooks/whatsapp", &body, "not-the-secret").await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
    let res =
        reqwest::Client::new().post(app.url("/webhooks/whatsapp")).body(body.clone()).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // Signed, then changed by one byte.
    let signature = revive_shared::crypto::signature::sign_meta(PLATFORM_SECRET.as_bytes(), &body);
    let mut altered = body.clone();
    altered.push(b' ');
    let res = reqwest::Client::new()
        .post(app.url("/webhooks/whatsapp"))
        .header("x-hub-signature-256", signature)
        .body(altered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Signed properly: accepted, and skipped (no merchant has this number).
    let unknown =
        status_delivery(&random_number_id(), json!([{"id": "wamid.u", "status": "sent", "timestamp": "1"}]));
    let body = ack(post_whatsapp(&app.base, "/webhooks/whatsapp", &unknown, PLATFORM_SECRET).await).await;
    assert_eq!(body["skipped"], 1, "{body}");
    // Signed garbage is a clear 400, not a crash.
    let res = post_whatsapp(&app.base, "/webhooks/whatsapp", b"{\"object\":", PLATFORM_SECRET).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "bad_request");

    // A merchant's own address takes only that merchant's secret, and only its number.
    let owner = app.signup().await;
    let number = random_number_id();
    let account = connect(&owner, &number, json!({"app_secret": "merchant-app-secret-123"})).await;
    let path = format!("/webhooks/whatsapp/{}", account["account"]["id"].as_str().unwrap());
    let delivery =
        status_delivery(&number, json!([{"id": "wamid.none", "status": "sent", "timestamp": "1700000000"}]));
    assert_eq!(post_whatsapp(&app.base, &path, &delivery, PLATFORM_SECRET).await.status(), 401);
    let body = ack(post_whatsapp(&app.base, &path, &delivery, "merchant-app-secret-123").await).await;
    assert_eq!(body["statuses_unchanged"], 1, "{body}");
    let other = status_delivery(
        &random_number_id(),
        json!([{"id": "wamid.x", "status": "sent", "timestamp": "1700000000"}]),
    );
    let body = ack(post_whatsapp(&app.base, &path, &other, "merchant-app-secret-123").await).await;
    assert_eq!(body["skipped"], 1, "another number's status is not this account's: {body}");
    let res = post_whatsapp(
        &app.base,
        &format!("/webhooks/whatsapp/{}", Uuid::new_v4()),
        &delivery,
        PLATFORM_SECRET,
    )
    .await;
    assert_eq!(res.status(), 401);

    // Without a platform secret configured, nothing is accepted at the platform address.
    let bare = spawn_app_with(&[("RUN_WORKERS", "false")]).await;
    let res =
        post_whatsapp(&bare.base, "/webhooks/whatsapp", &fixture("whatsapp_status_sent.json"), "").await;
    assert_eq!(res.status(), 401);
}

/// Meta's status examples, against a message really sent to a Meta mock.
#[tokio::test]
async fn status_fixtures_merge_by_precedence() {
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "contacts": [{"input": "972987654321", "wa_id": "972987654321"}],
            "messages": [{"id": "wamid.xyzxyz"}]})))
        .mount(&meta)
        .await;
    let app =
        spawn_app_with(&[("META_GRAPH_BASE_URL", &meta.uri()), ("WHATSAPP_APP_SECRET", PLATFORM_SECRET)])
            .await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    app.free_phone_number_id(STATUS_FIXTURE_NUMBER).await;
    let account = connect(&owner, STATUS_FIXTURE_NUMBER, json!({})).await;
    assert_eq!(account["mode"], "meta");
    assert!(account["webhook_url"].as_str().unwrap().ends_with("/webhooks/whatsapp"));
    let t: Value = owner
        .post(
            "/api/v1/templates",
            json!({"flow": "checkin", "name": "checkin", "language": "en",
            "category": "utility", "body": "Hi {{first_name}}", "meta_template_name": "order_checkin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/templates/{}", t["id"].as_str().unwrap());
    assert_eq!(owner.patch(&path, json!({"status": "approved"})).await.status(), 200);
    let quiet = json!({"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"});
    assert_eq!(owner.patch("/api/v1/settings/retention", quiet).await.status(), 200);

    let now = Utc::now().to_rfc3339();
    for t in ["order.created", "order.delivered"] {
        let event = json!({"type": t, "external_id": format!("st-{t}"), "occurred_at": now,
            "order": {"id": "st-1", "items": [{"title": "Soap", "quantity": 1}]},
            "customer": {"phone": "+905321231234", "name": "Noa"}});
        let res = post_event(&app, &key, &event).await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    }
    let checkin = eventually(20, "the check-in to be scheduled", || async {
        let list: Value = owner.get("/api/v1/scheduled-messages?flow=checkin").await.json().await.unwrap();
        list[0]["id"].as_str().map(ToOwned::to_owned)
    })
    .await;
    let res = owner.post(&format!("/api/v1/scheduled-messages/{checkin}/send-now"), json!({})).await;
    assert_eq!(res.status(), 200);
    let path = format!("/api/v1/scheduled-messages/{checkin}");
    eventually(20, "the check-in to be sent", || async {
        (get_json(&owner, &path).await["status"] == "sent").then_some(())
    })
    .await;
    let merchant = owner.merchant_id;
    assert_eq!(message_status(&app, merchant, "wamid.xyzxyz").await.0, "sent");

    let post = |name: &str| {
        let (base, body) = (app.base.clone(), fixture(name));
        async move { post_whatsapp(&base, "/webhooks/whatsapp", &body, PLATFORM_SECRET).await }
    };
    // "read" may come first; later "delivered", "sent" and "failed" do not move it back.
    assert_eq!(ack(post("whatsapp_status_read.json").await).await["statuses_applied"], 1);
    for late in
        ["whatsapp_status_delivered.json", "whatsapp_status_sent.json", "whatsapp_status_failed_130472.json"]
    {
        let body = ack(post(late).await).await;
        assert_eq!(body["statuses_unchanged"], 1, "{late}: {body}");
    }
    assert_eq!(message_status(&app, merchant, "wamid.xyzxyz").await.0, "read");
    let trail = get_json(&owner, &path).await["trail"].to_string();
    assert!(trail.contains("\"read\""), "{trail}");

    // From "sent", a failure is recorded with Meta's code and the flow message fails with the
    // reason; a delivery reported after it (another device) wins.
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    sqlx::query("update messages set status = 'sent' where wa_message_id = 'wamid.xyzxyz'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ack(post("whatsapp_status_failed_130472.json").await).await["statuses_applied"], 1);
    assert_eq!(
        message_status(&app, merchant, "wamid.xyzxyz").await,
        ("failed".into(), Some("130472".into()))
    );
    let s = get_json(&owner, &path).await;
    assert_eq!(s["status"], "failed");
    assert!(s["reason"].as_str().unwrap().contains("experiment"), "{s}");
    assert_eq!(ack(post("whatsapp_status_delivered.json").await).await["statuses_applied"], 1);
    assert_eq!(message_status(&app, merchant, "wamid.xyzxyz").await, ("delivered".into(), None));
    assert_eq!(get_json(&owner, &path).await["status"], "sent");
    assert_eq!(meta.received_requests().await.unwrap().len(), 1);
}

async fn get_json(owner: &Account, path: &str) -> Value {
    owner.get(path).await.json().await.unwrap()
}

async fn marketing_consent(app: &TestApp, merchant: Uuid, customer: CustomerId) -> (bool, i64) {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let row: (bool, i64) = sqlx::query_as(
        "select consent_marketing, (select count(*) from customer_consent_events
                                    where customer_id = $1 and source = 'whatsapp')
         from customers where id = $1",
    )
    .bind(customer.0)
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    row
}

async fn customer_with_message(app: &TestApp, merchant: Uuid, phone: &str, wamid: &str) -> CustomerId {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let phone = PhoneE164::parse(phone, None).unwrap();
    let customer =
        customers::upsert_by_phone(&mut tx, &app.config.cipher, &app.config.blind_index, &phone, Some("Sam"))
            .await
            .unwrap();
    sqlx::query(
        "insert into messages (merchant_id, customer_id, direction, wa_message_id, status, sent_by)
         values ($1, $2, 'outbound', $3, 'sent', 'flow')",
    )
    .bind(merchant)
    .bind(customer.0)
    .bind(wamid)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    customer
}

fn preference(phone_number_id: &str, who: Value, value: &str, timestamp: i64) -> Vec<u8> {
    let mut pref = json!({"detail": "User requested", "category": "marketing_messages", "value": value,
        "timestamp": timestamp});
    pref.as_object_mut().unwrap().extend(who.as_object().unwrap().clone());
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "user_preferences", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
            "user_preferences": [pref]}}]}]}))
    .unwrap()
}

#[tokio::test]
async fn preferences_user_ids_and_batches() {
    let app = webhook_app(&[]).await;
    let owner = app.signup().await;
    app.free_phone_number_id(PREFERENCE_FIXTURE_NUMBER).await;
    connect(&owner, PREFERENCE_FIXTURE_NUMBER, json!({})).await;
    let merchant = owner.merchant_id;
    // The phone of Meta's resume example.
    let customer = customer_with_message(&app, merchant, "+16505551234", "wamid.pref-1").await;
    let post = |body: Vec<u8>| {
        let base = app.base.clone();
        async move { ack(post_whatsapp(&base, "/webhooks/whatsapp", &body, PLATFORM_SECRET).await).await }
    };

    let stop = preference(PREFERENCE_FIXTURE_NUMBER, json!({"wa_id": "16505551234"}), "stop", 1_731_705_000);
    assert_eq!(post(stop.clone()).await["preferences_applied"], 1);
    assert_eq!(marketing_consent(&app, merchant, customer).await, (false, 1));
    // Meta's own example: resume, a little later.
    assert_eq!(
        post(fixture("whatsapp_user_marketing_preferences_resume.json")).await["preferences_applied"],
        1
    );
    assert_eq!(marketing_consent(&app, merchant, customer).await, (true, 2));
    // The older stop delivered again, and the resume repeated: nothing changes.
    post(stop).await;
    post(fixture("whatsapp_user_marketing_preferences_resume.json")).await;
    assert_eq!(marketing_consent(&app, merchant, customer).await, (true, 2));
    // A system-level error (Meta's 130429 example) is acknowledged and skipped.
    let body = post(fixture("whatsapp_webhook_errors_130429.json")).await;
    assert_eq!(body["skipped"], 1, "{body}");

    // A username user: the status names only the business-scoped id, which is then the key for
    // a preference that carries no phone.
    let status = status_delivery(
        PREFERENCE_FIXTURE_NUMBER,
        json!([{"id": "wamid.pref-1", "status": "delivered", "timestamp": "1731706000",
                "recipient_user_id": "US.13491208655302741918"}]),
    );
    assert_eq!(post(status).await["statuses_applied"], 1);
    let by_user_id = preference(
        PREFERENCE_FIXTURE_NUMBER,
        json!({"user_id": "US.13491208655302741918"}),
        "stop",
        1_731_706_100,
    );
    assert_eq!(post(by_user_id).await["preferences_applied"], 1);
    assert_eq!(marketing_consent(&app, merchant, customer).await, (false, 3));
    let stranger =
        preference(PREFERENCE_FIXTURE_NUMBER, json!({"wa_id": "4915112345678"}), "stop", 1_731_706_200);
    assert_eq!(post(stranger).await["skipped"], 1);

    // One delivery, two entries, two merchants: both applied.
    let other = app.signup().await;
    let other_number = random_number_id();
    connect(&other, &other_number, json!({})).await;
    customer_with_message(&app, other.merchant_id, "+905321231234", "wamid.batch-2").await;
    let batch = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": PREFERENCE_FIXTURE_NUMBER},
            "statuses": [{"id": "wamid.pref-1", "status": "read", "timestamp": "1731707000"}]}}]},
        {"id": "2", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": other_number},
            "statuses": [{"id": "wamid.batch-2", "status": "read", "timestamp": "1731707000"},
                         {"id": "wamid.batch-2", "status": "played", "timestamp": "1731707001"}]}}]}]}))
    .unwrap();
    let body = post(batch).await;
    assert_eq!(
        (body["statuses_applied"].as_i64(), body["statuses_unchanged"].as_i64()),
        (Some(2), Some(1)),
        "{body}"
    );
    assert_eq!(message_status(&app, merchant, "wamid.pref-1").await.0, "read");
    assert_eq!(message_status(&app, other.merchant_id, "wamid.batch-2").await.0, "read");
    // Each merchant sees only its own message.
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from messages where wa_message_id = 'wamid.batch-2'")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(seen, 0);
}
