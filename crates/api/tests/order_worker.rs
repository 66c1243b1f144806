//! The order worker: Shopify events applied to customers, consent and orders, and the T+3 / T+14
//! schedules written on delivery, cancelled on refund or withdrawn consent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

const ORDER_ID: &str = "820982911946154508";
const PHONE: &str = "+4915123456789";

/// Shopify's sample order with a real phone and without its sample cancellation (the sample has
/// `cancelled_at` set for every topic, PROTOCOLS.md §1.4).
fn order_body(updated_at: &str, financial_status: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture("shopify_orders_create.json")).unwrap();
    v["customer"]["phone"] = json!(PHONE);
    v["cancelled_at"] = Value::Null;
    v["updated_at"] = json!(updated_at);
    v["financial_status"] = json!(financial_status);
    serde_json::to_vec(&v).unwrap()
}

struct Shop {
    app: TestApp,
    owner: Account,
    integration: Uuid,
    secret: String,
    shop: String,
    n: std::sync::atomic::AtomicUsize,
}

impl Shop {
    async fn new() -> Self {
        let app = spawn_app().await;
        // The fixtures happened around 2022-01-01; the app lives then too, so its schedules are
        // still ahead of it (and of every other app of this test binary). Set at once: the
        // app's dispatcher serves every merchant, and a first tick at today's date would find
        // the other tests' 2022 schedules long overdue and skip them.
        app.clock.set(at("2022-01-01T01:00:00Z"));
        let owner = app.signup().await;
        let (integration, secret) = owner.connect_shopify().await;
        let shop = owner.shop_of(integration).await;
        Shop { app, owner, integration, secret, shop, n: 0.into() }
    }

    /// Delivers and waits until every event so far is settled.
    async fn deliver(&self, topic: &str, body: &[u8]) {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let res = post_shopify(
            &self.app.base,
            self.integration,
            &self.shop,
            topic,
            body,
            &self.secret,
            &format!("d-{n}"),
        )
        .await;
        assert_eq!(res.status(), 200);
        eventually(15, "events settled", || async {
            let rows = event_rows(&self.app, self.owner.merchant_id).await;
            (rows.len() == n + 1 && rows.iter().all(|r| r.1 == "processed")).then_some(())
        })
        .await;
    }

    async fn query<T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin>(
        &self,
        sql: &'static str,
    ) -> Vec<T> {
        let mut tx = self.app.db.begin(self.owner.merchant_id.into()).await.unwrap();
        let rows = sqlx::query_as::<_, T>(sql).fetch_all(tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
        rows
    }

    async fn schedules(&self) -> Vec<(String, chrono::DateTime<chrono::Utc>, String, Option<String>)> {
        self.query("select flow, due_at, status, reason from scheduled_messages order by due_at").await
    }
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[tokio::test]
async fn a_delivered_order_gets_two_schedules_and_a_refund_cancels_them() {
    let s = Shop::new().await;
    s.deliver("orders/create", &order_body("2021-12-31T19:00:00-05:00", "paid")).await;
    assert!(s.schedules().await.is_empty(), "nothing before delivery");
    let customers: Vec<(Option<String>, bool, Option<Vec<u8>>)> =
        s.query("select name, consent_utility, phone_enc from customers").await;
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].0.as_deref(), Some("John Smith"));
    assert!(customers[0].1, "an order placed with a phone consents to messages about it");
    assert!(!customers[0].2.as_ref().unwrap().windows(10).any(|w| w == b"4915123456"), "phone encrypted");

    // Delivered at 2022-01-01T00:00Z (the fixture's updated_at).
    let delivered = fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json");
    s.deliver("fulfillments/update", &delivered).await;
    let schedules = s.schedules().await;
    assert_eq!(schedules.len(), 2, "{schedules:?}");
    assert_eq!((schedules[0].0.as_str(), schedules[0].1), ("checkin", at("2022-01-04T00:00:00Z")));
    assert_eq!((schedules[1].0.as_str(), schedules[1].1), ("review", at("2022-01-15T00:00:00Z")));
    assert!(schedules.iter().all(|r| r.2 == "scheduled"));
    let orders: Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> =
        s.query("select status, delivered_at from orders").await;
    assert_eq!(orders, vec![("delivered".to_owned(), Some(at("2022-01-01T00:00:00Z")))]);

