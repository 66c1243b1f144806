//! The sender against a Meta Graph API mock, with the app's clock moved to T+3 days.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use revive_shared::db::{sending, whatsapp_accounts};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

struct Setup {
    app: TestApp,
    owner: Account,
    key: String,
    meta: MockServer,
    /// The merchant's WhatsApp phone number id (unique across Revive).
    pnid: String,
}

/// A merchant with a Meta number, an approved check-in template and no quiet hours (tests that
/// need them set them).
async fn setup() -> Setup {
    setup_with(&[]).await
}

async fn setup_with(extra: &[(&str, &str)]) -> Setup {
    let meta = MockServer::start().await;
    // No per-recipient gap unless a scenario sets one: most send to one customer in quick turns.
    let mut vars = vec![("META_GRAPH_BASE_URL", meta.uri()), ("SEND_RECIPIENT_GAP_SECS", "0".to_owned())];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let owner = app.signup().await;
    let (_, key) = owner.create_key(&["events:write"]).await;
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let pnid = format!("10{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
    whatsapp_accounts::connect_meta(&mut tx, &app.config.cipher, &pnid, "EAAG-test-token").await.unwrap();
    tx.commit().await.unwrap();
    let t = owner
        .post(
            "/api/v1/templates",
            json!({"flow": "checkin", "name": "checkin", "language": "en", "category": "utility",
            "body": "Hi {{first_name}}, how is {{product}}?", "meta_template_name": "order_checkin"}),
        )
        .await;
    let t: Value = t.json().await.unwrap();
    let res = owner
        .patch(&format!("/api/v1/templates/{}", t["id"].as_str().unwrap()), json!({"status": "approved"}))
        .await;
    assert_eq!(res.status(), 200);
    let res = owner
        .patch(
            "/api/v1/settings/retention",
            json!({"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    Setup { app, owner, key, meta, pnid }
}

impl Setup {
    /// An order placed and delivered at `delivered` by a customer in `tz`.
    async fn delivered_order(&self, id: &str, delivered: &str, tz: &str) {
        for (t, when) in [("order.created", "2026-10-01T08:00:00Z"), ("order.delivered", delivered)] {
            let event = json!({"type": t, "external_id": format!("{id}-{t}"), "occurred_at": when,
                "order": {"id": id, "number": format!("#{id}"), "items": [{"title": "Lavender soap", "quantity": 1}]},
                "customer": {"phone": "+905321231234", "name": "Ayşe Yılmaz", "timezone": tz}});
            let res = reqwest::Client::new()
                .post(self.app.url("/api/v1/events"))
                .header("x-api-key", &self.key)
                .json(&event)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 202);
        }
        // Both events applied: the schedules (delivery) and the consent to order messages
        // (placing the order); the two events may be processed in either order.
        eventually(15, "two schedules and the consent to order messages", || async {
            let list: Value = self.owner.get("/api/v1/scheduled-messages").await.json().await.unwrap();
            let customers: Value = self.owner.get("/api/v1/customers").await.json().await.unwrap();
            let consented = customers.as_array().unwrap().iter().any(|c| c["consent_utility"] == true);
            (consented && list.as_array().unwrap().iter().filter(|m| m["status"] == "scheduled").count() >= 2)
                .then_some(())
        })
        .await;
    }

    async fn checkin(&self) -> Value {
        let list: Value =
            self.owner.get("/api/v1/scheduled-messages?flow=checkin").await.json().await.unwrap();
        list[0].clone()
    }

    /// The one check-in still scheduled (the others have been sent), once it exists.
    async fn scheduled_checkin(&self) -> String {
        eventually(15, "a scheduled check-in", || async {
            let list: Value = self
                .owner
                .get("/api/v1/scheduled-messages?flow=checkin&status=scheduled")
                .await
                .json()
                .await
                .unwrap();
            list[0]["id"].as_str().map(ToOwned::to_owned)
        })
        .await
    }

    async fn scheduled(&self, id: &str) -> Value {
        self.owner.get(&format!("/api/v1/scheduled-messages/{id}")).await.json().await.unwrap()
    }

    /// What a worker commits before it calls Meta: the row `sending`, its message `pending`.
    /// The worker then "dies": nothing more is written.
    async fn begin_send_and_die(&self, id: &str) {
        let mut tx = self.app.db.begin(self.owner.merchant_id.into()).await.unwrap();
        let now = self.app.clock.now();
        let ctx = sending::lock(&mut tx, id.parse().unwrap(), now).await.unwrap().expect("still scheduled");
        sending::begin_send(&mut tx, &ctx, None, "template", "Hi", now).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// A status webhook for the number, as Meta sends it for a message it accepted.
    async fn status_webhook(&self, wamid: &str, scheduled_id: &str) {
        let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1",
            "changes": [{"field": "messages", "value": {"metadata": {"phone_number_id": self.pnid},
                "statuses": [{"id": wamid, "status": "sent", "timestamp": "1763632800",
                              "recipient_id": "905321231234", "biz_opaque_callback_data": scheduled_id}]}}]}]}))
        .unwrap();
        let res = post_whatsapp(&self.app.base, "/webhooks/whatsapp", &body, WEBHOOK_SECRET).await;
        assert_eq!(res.status(), 200);
    }

    /// The check-in template's approval, set directly (the templates API is tested elsewhere).
    async fn set_template_status(&self, status: &str) {
        let mut tx = self.app.db.begin(self.owner.merchant_id.into()).await.unwrap();
        sqlx::query("update message_templates set status = $1 where flow = 'checkin'")
            .bind(status)
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// The customer wrote to the merchant at `when`: their 24-hour window is open from then.
    async fn customer_wrote(&self, customer_id: &str, when: DateTime<Utc>) {
        let mut tx = self.app.db.begin(self.owner.merchant_id.into()).await.unwrap();
        sqlx::query(
            "insert into conversations (merchant_id, customer_id, window_started_at, last_inbound_at)
             values ($1, $2, $3, $3)",
        )
        .bind(self.owner.merchant_id)
        .bind(customer_id.parse::<uuid::Uuid>().unwrap())
        .bind(when)
        .execute(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// Polls until the check-in has `status`; on time-out the failure shows the row and its trail.
    async fn checkin_becomes(&self, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let m = self.checkin().await;
            if m["status"] == status {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the check-in to be {status}: {m}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn meta_requests(&self) -> Vec<Value> {
        self.meta
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

const WEBHOOK_SECRET: &str = "platform-app-secret-for-tests";

/// Meta accepting a send, with a wamid of its own per message (`wamid.<scheduled id>`, and one
/// more `.n` per repeat, as every send gets a new id).
fn accepted() -> Accept {
    Accept(std::sync::atomic::AtomicUsize::new(0))
}

struct Accept(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for Accept {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let callback = body["biz_opaque_callback_data"].as_str().unwrap_or("none");
        let wamid = if n == 0 { format!("wamid.{callback}") } else { format!("wamid.{callback}.{n}") };
        ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}], "messages": [{"id": wamid}]}))
    }
}

/// The scenarios run one after another: the dispatcher of a running app serves every merchant
/// in the database, so two apps with different clocks at once would send each other's messages.
#[tokio::test]
async fn sending() {
    at_t_plus_3_one_template_goes_to_meta_with_the_right_phone_name_and_variables().await;
    a_message_due_at_two_in_the_morning_goes_out_when_quiet_hours_end().await;
    meta_429_and_500_are_retried().await;
    meta_131026_fails_without_retry().await;
    inside_the_window_a_flow_without_an_approved_template_goes_as_text().await;
    a_text_refused_with_131047_goes_again_as_the_template().await;
    a_customer_with_two_deliveries_gets_them_a_gap_apart().await;
    a_fulfilled_order_without_a_delivery_event_is_presumed_delivered().await;
    send_now_and_replay().await;
    a_flushed_redis_loses_no_schedule().await;
    // Last: its app reconciles stuck sends after two seconds, for every merchant.
    sends_stuck_by_a_dead_worker_are_reconciled().await;
}

async fn at_t_plus_3_one_template_goes_to_meta_with_the_right_phone_name_and_variables() {
    let s = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{}/messages", s.pnid)))
        .and(header("authorization", "Bearer EAAG-test-token"))
        .respond_with(accepted())
        .mount(&s.meta)
        .await;
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("1001", "2026-11-20T10:00:00Z", "Europe/Istanbul").await;
    let checkin = s.checkin().await;
    assert_eq!(checkin["due_at"], "2026-11-23T10:00:00Z");

    s.app.clock.set(at("2026-11-23T10:00:30Z"));
    let sent = s.checkin_becomes("sent").await;
    let requests = s.meta_requests().await;
    assert_eq!(requests.len(), 1, "exactly one send: {requests:?}");
    let r = &requests[0];
    assert_eq!(r["to"], "905321231234");
    assert_eq!(r["type"], "template");
    assert_eq!(r["template"]["name"], "order_checkin");
    assert_eq!(
        r["template"]["components"][0]["parameters"],
        json!([{"type": "text", "text": "Ayşe"}, {"type": "text", "text": "Lavender soap"}])
    );
    assert_eq!(r["biz_opaque_callback_data"], sent["id"]);
    let events: Vec<&str> =
        sent["trail"].as_array().unwrap().iter().map(|t| t["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["scheduled", "sending", "sent"]);

    // T+14: the review needs marketing consent, which this customer never gave.
    s.app.clock.set(at("2026-12-04T10:00:30Z"));
    let review = eventually(20, "the review to be skipped", || async {
        let list: Value = s.owner.get("/api/v1/scheduled-messages?flow=review").await.json().await.unwrap();
        (list[0]["status"] == "skipped").then(|| list[0].clone())
    })
    .await;
    assert_eq!(review["reason"], "no WhatsApp marketing consent");
    assert_eq!(s.meta_requests().await.len(), 1);
}

async fn a_message_due_at_two_in_the_morning_goes_out_when_quiet_hours_end() {
    let s = setup().await;
    Mock::given(method("POST")).respond_with(accepted()).mount(&s.meta).await;
    let res = s
        .owner
        .patch(
            "/api/v1/settings/retention",
            json!({"quiet_hours_start": "21:00", "quiet_hours_end": "09:00"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Delivered 23:00 UTC = 02:00 in Istanbul; due three days later at 02:00 local.
    s.app.clock.set(at("2026-11-01T23:00:00Z"));
    s.delivered_order("2002", "2026-11-01T23:00:00Z", "Europe/Istanbul").await;
    s.app.clock.set(at("2026-11-04T23:00:10Z"));
    let moved = eventually(20, "the check-in to move", || async {
        let m = s.checkin().await;
        (m["due_at"] == "2026-11-05T06:00:00Z").then_some(m)
    })
    .await;
    assert_eq!(moved["status"], "scheduled");
    assert!(moved["reason"].as_str().unwrap().contains("quiet hours in Europe/Istanbul"), "{moved}");
    assert!(s.meta_requests().await.is_empty());
    s.app.clock.set(at("2026-11-05T06:00:10Z"));
    s.checkin_becomes("sent").await;
    assert_eq!(s.meta_requests().await.len(), 1);
}

async fn meta_429_and_500_are_retried() {
    let throttled =
        ResponseTemplate::new(429).set_body_json(json!({"error": {"code": 130429, "message": "rate"}}));
    let outage = ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>");
    for (order, first, code) in [("3003", throttled, "130429"), ("3004", outage, "http_500")] {
        let s = setup().await;
        Mock::given(method("POST"))
            .respond_with(first)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&s.meta)
            .await;
        Mock::given(method("POST")).respond_with(accepted()).with_priority(2).mount(&s.meta).await;
        s.app.clock.set(at("2026-11-20T10:00:00Z"));
        s.delivered_order(order, "2026-11-20T10:00:00Z", "UTC").await;
        s.app.clock.set(at("2026-11-23T10:00:30Z"));
        let retried = eventually(20, "a retry to be scheduled", || async {
            let m = s.checkin().await;
            (m["attempts"] == 1 && m["status"] == "scheduled").then_some(m)
        })
        .await;
        assert!(retried["reason"].as_str().unwrap().contains(code), "{retried}");
        let due = DateTime::parse_from_rfc3339(retried["due_at"].as_str().unwrap()).unwrap().to_utc();
        let wait = due - at("2026-11-23T10:00:30Z");
        assert!(
            wait >= Duration::seconds(20) && wait <= Duration::seconds(40),
            "backoff with jitter: {wait}"
        );
        s.app.clock.advance(Duration::hours(1));
        let sent = s.checkin_becomes("sent").await;
        assert_eq!(sent["attempts"], 2);
        assert_eq!(s.meta_requests().await.len(), 2);
    }
}

/// A number that is not on WhatsApp: failed at once, never retried.
async fn meta_131026_fails_without_retry() {
    let t = setup().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": 131026, "message": "Message undeliverable",
            "error_data": {"details": "recipient is not a WhatsApp user"}}})),
        )
        .mount(&t.meta)
        .await;
    t.app.clock.set(at("2026-11-20T10:00:00Z"));
    t.delivered_order("4004", "2026-11-20T10:00:00Z", "UTC").await;
    t.app.clock.set(at("2026-11-23T10:00:30Z"));
    let failed = t.checkin_becomes("failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("131026"), "{failed}");
    t.app.clock.advance(Duration::days(1));
    // The dispatcher runs every second; a failed message is not due any more.
    tokio::time::timeout(std::time::Duration::from_secs(3), async {
        loop {
            assert_eq!(t.meta_requests().await.len(), 1, "never retried");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
    .await
    .ok();
}

/// A flow with no approved template, for a customer who wrote an hour ago: the rendered text goes
/// as a free-form message. When WhatsApp answers 131047 (its window had closed after all), the
/// message fails saying a template is needed; once one is approved, a replay sends it.
async fn inside_the_window_a_flow_without_an_approved_template_goes_as_text() {
    let s = setup().await;
    s.set_template_status("draft").await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"type": "text"})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047,
            "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}})))
        .mount(&s.meta)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"type": "template"})))
        .respond_with(accepted())
        .mount(&s.meta)
        .await;
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("9009", "2026-11-20T10:00:00Z", "UTC").await;
    let customer = s.checkin().await["customer_id"].as_str().unwrap().to_owned();
    s.customer_wrote(&customer, at("2026-11-23T09:00:00Z")).await;
    s.app.clock.set(at("2026-11-23T10:00:30Z"));
    let failed = s.checkin_becomes("failed").await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.contains("131047") && reason.contains("approve one and replay"), "{failed}");
    let requests = s.meta_requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["type"], "text");
    assert_eq!(requests[0]["text"]["body"], "Hi Ayşe, how is Lavender soap?");

    s.set_template_status("approved").await;
    let id = failed["id"].as_str().unwrap();
    assert_eq!(
        s.owner.post(&format!("/api/v1/scheduled-messages/{id}/replay"), json!({})).await.status(),
        200
    );
    s.checkin_becomes("sent").await;
    let requests = s.meta_requests().await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1]["template"]["name"], "order_checkin");
}

