//! Templates, retention settings and scheduled messages through the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Timelike;
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn templates_are_checked_and_a_new_body_needs_approval_again() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let body = json!({"flow": "checkin", "name": "checkin_v1", "language": "en", "category": "utility",
                      "body": "Hi {{first_name}}, how is {{product}} working for you?", "meta_template_name": "checkin_v1"});
    let res = owner.post("/api/v1/templates", body.clone()).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["variables"], json!(["first_name", "product"]));
    assert_eq!(created["status"], "draft");
    assert_eq!(owner.post("/api/v1/templates", body).await.status(), 409, "name + language are unique");

    let bad = json!({"flow": "birthday", "name": "x", "language": "en", "category": "promo", "body": "Hi {{phone}}"});
    let res = owner.post("/api/v1/templates", bad).await;
    assert_eq!(res.status(), 422);
    let err: Value = res.json().await.unwrap();
    for field in ["flow", "category", "body"] {
        assert!(err["error"]["fields"][field].is_array(), "{field}: {err}");
    }

    let path = format!("/api/v1/templates/{}", created["id"].as_str().unwrap());
    let approved: Value = owner.patch(&path, json!({"status": "approved"})).await.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    let edited: Value = owner.patch(&path, json!({"body": "Hello {{name}}"})).await.json().await.unwrap();
    assert_eq!((edited["status"].as_str(), &edited["variables"]), (Some("draft"), &json!(["name"])));

    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    assert_eq!(
        viewer.get("/api/v1/templates").await.json::<Value>().await.unwrap().as_array().unwrap().len(),
        1
    );
    assert_eq!(viewer.patch(&path, json!({"name": "mine"})).await.status(), 403);
    let other = app.signup().await;
    assert_eq!(other.get(&path).await.status(), 404);
    assert_eq!(other.delete(&path).await.status(), 404);
    assert_eq!(owner.delete(&path).await.status(), 204);
    assert_eq!(owner.get(&path).await.status(), 404);
}

#[tokio::test]
async fn settings_merge_partial_changes_and_refuse_bad_values() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let defaults: Value = owner.get("/api/v1/settings/retention").await.json().await.unwrap();
    assert_eq!(
        (defaults["checkin_offset_hours"].as_i64(), defaults["followup_offset_hours"].as_i64()),
        (Some(72), Some(336))
    );
    let res = owner
        .patch(
            "/api/v1/settings/retention",
            json!({"checkin_offset_hours": 48, "quiet_hours_start": "22:30", "max_discount_percent": 10}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["checkin_offset_hours"], 48);
    assert_eq!(changed["quiet_hours_start"], "22:30:00");
    assert_eq!(changed["followup_offset_hours"], 336, "untouched fields keep their value");
    assert_eq!(changed["max_discount_percent"], 10);
    let cleared: Value = owner
        .patch("/api/v1/settings/retention", json!({"max_discount_percent": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(cleared["max_discount_percent"].is_null());

    for bad in [
        json!({"checkin_offset_hours": 0}),
        json!({"quiet_hours_end": "25:00"}),
        json!({"enabled_flows": ["checkin", "spam"]}),
        json!({"followup_flow": "checkin"}),
        json!({"followup_offset_hours": 24}),
        json!({"max_discount_percent": 150}),
    ] {
        let res = owner.patch("/api/v1/settings/retention", bad.clone()).await;
        assert_eq!(res.status(), 422, "{bad}");
        assert_eq!(error_code(res).await, "validation_failed");
    }
    let agent = app.login(&owner.add_member("agent").await, PASSWORD).await;
    assert_eq!(
        agent.patch("/api/v1/settings/retention", json!({"checkin_offset_hours": 24})).await.status(),
        403
    );
    let now: Value = owner.get("/api/v1/settings/retention").await.json().await.unwrap();
    assert_eq!(now["checkin_offset_hours"], 48);
}

#[tokio::test]
async fn scheduled_messages_are_listed_with_their_trail_and_can_be_cancelled_once() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write", "messages:read", "messages:write"]).await;
    // Delivered now: the schedules are days ahead, so no sender touches them during the test.
    let delivered = chrono::Utc::now().with_nanosecond(0).unwrap();
    let event = json!({"type": "order.delivered", "external_id": "d-1", "occurred_at": delivered.to_rfc3339(),
        "order": {"id": "A-1"}, "customer": {"phone": "+905321231234", "name": "Ayşe"}});
    let res = post_event(&app, &key, &event).await;
    assert_eq!(res.status(), 202);
    let list = eventually(15, "two schedules", || async {
        let list: Value = owner.get("/api/v1/scheduled-messages").await.json().await.unwrap();
        (list.as_array().unwrap().len() == 2).then_some(list)
    })
    .await;
    assert_eq!(list[0]["flow"], "checkin");
    let due = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(list[i]["due_at"].as_str().unwrap()).unwrap().to_utc()
    };
    assert_eq!(due(0), delivered + chrono::Duration::hours(72));
    assert_eq!(due(1), delivered + chrono::Duration::hours(336));
    assert_eq!(list[0]["trail"][0]["event"], "scheduled");
    let stats: Value = owner.get("/api/v1/queue-stats").await.json().await.unwrap();
    assert_eq!(
        stats["send_message"],
        json!({"pending": 0, "scheduled": 2, "running": 0, "failed": 0, "dead": 0, "oldest_pending_secs": 0})
    );
    assert_eq!(stats["process_event"]["pending"], 0, "{stats}");

    let id = list[1]["id"].as_str().unwrap();
    let cancel = |who: &str| format!("/api/v1/scheduled-messages/{id}/cancel{who}");
    let res =
        reqwest::Client::new().post(app.url(&cancel(""))).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["reason"].as_str().unwrap().contains("through the API"));
    assert_eq!(cancelled["trail"].as_array().unwrap().len(), 2);
    assert_eq!(owner.post(&cancel(""), json!({})).await.status(), 409, "only once");
    let only: Value = owner.get("/api/v1/scheduled-messages?status=scheduled").await.json().await.unwrap();
    assert_eq!(only.as_array().unwrap().len(), 1);
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    assert_eq!(
        viewer
            .post(
                &format!("/api/v1/scheduled-messages/{}/cancel", list[0]["id"].as_str().unwrap()),
                json!({})
            )
            .await
            .status(),
        403
    );
    let other = app.signup().await;
    assert_eq!(other.get(&format!("/api/v1/scheduled-messages/{id}")).await.status(), 404);
    assert_eq!(other.post(&cancel(""), json!({})).await.status(), 404);
}

#[tokio::test]
async fn queue_depth_is_in_the_metrics() {
    let app = spawn_app().await;
    let body = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    for name in [
        "revive_queue_pending",
        "revive_queue_running",
        "revive_queue_dead",
        "revive_queue_oldest_pending_seconds",
    ] {
        for queue in ["process_event", "send_message"] {
            assert!(body.contains(&format!("{name}{{queue=\"{queue}\"}}")), "{name} missing in:\n{body}");
        }
    }
}
