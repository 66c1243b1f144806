//! Every endpoint, read from the OpenAPI document, so a new one cannot slip past:
//! - each call that takes an id, made by another merchant with this merchant's ids, answers 404
//!   and changes nothing;
//! - each state-changing call leaves a line in the audit log (or is listed here with the reason
//!   it does not).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::{Value, json};

/// One merchant's objects, one of each kind an id can name.
struct World {
    owner: Account,
    ids: BTreeMap<&'static str, String>,
}

impl World {
    fn id(&self, kind: &str) -> &str {
        self.ids.get(kind).unwrap_or_else(|| panic!("no {kind} in the world"))
    }
}

async fn created_id(res: reqwest::Response, what: &str) -> String {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "creating {what}: {status} {body}");
    body.get("id").or_else(|| body.get("product_id")).and_then(Value::as_str).unwrap().to_owned()
}

/// Builds one of everything for a fresh merchant and waits until background work on it settled.
async fn world(app: &TestApp) -> World {
    let owner = app.signup().await;
    let mut ids = BTreeMap::new();
    let (key_id, key) = owner.create_key(&["events:write"]).await;
    ids.insert("api_key", key_id.to_string());
    let res = owner
        .post("/api/v1/users", json!({"email": unique_email("m"), "password": PASSWORD, "role": "agent"}))
        .await;
    ids.insert("user", created_id(res, "a user").await);
    let (integration, _) = owner.connect_shopify().await;
    ids.insert("integration", integration.to_string());
    let template = json!({"flow": "checkin", "name": "matrix", "language": "en", "category": "utility",
        "body": "Hi {{first_name}}, how is order {{order_number}}?", "meta_template_name": "matrix"});
    ids.insert("template", created_id(owner.post("/api/v1/templates", template).await, "a template").await);
    let source = json!({"kind": "faq", "title": "Shipping", "content": "We ship within two days."});
    ids.insert("source", created_id(owner.post("/api/v1/knowledge/sources", source).await, "a source").await);
    let product = json!({"external_id": "mx-1", "title": "Matrix soap", "description": "A bar of soap.", "price": "4.00", "currency": "EUR"});
    ids.insert("product", created_id(owner.post("/api/v1/products", product).await, "a product").await);

    let event = json!({"type": "order.delivered", "external_id": "mx-order-1", "occurred_at": chrono::Utc::now().to_rfc3339(),
        "order": {"id": "MX-1", "number": "#1", "items": [{"title": "Soap"}]},
        "customer": {"phone": "+49 151 12345611", "name": "Mia", "marketing_consent": true}});
    let res = post_event(app, &key, &event).await;
    ids.insert("event", created_id(res, "an event").await);
    let res = owner
        .client
        .post(owner.url("/api/v1/imports/orders?filename=o.csv"))
        .header("x-csrf-token", &owner.csrf)
        .header("content-type", "text/csv")
        .body("Order ID,Event,Date,Phone Number,Country\r\n77,delivered,2026-11-20,+4915112345612,DE\r\n")
        .send()
        .await
        .unwrap();
    ids.insert("import", created_id(res, "an import").await);
    let res = owner.post("/api/v1/simulator/messages", json!({"text": "hello, when do you ship?"})).await;
    assert_eq!(res.status(), 202);
    let simulated: Value = res.json().await.unwrap();
    let conversation = simulated["conversation_id"].as_str().unwrap().to_owned();
    ids.insert("conversation", conversation.clone());

    // Settled: the order scheduled, the bot answered, both sources embedded.
    let scheduled = eventually(30, "the order's schedules", || async {
        let list: Value = owner.get("/api/v1/scheduled-messages").await.json().await.unwrap();
        // Both flows of the API's order, due in days (the imported order's check-in was due
        // long ago: it is skipped as too late).
        let later: Vec<&Value> = list
            .as_array()?
            .iter()
            .filter(|s| s["status"] == "scheduled")
            .filter(|s| {
                s["due_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap()
                    > chrono::Utc::now()
            })
            .collect();
        (later.len() >= 2).then(|| later[0]["id"].as_str().unwrap().to_owned())
    })
    .await;
    ids.insert("scheduled", scheduled);
    eventually(30, "the bot's answer, sent", || async {
        let c: Value =
            owner.get(&format!("/api/v1/conversations/{conversation}")).await.json().await.unwrap();
        let bot = c["messages"].as_array()?.iter().find(|m| m["sent_by"] == "bot")?.clone();
        (bot["status"] != "pending").then_some(())
    })
    .await;
    let import = ids["import"].clone();
    eventually(30, "the import finished", || async {
        let i: Value = owner.get(&format!("/api/v1/imports/{import}")).await.json().await.unwrap();
        (i["status"] != "processing").then_some(())
    })
    .await;
    eventually(30, "both sources embedded", || async {
        let list: Value = owner.get("/api/v1/knowledge/sources").await.json().await.unwrap();
        let sources = list.as_array()?;
        (sources.len() == 2 && sources.iter().all(|s| s["status"] == "ready")).then_some(())
    })
    .await;
    let customer = eventually(30, "the customer with orders", || async {
        let list: Value = owner.get("/api/v1/customers?q=mia").await.json().await.unwrap();
        list.as_array()?.first().map(|c| c["id"].as_str().unwrap().to_owned())
    })
    .await;
    ids.insert("customer", customer);
    World { owner, ids }
}

/// The operations of the OpenAPI document, as (method, path template).
async fn operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: Value = reqwest::get(app.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.insert((method.clone(), path.clone()));
            }
        }
    }
    ops
}