/// Meta usually reports 131047 later, as a `failed` status (the fixture). With a template
/// approved by then, the message goes again as that template, once.
async fn a_text_refused_with_131047_goes_again_as_the_template() {
    let s = setup_with(&[("WHATSAPP_APP_SECRET", WEBHOOK_SECRET)]).await;
    s.set_template_status("draft").await;
    Mock::given(method("POST")).respond_with(accepted()).mount(&s.meta).await;
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("9010", "2026-11-20T10:00:00Z", "UTC").await;
    let customer = s.checkin().await["customer_id"].as_str().unwrap().to_owned();
    s.customer_wrote(&customer, at("2026-11-23T09:00:00Z")).await;
    s.app.clock.set(at("2026-11-23T10:00:30Z"));
    let sent = s.checkin_becomes("sent").await;
    assert_eq!(s.meta_requests().await[0]["type"], "text");

    s.set_template_status("approved").await;
    let mut status: Value =
        serde_json::from_slice(&fixture("whatsapp_status_failed_131047.RECONSTRUCTED.json")).unwrap();
    let value = &mut status["entry"][0]["changes"][0]["value"];
    value["metadata"]["phone_number_id"] = json!(s.pnid);
    value["statuses"][0]["id"] = json!(format!("wamid.{}", sent["id"].as_str().unwrap()));
    value["statuses"][0]["biz_opaque_callback_data"] = sent["id"].clone();
    let body = serde_json::to_vec(&status).unwrap();
    for _ in 0..2 {
        // Meta retries webhooks: the second delivery changes nothing.
        let res = post_whatsapp(&s.app.base, "/webhooks/whatsapp", &body, WEBHOOK_SECRET).await;
        assert_eq!(res.status(), 200);
    }
    let again = eventually(20, "the template to go out", || async {
        let m = s.checkin().await;
        (m["status"] == "sent" && m["attempts"] == 2).then_some(m)
    })
    .await;
    let events: Vec<&str> =
        again["trail"].as_array().unwrap().iter().map(|t| t["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["scheduled", "sending", "sent", "retry", "sending", "sent"], "{again}");
    let requests = s.meta_requests().await;
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[1]["type"], "template");
}

/// Two check-ins for one customer due at the same moment: the second waits out the
/// per-recipient gap, with the reason in its trail.
async fn a_customer_with_two_deliveries_gets_them_a_gap_apart() {
    let s = setup_with(&[("SEND_RECIPIENT_GAP_SECS", "600")]).await;
    Mock::given(method("POST")).respond_with(accepted()).mount(&s.meta).await;
    let cap = json!({"frequency_cap_per_week": 10});
    assert_eq!(s.owner.patch("/api/v1/settings/retention", cap).await.status(), 200);
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("9011", "2026-11-20T10:00:00Z", "UTC").await;
    s.delivered_order("9012", "2026-11-20T10:00:00Z", "UTC").await;
    s.app.clock.set(at("2026-11-23T10:00:30Z"));
    let (sent, moved) = eventually(20, "one sent, one moved", || async {
        let list: Value = s.owner.get("/api/v1/scheduled-messages?flow=checkin").await.json().await.unwrap();
        let list = list.as_array().unwrap();
        let sent = list.iter().find(|m| m["status"] == "sent")?;
        let moved = list
            .iter()
            .find(|m| m["status"] == "scheduled" && m["attempts"] == 0 && m["reason"].is_string())?;
        Some((sent.clone(), moved.clone()))
    })
    .await;
    assert!(moved["reason"].as_str().unwrap().contains("keeping 600 s between messages"), "{moved}");
    let due = DateTime::parse_from_rfc3339(moved["due_at"].as_str().unwrap()).unwrap().to_utc();
    let sent_at = DateTime::parse_from_rfc3339(
        sent["trail"].as_array().unwrap().last().unwrap()["at"].as_str().unwrap(),
    )
    .unwrap()
    .to_utc();
    assert!(
        (due - sent_at - Duration::seconds(600)).num_seconds().abs() <= 1,
        "due {due}, first sent {sent_at}"
    );
    assert_eq!(s.meta_requests().await.len(), 1);
    s.app.clock.advance(Duration::seconds(601));
    let id = moved["id"].as_str().unwrap();
    let second = s.scheduled(id).await;
    eventually(20, &format!("the second to go out: {second}"), || async {
        (s.scheduled(id).await["status"] == "sent").then_some(())
    })
    .await;
    assert_eq!(s.meta_requests().await.len(), 2);
}

async fn a_fulfilled_order_without_a_delivery_event_is_presumed_delivered() {
    let s = setup().await;
    Mock::given(method("POST")).respond_with(accepted()).mount(&s.meta).await;
    s.app.clock.set(at("2026-11-10T10:00:00Z"));
    for (t, when) in [("order.created", "2026-11-09T08:00:00Z"), ("order.fulfilled", "2026-11-10T10:00:00Z")]
    {
        let event = json!({"type": t, "external_id": format!("f-{t}"), "occurred_at": when, "order": {"id": "5005"},
            "customer": {"phone": "+905321231234", "name": "Ayşe"}});
        let res = reqwest::Client::new()
            .post(s.app.url("/api/v1/events"))
            .header("x-api-key", &s.key)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    // Default transit estimate: 5 days.
    s.app.clock.set(at("2026-11-15T10:01:00Z"));
    let checkin = eventually(20, "a presumed-delivery schedule", || async {
        let m = s.checkin().await;
        m["id"].is_string().then_some(m)
    })
    .await;
    assert_eq!(checkin["due_at"], "2026-11-18T10:00:00Z");
    assert!(checkin["trail"][0]["detail"].as_str().unwrap().contains("presumed delivered"), "{checkin}");
}

async fn send_now_and_replay() {
    let s = setup().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": 131026, "message": "undeliverable"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s.meta)
        .await;
    Mock::given(method("POST")).respond_with(accepted()).with_priority(2).mount(&s.meta).await;
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("6006", "2026-11-20T10:00:00Z", "UTC").await;
    let id = s.checkin().await["id"].as_str().unwrap().to_owned();
    // Three days early, on request.
    let res = s.owner.post(&format!("/api/v1/scheduled-messages/{id}/send-now"), json!({})).await;
    assert_eq!(res.status(), 200);
    s.checkin_becomes("failed").await;
    assert_eq!(
        s.owner.post(&format!("/api/v1/scheduled-messages/{id}/send-now"), json!({})).await.status(),
        409
    );
    let res = s.owner.post(&format!("/api/v1/scheduled-messages/{id}/replay"), json!({})).await;
    assert_eq!(res.status(), 200);
    let sent = s.checkin_becomes("sent").await;
    assert_eq!(sent["attempts"], 1, "a replay starts the attempts over");
    let events: Vec<&str> =
        sent["trail"].as_array().unwrap().iter().map(|t| t["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["scheduled", "send_now", "sending", "failed", "replay", "sending", "sent"]);
    assert_eq!(s.meta_requests().await.len(), 2);
}

async fn a_flushed_redis_loses_no_schedule() {
    let s = setup().await;
    Mock::given(method("POST")).respond_with(accepted()).mount(&s.meta).await;
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("7007", "2026-11-20T10:00:00Z", "UTC").await;
    // Every key of this app's queues, gone (a Redis restart without persistence).
    let client =
        redis::Client::open(secrecy::ExposeSecret::expose_secret(&s.app.config.redis_url).to_owned())
            .unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", s.app.config.jobs.queue_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();
    }
    s.app.clock.set(at("2026-11-23T10:00:30Z"));
    s.checkin_becomes("sent").await;
    assert_eq!(s.meta_requests().await.len(), 1);
}

/// A worker killed between recording its intent and the outcome. WhatsApp's status webhook
/// confirms a send it accepted; one it never got is sent again once the account's statuses are
/// known to arrive; without that knowledge the outcome stays unknown, and a late status still
/// settles it. Never a second message to Meta for one it accepted.
async fn sends_stuck_by_a_dead_worker_are_reconciled() {
    let s = setup_with(&[("SEND_STUCK_SECS", "2"), ("WHATSAPP_APP_SECRET", WEBHOOK_SECRET)]).await;
    Mock::given(method("POST")).respond_with(accepted()).mount(&s.meta).await;
    let cap = json!({"frequency_cap_per_week": 10});
    assert_eq!(s.owner.patch("/api/v1/settings/retention", cap).await.status(), 200);
    s.app.clock.set(at("2026-11-20T10:00:00Z"));
    s.delivered_order("8008", "2026-11-20T10:00:00Z", "UTC").await;

    // No status has ever arrived for this number: the outcome is unknown, nothing is resent.
    let first = s.checkin().await["id"].as_str().unwrap().to_owned();
    s.begin_send_and_die(&first).await;
    let failed = eventually(20, "the stuck send to be given up", || async {
        let m = s.scheduled(&first).await;
        (m["status"] == "failed").then_some(m)
    })
    .await;
    assert!(failed["reason"].as_str().unwrap().starts_with("outcome unknown"), "{failed}");
    // WhatsApp had it after all: its status webhook settles it as sent.
    s.status_webhook("wamid.LATE1", &first).await;
    let sent = s.scheduled(&first).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert!(sent["reason"].is_null());

    // Statuses are now known to flow. A stuck send that WhatsApp confirms is recorded as sent...
    s.delivered_order("8009", "2026-11-20T10:00:00Z", "UTC").await;
    let second = s.scheduled_checkin().await;
    s.begin_send_and_die(&second).await;
    s.status_webhook("wamid.DEAD2", &second).await;
    assert_eq!(s.scheduled(&second).await["status"], "sent");

    // ...and one it never mentions is sent again, once.
    s.delivered_order("8010", "2026-11-20T10:00:00Z", "UTC").await;
    let third = s.scheduled_checkin().await;
    s.begin_send_and_die(&third).await;
    let resent = eventually(20, "the unconfirmed send to be sent again", || async {
        let m = s.scheduled(&third).await;
        (m["status"] == "sent").then_some(m)
    })
    .await;
    let events: Vec<&str> =
        resent["trail"].as_array().unwrap().iter().map(|t| t["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["scheduled", "sending", "retry", "sending", "sent"], "{resent}");
    assert_eq!(s.meta_requests().await.len(), 1, "only the unconfirmed one went to Meta");
}
