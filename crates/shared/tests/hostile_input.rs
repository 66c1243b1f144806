//! Hostile input for every parser that reads what outsiders send: Shopify webhooks, WhatsApp
//! webhooks, the events API, CSV order files and phone numbers. Property tests (proptest): random
//! bytes, and the real fixtures with a field swapped for a random value, must never panic, and
//! what they yield must keep its promises (an E.164 number is one, a parsed row is well formed).
//!
//! Bounded for CI by proptest's default of 256 cases per property; `PROPTEST_CASES=20000` runs
//! the long form. A failure is shrunk and saved under `proptest-regressions/`, which is committed
//! so the case is re-run for ever after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use revive_shared::normalize::{api, csv_rows, shopify};
use revive_shared::phone::{PhoneE164, mask_e164};
use revive_shared::whatsapp::{inbound, webhook};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

const SHOPIFY: &[(&str, &str)] = &[
    ("orders/create", "shopify_orders_create.json"),
    ("fulfillments/update", "shopify_fulfillments_update_delivered.RECONSTRUCTED.json"),
    ("fulfillment_events/create", "shopify_fulfillment_events_create.json"),
    ("customers/create", "shopify_customers_create.json"),
    ("customers/redact", "shopify_customers_redact.json"),
    ("customers/data_request", "shopify_customers_data_request.json"),
    ("customers/marketing_consent_update", "shopify_customers_whats_app_marketing_consent_update.json"),
    ("shop/redact", "shopify_shop_redact.json"),
    ("app/uninstalled", "shopify_app_uninstalled.json"),
];

const WHATSAPP: &[&str] = &[
    "whatsapp_inbound_text.json",
    "whatsapp_inbound_image.json",
    "whatsapp_inbound_order.json",
    "whatsapp_inbound_reaction.json",
    "whatsapp_inbound_referral_ctwa.json",
    "whatsapp_inbound_text_reply_context.json",
    "whatsapp_inbound_unsupported.json",
    "whatsapp_interactive_button_reply.json",
    "whatsapp_interactive_list_reply.json",
    "whatsapp_status_delivered.json",
    "whatsapp_status_failed_130472.json",
    "whatsapp_status_read.json",
    "whatsapp_status_sent.json",
    "whatsapp_webhook_errors_130429.json",
    "whatsapp_user_marketing_preferences_resume.json",
];

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "[+0-9 ()-]{0,20}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value inside `v` (object keys and array indexes).
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(k.clone());
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(i.to_string());
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// `v` with the value at one of its paths (chosen by `pick`) replaced by `with`.
fn mutate(mut v: Value, pick: usize, with: Value) -> Value {
    let mut all = Vec::new();
    paths(&v, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return with;
    }
    let path = &all[pick % all.len()];
    let mut at = &mut v;
    for step in path {
        at = match at {
            Value::Object(m) => m.get_mut(step).unwrap(),
            Value::Array(a) => &mut a[step.parse::<usize>().unwrap()],
            _ => unreachable!("paths only lead through containers"),
        };
    }
    *at = with;
    v
}

fn check_whatsapp(body: &[u8]) {
    if let Ok(delivery) = webhook::parse(body) {
        for message in &delivery.messages {
            let _ = inbound::read(&message.item);
        }
    }
}

proptest! {
    #[test]
    fn phone_parsing_never_panics_and_yields_real_e164(raw in ".{0,40}", country in prop::option::of("[A-Za-z]{0,3}")) {
        if let Ok(phone) = PhoneE164::parse(&raw, country.as_deref()) {
            let e164 = phone.expose();
            prop_assert!(e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
            prop_assert!((8..=16).contains(&e164.len()), "{e164}");
            // Parsing what came out gives the same number (no drift through a second pass).
            let again = PhoneE164::parse(e164, None).unwrap();
            prop_assert_eq!(again.expose(), e164);
            let masked = mask_e164(e164);
            let digits: String = masked.chars().filter(char::is_ascii_digit).collect();
            prop_assert!(digits.len() < e164.len() - 1, "the mask hides digits: {masked}");
            prop_assert!(!format!("{phone:?}").contains(&e164[1..]), "Debug never shows the number");
        }
    }

    #[test]
    fn phone_like_input_never_panics(raw in "[+]?[0-9 ()./-]{0,24}", country in "(DE|US|TR|GB|IN|BR|AE|JP|CA|XX)") {
        let _ = PhoneE164::parse(&raw, Some(&country));
    }

    #[test]
    fn shopify_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), t in 0usize..SHOPIFY.len()) {
        let normalized = shopify::normalize(SHOPIFY[t].0, &bytes, None);
        prop_assert!(normalized.rejection.is_some() || serde_json::from_slice::<Value>(&bytes).is_ok());
    }

    #[test]
    fn shopify_fixtures_with_a_field_swapped_never_panic(t in 0usize..SHOPIFY.len(), pick in any::<usize>(), with in any_json()) {
        let (topic, file) = SHOPIFY[t];
        let body = serde_json::to_vec(&mutate(fixture(file), pick, with)).unwrap();
        let normalized = shopify::normalize(topic, &body, None);
        // Whatever was understood serializes (it is stored as JSON).
        prop_assert!(serde_json::to_value(&normalized.event).is_ok());
    }

    #[test]
    fn whatsapp_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_whatsapp(&bytes);
    }

    #[test]
    fn whatsapp_fixtures_with_a_field_swapped_never_panic(f in 0usize..WHATSAPP.len(), pick in any::<usize>(), with in any_json()) {
        let body = serde_json::to_vec(&mutate(fixture(WHATSAPP[f]), pick, with)).unwrap();
        check_whatsapp(&body);
    }

    #[test]
    fn api_events_of_any_shape_never_panic(item in any_json(), key in prop::option::of(".{0,30}")) {
        let _ = api::normalize(&item, key.as_deref());
    }

    #[test]
    fn api_events_with_a_field_swapped_never_panic(pick in any::<usize>(), with in any_json()) {
        let good = serde_json::json!({"type": "order.delivered", "external_id": "x-1",
            "occurred_at": "2026-11-20T10:00:00Z",
            "order": {"id": "1", "number": "#1", "currency": "EUR", "total": "12.50",
                      "items": [{"title": "Soap", "quantity": 2, "unit_price": "6.25"}]},
            "customer": {"phone": "+4915112345678", "name": "Lea", "marketing_consent": true}});
        let _ = api::normalize(&mutate(good, pick, with), None);
    }

    #[test]
    fn csv_files_of_any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(rows) = csv_rows::rows(&bytes[..], Some("DE")) {
            for row in rows.take(200) {
                let _ = row;
            }
        }
    }

    #[test]
    fn csv_rows_of_any_cells_never_panic(cells in prop::collection::vec(prop::collection::vec("[^\n]{0,24}", 0..12), 0..20)) {
        let mut file = String::from("order_id,event,occurred_at,phone,country,customer_name,email,marketing_consent,currency,total,product_title,sku,quantity,unit_price\n");
        for row in &cells {
            file.push_str(&row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(","));
            file.push('\n');
        }
        let rows = csv_rows::rows(file.as_bytes(), Some("DE")).unwrap();
        let mut seen = 0;
        for row in rows {
            seen += 1;
            let _ = row;
        }
        // Blank rows may be skipped; there are never more results than rows.
        prop_assert!(seen <= cells.len());
    }
}