/// Which object a path's `{id}` names.
fn kind_of(path: &str) -> &'static str {
    let kinds = [
        ("/api/v1/api-keys/", "api_key"),
        ("/api/v1/conversations/", "conversation"),
        ("/api/v1/customers/", "customer"),
        ("/api/v1/events/", "event"),
        ("/api/v1/imports/", "import"),
        ("/api/v1/integrations/", "integration"),
        ("/api/v1/knowledge/sources/", "source"),
        ("/api/v1/products/", "product"),
        ("/api/v1/scheduled-messages/", "scheduled"),
        ("/api/v1/templates/", "template"),
        ("/api/v1/users/", "user"),
    ];
    kinds
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, k)| *k)
        .unwrap_or_else(|| panic!("{path} takes an id this test does not know: add it to kind_of and world"))
}

/// A body the endpoint accepts, so that a 404 is about the id and not the body.
fn valid_body(method: &str, path: &str) -> Value {
    match (method, path) {
        ("patch", p) if p.starts_with("/api/v1/integrations/") => json!({"name": "renamed"}),
        ("patch", p) if p.starts_with("/api/v1/templates/") => json!({"name": "renamed"}),
        ("patch", p) if p.starts_with("/api/v1/users/") => json!({"role": "viewer"}),
        ("put", p) if p.starts_with("/api/v1/knowledge/sources/") => {
            json!({"kind": "faq", "title": "Taken", "content": "Overwritten by another merchant."})
        }
        ("post", p) if p.ends_with("/reply") => json!({"text": "not yours"}),
        _ => json!({}),
    }
}

async fn call(who: &Account, method: &str, path: &str, body: Value) -> reqwest::Response {
    match method {
        "get" => who.get(path).await,
        "post" => who.post(path, body).await,
        "put" => who.put(path, body).await,
        "patch" => who.patch(path, body).await,
        "delete" => who.delete(path).await,
        other => panic!("method {other}"),
    }
}

/// What merchant A can read about its objects: compared before and after B's attempts.
async fn snapshot(w: &World) -> Value {
    let mut all = serde_json::Map::new();
    for path in [
        "/api/v1/api-keys".to_owned(),
        "/api/v1/users".to_owned(),
        "/api/v1/products".to_owned(),
        "/api/v1/knowledge/sources".to_owned(),
        format!("/api/v1/integrations/{}", w.id("integration")),
        format!("/api/v1/templates/{}", w.id("template")),
        format!("/api/v1/scheduled-messages/{}", w.id("scheduled")),
        format!("/api/v1/conversations/{}", w.id("conversation")),
        format!("/api/v1/customers/{}", w.id("customer")),
        format!("/api/v1/events/{}", w.id("event")),
        format!("/api/v1/imports/{}", w.id("import")),
    ] {
        let res = w.owner.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        all.insert(path, res.json().await.unwrap());
    }
    Value::Object(all)
}

