//! `GET /api/v1/analytics` against figures worked out by hand from rows written straight into
//! the database, and the hold-out control group through the real scheduling path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use revive_shared::ids::CustomerId;
use serde_json::{Value, json};
use uuid::Uuid;

async fn insert(tx: &mut revive_shared::db::TenantTx, sql: &str) -> Uuid {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(tx.conn()).await.unwrap()
}

#[tokio::test]
async fn analytics_count_what_the_database_holds() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let m = owner.merchant_id;
    let mut tx = app.db.begin(m.into()).await.unwrap();
    let mut customer = Vec::new();
    for i in 1..=5 {
        customer.push(
            insert(
                &mut tx,
                &format!("insert into customers (merchant_id, name) values ('{m}', 'C{i}') returning id"),
            )
            .await,
        );
    }
    let order = |c: Uuid, ext: &str, placed: &str, cents: i64| {
        format!("insert into orders (merchant_id, customer_id, external_order_id, placed_at, total_cents, currency)
                 values ('{m}', '{c}', '{ext}', '{placed}', {cents}, 'EUR') returning id")
    };
    let mut first = Vec::new();
    for (i, c) in customer.iter().enumerate() {
        first.push(insert(&mut tx, &order(*c, &format!("first-{i}"), "2026-11-01T09:00:00Z", 1000)).await);
    }
    let schedule = |i: usize, flow: &str, due: &str, status: &str, held_out: bool| {
        format!("insert into scheduled_messages (merchant_id, customer_id, order_id, flow, due_at, status, held_out)
                 values ('{m}', '{}', '{}', '{flow}', '{due}', '{status}', {held_out}) returning id", customer[i], first[i])
    };
    let message = |i: usize, s: Uuid, status: &str, at: &str| {
        format!("insert into messages (merchant_id, customer_id, scheduled_message_id, direction, kind, body, status, sent_by, created_at)
                 values ('{m}', '{}', '{s}', 'outbound', 'template', 'hi', '{status}', 'flow', '{at}') returning id", customer[i])
    };
    // Check-ins: read, delivered (and answered), failed, held out.
    let s1 = insert(&mut tx, &schedule(0, "checkin", "2026-11-05T10:00:00Z", "sent", false)).await;
    insert(&mut tx, &message(0, s1, "read", "2026-11-05T10:00:00Z")).await;
    let s2 = insert(&mut tx, &schedule(1, "checkin", "2026-11-05T10:00:00Z", "sent", false)).await;
    insert(&mut tx, &message(1, s2, "delivered", "2026-11-05T10:00:00Z")).await;
    let s3 = insert(&mut tx, &schedule(2, "checkin", "2026-11-06T10:00:00Z", "failed", false)).await;
    insert(&mut tx, &message(2, s3, "failed", "2026-11-06T10:00:00Z")).await;
    insert(&mut tx, &schedule(3, "checkin", "2026-11-06T10:00:00Z", "skipped", true)).await;
    // Reviews: sent, and one that went to the dead-letter queue without a message.
    let s5 = insert(&mut tx, &schedule(0, "review", "2026-11-16T10:00:00Z", "sent", false)).await;
    insert(&mut tx, &message(0, s5, "sent", "2026-11-16T10:00:00Z")).await;
    insert(&mut tx, &schedule(4, "review", "2026-11-16T10:00:00Z", "dead", false)).await;
    // C2 answers within 48 h; C1 withdraws consent a day after the review.
    insert(
        &mut tx,
        &format!(
            "insert into messages (merchant_id, customer_id, direction, kind, body, sent_by, created_at)
        values ('{m}', '{}', 'inbound', 'text', 'thanks!', 'customer', '2026-11-05T12:00:00Z') returning id",
            customer[1]
        ),
    )
    .await;
    insert(&mut tx, &format!("insert into customer_consent_events (merchant_id, customer_id, purpose, granted, source, occurred_at)
        values ('{m}', '{}', 'marketing', false, 'test', '2026-11-17T10:00:00Z') returning id", customer[0])).await;
    // Repeat orders: C1 three days after the check-in (attributed), C1 four days after the
    // review (attributed to the review, the latest), C2 fifteen days after (outside 7 days),
    // C4 from the control group two days after its due time.
    insert(&mut tx, &order(customer[0], "repeat-1", "2026-11-08T10:00:00Z", 5000)).await;
    insert(&mut tx, &order(customer[0], "repeat-2", "2026-11-20T10:00:00Z", 3000)).await;
    insert(&mut tx, &order(customer[1], "repeat-3", "2026-11-20T10:00:00Z", 7000)).await;
    insert(&mut tx, &order(customer[3], "repeat-4", "2026-11-08T10:00:00Z", 2000)).await;
    tx.commit().await.unwrap();

    let res = owner.get("/api/v1/analytics?from=2026-11-01&to=2026-11-30").await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["attribution_window_days"], 7, "the default window");
    let fields = [
        "scheduled",
        "sent",
        "delivered",
        "read",
        "replied",
        "opted_out",
        "failed",
        "held_out",
        "held_out_converted",
        "attributed_orders",
        "attributed_revenue_cents",
    ];
    let pick = |v: &Value| fields.iter().map(|f| v[f].as_i64().unwrap()).collect::<Vec<_>>();
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows[0]["flow"], "checkin");
    assert_eq!(flows[0]["stage"], "t3");
    assert_eq!(pick(&flows[0]), [3, 2, 2, 1, 1, 0, 1, 1, 1, 1, 5000]);
    assert_eq!(flows[1]["flow"], "review");
    assert_eq!(flows[1]["stage"], "t14");
    assert_eq!(pick(&flows[1]), [2, 1, 0, 0, 0, 1, 1, 0, 0, 1, 3000]);
    assert_eq!(pick(&report["totals"]), [5, 3, 2, 1, 1, 1, 2, 1, 1, 2, 8000]);
    let daily = report["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    let day = |d: &str| daily.iter().find(|x| x["date"] == d).unwrap().clone();
    assert_eq!(
        (day("2026-11-05")["sent"].as_i64(), day("2026-11-05")["replied"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(day("2026-11-08")["attributed_orders"], 1);
    assert_eq!(day("2026-11-20")["attributed_revenue_cents"], 3000);

    // The same figures, counted another way: straight from the tables.
    let mut tx = app.db.begin(m.into()).await.unwrap();
    let (sent, failed): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where status in ('sent','delivered','read')),
                count(*) filter (where status = 'failed') + (select count(*) from scheduled_messages s
                   where s.status = 'dead' and not exists (select 1 from messages x where x.scheduled_message_id = s.id))
         from messages where scheduled_message_id is not null",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (sent, failed),
        (report["totals"]["sent"].as_i64().unwrap(), report["totals"]["failed"].as_i64().unwrap())
    );

    // Another merchant sees none of it; bad ranges are refused with the field.
    let other = app.signup().await;
    let theirs: Value =
        other.get("/api/v1/analytics?from=2026-11-01&to=2026-11-30").await.json().await.unwrap();
    assert_eq!(theirs["totals"]["sent"], 0);
    let res = owner.get("/api/v1/analytics?from=2026-12-01&to=2026-11-01").await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["error"]["fields"]["from"].is_array());
    assert_eq!(owner.get("/api/v1/analytics?from=yesterday").await.status(), 400);
}

#[tokio::test]
async fn customers_in_the_control_group_are_scheduled_but_never_sent() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res = owner.patch("/api/v1/settings/retention", json!({"holdout_percent": 50})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["holdout_percent"], 50);
    assert_eq!(owner.patch("/api/v1/settings/retention", json!({"holdout_percent": 80})).await.status(), 422);
    let (_, key) = owner.create_key(&["events:write"]).await;
    let events: Vec<Value> = (0..12)
        .map(|i| {
            json!({"type": "order.delivered", "external_id": format!("h-{i}"), "occurred_at": chrono::Utc::now().to_rfc3339(),
                   "order": {"id": format!("H{i}"), "items": [{"title": "Soap"}]},
                   "customer": {"phone": format!("+49151123458{i:02}"), "marketing_consent": true}})
        })
        .collect();
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/events"))
        .header("x-api-key", &key)
        .json(&json!({"events": events}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = eventually(20, "24 schedules", || async {
        let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
        let rows: Vec<(Uuid, String, bool, String)> =
            sqlx::query_as("select customer_id, flow, held_out, status from scheduled_messages")
                .fetch_all(tx.conn())
                .await
                .unwrap();
        tx.commit().await.unwrap();
        (rows.len() == 24).then_some(rows)
    })
    .await;
    for (customer, flow, held_out, status) in &rows {
        let expected = revive_shared::retention::holdout::in_control_group(CustomerId(*customer), flow, 50);
        assert_eq!(*held_out, expected, "{customer} {flow}");
        assert_eq!(status, if *held_out { "skipped" } else { "scheduled" });
    }
    let held = rows.iter().filter(|r| r.2).count();
    assert!((1..24).contains(&held), "about half held out, got {held}");
}