    // The same delivery reported again (another topic, another webhook id) changes nothing.
    s.deliver("fulfillments/create", &delivered).await;
    assert_eq!(s.schedules().await.len(), 2);
    let items: Vec<(i64,)> = s.query("select count(*) from order_line_items").await;
    assert_eq!(items[0].0, 5, "line items written once");

    let refund = json!({"id": 1, "order_id": ORDER_ID.parse::<u64>().unwrap(), "processed_at": "2022-01-05T10:00:00Z"});
    s.deliver("refunds/create", refund.to_string().as_bytes()).await;
    let schedules = s.schedules().await;
    assert!(
        schedules.iter().all(|r| r.2 == "cancelled" && r.3.as_deref() == Some("order refunded")),
        "{schedules:?}"
    );
    let trail: Vec<(Value,)> = s.query("select trail from scheduled_messages").await;
    let events: Vec<&str> =
        trail[0].0.as_array().unwrap().iter().map(|t| t["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["scheduled", "cancelled"]);
    let listed: Value = s.owner.get("/api/v1/events?type=order.refunded").await.json().await.unwrap();
    assert!(listed[0]["reason"].as_str().unwrap().contains("2 scheduled message(s) cancelled"), "{listed}");
}

#[tokio::test]
async fn withdrawn_whatsapp_consent_cancels_marketing_but_not_the_checkin() {
    let s = Shop::new().await;
    s.deliver("orders/create", &order_body("2021-12-31T19:00:00-05:00", "paid")).await;
    s.deliver("fulfillments/update", &fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json"))
        .await;
    let consent = json!({"customer_id": 115310627314723954u64, "phone_number": PHONE,
        "whats_app_marketing_consent": {"state": "unsubscribed", "opt_in_level": null, "updated_at": "2022-01-02T00:00:00Z", "collected_from": "OTHER"}});
    s.deliver("customers_whats_app_marketing_consent/update", consent.to_string().as_bytes()).await;
    let schedules = s.schedules().await;
    let by_flow: Vec<(&str, &str)> = schedules.iter().map(|r| (r.0.as_str(), r.2.as_str())).collect();
    assert_eq!(by_flow, vec![("checkin", "scheduled"), ("review", "cancelled")]);
    let ledger: Vec<(String, bool, String)> =
        s.query("select purpose, granted, source from customer_consent_events order by occurred_at").await;
    assert_eq!(ledger.len(), 2, "{ledger:?}");
    assert_eq!(ledger[1], ("marketing".into(), false, "shopify:whats_app_marketing_consent".into()));
    // An older opt-in arriving late does not undo the newer opt-out.
    let late = json!({"customer_id": 115310627314723954u64, "phone_number": PHONE,
        "whats_app_marketing_consent": {"state": "subscribed", "updated_at": "2022-01-01T12:00:00Z"}});
    s.deliver("customers_whats_app_marketing_consent/update", late.to_string().as_bytes()).await;
    let state: Vec<(bool,)> = s.query("select consent_marketing from customers").await;
    assert!(!state[0].0);
}

#[tokio::test]
async fn an_older_event_never_undoes_a_newer_state() {
    let s = Shop::new().await;
    s.deliver("orders/paid", &order_body("2022-01-02T00:00:00Z", "paid")).await;
    s.deliver("orders/updated", &order_body("2022-01-01T00:00:00Z", "pending")).await;
    let orders: Vec<(Option<String>,)> = s.query("select financial_status from orders").await;
    assert_eq!(orders, vec![(Some("paid".to_owned()),)]);
    s.deliver("orders/updated", &order_body("2022-01-03T00:00:00Z", "refunded")).await;
    let orders: Vec<(Option<String>,)> = s.query("select financial_status from orders").await;
    assert_eq!(orders, vec![(Some("refunded".to_owned()),)]);
}