#[tokio::test]
async fn every_call_with_another_merchants_id_is_a_404_and_changes_nothing() {
    let app = spawn_app().await;
    let a = world(&app).await;
    let b = app.signup().await;
    let before = snapshot(&a).await;
    let mut tried = 0;
    for (method, template) in operations(&app).await {
        if !template.contains("{id}") {
            continue;
        }
        let path = template.replace("{id}", a.id(kind_of(&template)));
        let res = call(&b, &method, &path, valid_body(&method, &template)).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 404, "{method} {template} with another merchant's id: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{method} {template}: {body}");
        tried += 1;
    }
    assert!(tried >= 26, "only {tried} calls take an id");
    assert_eq!(snapshot(&a).await, before, "another merchant's calls changed something");
    // And B's own lists stay empty of A's objects.
    for list in
        ["/api/v1/customers", "/api/v1/conversations", "/api/v1/scheduled-messages", "/api/v1/products"]
    {
        let seen: Value = b.get(list).await.json().await.unwrap();
        assert_eq!(seen.as_array().map(Vec::len), Some(0), "{list}: {seen}");
    }
}

/// The action each state-changing call writes to the audit log; `Err` with the reason when it
/// writes none.
fn audited_as(method: &str, path: &str) -> Result<&'static str, &'static str> {
    Ok(match (method, path) {
        ("post", "/api/v1/auth/signup") => "merchant.signup",
        ("post", "/api/v1/auth/login") => "user.login",
        ("post", "/api/v1/auth/logout") => "user.logout",
        ("post", "/api/v1/api-keys") => "api_key.create",
        ("delete", "/api/v1/api-keys/{id}") => "api_key.revoke",
        ("post", "/api/v1/users") => "user.create",
        ("patch", "/api/v1/users/{id}") => "user.role_change",
        ("delete", "/api/v1/users/{id}") => "user.delete",
        ("post", "/api/v1/integrations") => "integration.create",
        ("patch", "/api/v1/integrations/{id}") => "integration.update",
        ("delete", "/api/v1/integrations/{id}") => "integration.delete",
        ("post", "/api/v1/events") => "events.store",
        ("post", "/api/v1/imports/orders") => "import.create",
        ("post", "/api/v1/templates") => "template.create",
        ("patch", "/api/v1/templates/{id}") => "template.update",
        ("delete", "/api/v1/templates/{id}") => "template.delete",
        ("patch", "/api/v1/settings/retention") => "settings.retention.update",
        ("put", "/api/v1/whatsapp-account") => "whatsapp_account.connect",
        ("delete", "/api/v1/whatsapp-account") => "whatsapp_account.disconnect",
        ("post", "/api/v1/knowledge/sources") => "knowledge_source.create",
        ("put", "/api/v1/knowledge/sources/{id}") => "knowledge_source.update",
        ("delete", "/api/v1/knowledge/sources/{id}") => "knowledge_source.delete",
        ("post", "/api/v1/products") => "product.create",
        ("delete", "/api/v1/products/{id}") => "product.delete",
        ("post", "/api/v1/simulator/messages") => "simulator.message",
        ("post", "/api/v1/conversations/{id}/take-over") => "conversation.take_over",
        ("post", "/api/v1/conversations/{id}/release") => "conversation.release",
        ("post", "/api/v1/conversations/{id}/reply") => "conversation.reply",
        ("post", "/api/v1/customers/{id}/erase") => "customer.erase",
        ("post", "/api/v1/scheduled-messages/{id}/cancel") => "scheduled_message.cancel",
        ("post", "/api/v1/scheduled-messages/{id}/send-now") => "scheduled_message.send_now",
        ("post", "/api/v1/scheduled-messages/{id}/replay") => "scheduled_message.replay",
        ("post", "/api/v1/knowledge/search") | ("post", "/api/v1/conversation/classify") => {
            return Err("reads only: a POST for its body");
        }
        _ => return Err("unlisted"),
    })
}

#[tokio::test]
async fn every_state_changing_call_leaves_an_audit_line() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let o = &w.owner;
    let unlisted: Vec<_> = operations(&app)
        .await
        .into_iter()
        .filter(|(m, p)| m != "get" && audited_as(m, p) == Err("unlisted"))
        .collect();
    assert!(unlisted.is_empty(), "state-changing calls with no audit expectation: {unlisted:?}");

    // The calls the world did not make yet, each expected to succeed.
    let id = |k| w.id(k).to_owned();
    let conversation = id("conversation");
    let scheduled = id("scheduled");
    let steps: Vec<(&str, String, Value)> = vec![
        ("patch", format!("/api/v1/users/{}", id("user")), json!({"role": "viewer"})),
        ("patch", format!("/api/v1/integrations/{}", id("integration")), json!({"name": "renamed"})),
        ("patch", format!("/api/v1/templates/{}", id("template")), json!({"name": "renamed"})),
        ("patch", "/api/v1/settings/retention".into(), json!({"attribution_window_days": 5})),
        (
            "put",
            format!("/api/v1/knowledge/sources/{}", id("source")),
            json!({"kind": "faq", "title": "Shipping", "content": "Two days."}),
        ),
        ("post", format!("/api/v1/conversations/{conversation}/take-over"), json!({})),
        ("post", format!("/api/v1/conversations/{conversation}/reply"), json!({"text": "A person here."})),
        ("post", format!("/api/v1/conversations/{conversation}/release"), json!({})),
        ("post", format!("/api/v1/scheduled-messages/{scheduled}/send-now"), json!({})),
    ];
    for (method, path, body) in steps {
        let res = call(o, method, &path, body).await;
        let status = res.status();
        assert!(status.is_success(), "{method} {path}: {status} {}", res.text().await.unwrap());
    }
    // A replay needs a failed message: make the other schedule one.
    let mut tx = app.db.begin(o.merchant_id.into()).await.unwrap();
    let failed: uuid::Uuid = sqlx::query_scalar(
        "update scheduled_messages set status = 'failed'
         where id = (select id from scheduled_messages where id <> $1 and status = 'scheduled' limit 1) returning id",
    )
    .bind(uuid::Uuid::parse_str(&scheduled).unwrap())
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let steps: Vec<(&str, String, Value)> = vec![
        ("post", format!("/api/v1/scheduled-messages/{failed}/replay"), json!({})),
        ("post", format!("/api/v1/scheduled-messages/{failed}/cancel"), json!({})),
        ("post", format!("/api/v1/customers/{}/erase", id("customer")), json!({})),
        ("delete", format!("/api/v1/products/{}", id("product")), Value::Null),
        ("delete", format!("/api/v1/knowledge/sources/{}", id("source")), Value::Null),
        ("delete", format!("/api/v1/templates/{}", id("template")), Value::Null),
        ("delete", format!("/api/v1/integrations/{}", id("integration")), Value::Null),
        ("delete", format!("/api/v1/users/{}", id("user")), Value::Null),
        ("delete", format!("/api/v1/api-keys/{}", id("api_key")), Value::Null),
        (
            "put",
            "/api/v1/whatsapp-account".into(),
            json!({"phone_number_id": format!("30{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000), "access_token": "EAAG-matrix-token-0123456789"}),
        ),
        ("delete", "/api/v1/whatsapp-account".into(), Value::Null),
    ];
    for (method, path, body) in steps {
        let res = call(o, method, &path, body).await;
        let status = res.status();
        assert!(status.is_success(), "{method} {path}: {status} {}", res.text().await.unwrap());
    }
    let other = app.login(&o.add_member("admin").await, PASSWORD).await;
    assert_eq!(other.post("/api/v1/auth/logout", json!({})).await.status(), 204);

    let log: Value = o.get("/api/v1/audit-log?limit=500").await.json().await.unwrap();
    let seen: BTreeSet<&str> = log.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    let expected: BTreeSet<&str> = operations(&app)
        .await
        .iter()
        .filter(|(m, _)| m != "get")
        .filter_map(|(m, p)| audited_as(m, p).ok())
        .collect();
    let missing: Vec<_> = expected.difference(&seen).collect();
    assert!(missing.is_empty(), "no audit line for {missing:?}; the log holds {seen:?}");
}
