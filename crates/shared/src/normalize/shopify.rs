//! Shopify webhook bodies (REST resources, PROTOCOLS.md §1) to [`Normalized`].
//!
//! The body is read as loose JSON rather than typed structs: Shopify adds fields in every API
//! version and leaves many `null`, and a delivery Revive cannot fully read must still be stored
//! with what could be read. Nothing here fails; a body that is unusable comes back with a
//! `rejection` reason.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    Channel, ConsentSignal, Contact, CustomerFacts, EventType, FinancialStatus, FulfillmentFacts, LineItem,
    Normalized, NormalizedEvent, OrderFacts, PhoneCandidate, PrivacyRequest, ProductFacts, ShipmentStatus,
    Source, full_name, lenient_enum, money, non_empty, parse_time, pick_phone,
};

/// The topics Revive acts on. Anything else is stored as `ignored`.
pub const TOPICS: &[&str] = &[
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/fulfilled",
    "orders/cancelled",
    "refunds/create",
    "fulfillments/create",
    "fulfillments/update",
    "fulfillment_events/create",
    "customers/create",
    "customers/update",
    "customers_email_marketing_consent/update",
    "customers_marketing_consent/update",
    "customers_whats_app_marketing_consent/update",
    "app/uninstalled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
    "products/create",
    "products/update",
    "products/delete",
];

/// Normalizes one delivery. `triggered_at` (the `X-Shopify-Triggered-At` header) stands in for
/// the event time when the body has none.
pub fn normalize(topic: &str, body: &[u8], triggered_at: Option<DateTime<Utc>>) -> Normalized {
    let topic = topic.trim().to_ascii_lowercase();
    let mut out = Normalized {
        event: NormalizedEvent {
            source: Source::Shopify,
            event_type: EventType::Ignored,
            topic: topic.clone(),
            occurred_at: triggered_at,
            order: None,
            customer: None,
            fulfillment: None,
            consent: Vec::new(),
            privacy: None,
            product: None,
        },
        contact: Contact::default(),
        rejection: None,
    };
    let value: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return out.rejected("body is not a JSON object"),
        Err(_) => return out.rejected("body is not valid JSON"),
    };
    let v = &value;
    match topic.as_str() {
        "products/create" | "products/update" | "products/delete" => product(&topic, v, &mut out),
        "orders/create" | "orders/paid" | "orders/updated" | "orders/fulfilled" | "orders/cancelled" => {
            out.event.event_type = match topic.as_str() {
                "orders/create" => EventType::OrderCreated,
                "orders/paid" => EventType::OrderPaid,
                "orders/fulfilled" => EventType::OrderFulfilled,
                "orders/cancelled" => EventType::OrderCancelled,
                _ => EventType::OrderUpdated,
            };
            order(v, &mut out);
        }
        "refunds/create" => {
            out.event.event_type = EventType::OrderRefunded;
            out.event.order = id(v, "order_id").map(OrderFacts::bare);
            out.event.occurred_at = time(v, "processed_at").or(time(v, "created_at")).or(triggered_at);
        }
        "fulfillments/create" | "fulfillments/update" => {
            let f = fulfillment(v, "shipment_status", time(v, "updated_at"));
            out.event.event_type = if f.status == Some(ShipmentStatus::Delivered) {
                EventType::OrderDelivered
            } else if topic == "fulfillments/create" {
                EventType::OrderFulfilled
            } else {
                EventType::FulfillmentUpdated
            };
            out.event.occurred_at = time(v, "updated_at").or(time(v, "created_at")).or(triggered_at);
            out.event.order = id(v, "order_id").map(OrderFacts::bare);
            out.event.fulfillment = Some(FulfillmentFacts { external_id: id(v, "id"), ..f });
        }
        "fulfillment_events/create" => {
            let mut f = fulfillment(v, "status", time(v, "happened_at"));
            f.external_id = id(v, "fulfillment_id");
            f.estimated_delivery_at = time(v, "estimated_delivery_at");
            out.event.event_type = if f.status == Some(ShipmentStatus::Delivered) {
                EventType::OrderDelivered
            } else {
                EventType::FulfillmentUpdated
            };
            out.event.occurred_at = f.happened_at.or(time(v, "created_at")).or(triggered_at);
            out.event.order = id(v, "order_id").map(OrderFacts::bare);
            out.event.fulfillment = Some(f);
        }
        "customers/create" | "customers/update" => {
            out.event.event_type = EventType::CustomerUpdated;
            out.event.occurred_at = time(v, "updated_at").or(time(v, "created_at")).or(triggered_at);
            customer_record(v, &mut out);
        }
        "customers_email_marketing_consent/update" => {
            out.event.event_type = EventType::ConsentUpdated;
            consent_topic(
                v,
                &mut out,
                Channel::Email,
                "email_marketing_consent",
                "phone",
                "consent_updated_at",
            );
            out.contact.email = email(v.get("email_address"));
        }
        "customers_marketing_consent/update" => {
            out.event.event_type = EventType::ConsentUpdated;
            consent_topic(v, &mut out, Channel::Sms, "sms_marketing_consent", "phone", "consent_updated_at");
        }
        "customers_whats_app_marketing_consent/update" => {
            out.event.event_type = EventType::ConsentUpdated;
            consent_topic(
                v,
                &mut out,
                Channel::Whatsapp,
                "whats_app_marketing_consent",
                "phone_number",
                "updated_at",
            );
        }
        "app/uninstalled" => out.event.event_type = EventType::AppUninstalled,
        "customers/data_request" | "customers/redact" => {
            let redact = topic == "customers/redact";
            out.event.event_type =
                if redact { EventType::PrivacyCustomerRedact } else { EventType::PrivacyDataRequest };
            let customer = v.get("customer").unwrap_or(&Value::Null);
            let orders_key = if redact { "orders_to_redact" } else { "orders_requested" };
            out.event.privacy = Some(PrivacyRequest {
                customer_external_id: id(customer, "id"),
                order_external_ids: ids(v.get(orders_key)),
                request_id: v.get("data_request").and_then(|d| id(d, "id")),
            });
            // A compliance request must be honoured even when its phone cannot be read: the
            // customer is then found by id or email instead, so a bad phone is not a rejection.
            let picked = pick_phone(&[PhoneCandidate {
                raw: str(customer, "phone"),
                field: "customer.phone",
                country: None,
            }]);
            if let Ok(Some((phone, field, _))) = picked {
                out.event.customer = Some(CustomerFacts {
                    external_id: id(customer, "id"),
                    phone_masked: Some(phone.masked()),
                    phone_field: Some(field.to_owned()),
                    ..CustomerFacts::default()
                });
                out.contact.phone = Some(phone);
            }
            out.contact.email = email(customer.get("email"));
        }
        "shop/redact" => out.event.event_type = EventType::PrivacyShopRedact,
        _ => {}
    }
    if let Some(c) = out.event.customer.as_mut() {
        c.has_email = out.contact.email.is_some();
    }
    out
}

impl Normalized {
    fn rejected(mut self, reason: &str) -> Self {
        self.rejection = Some(reason.to_owned());
        self
    }
}

impl OrderFacts {
    /// An order known only by its id (refunds and fulfillments reference one).
    pub fn bare(external_id: String) -> Self {
        OrderFacts {
            external_id,
            number: None,
            currency: None,
            total_minor: None,
            financial_status: None,
            placed_at: None,
            cancelled_at: None,
            items: Vec::new(),
        }
    }
}

fn product(topic: &str, v: &Value, out: &mut Normalized) {
    let Some(external_id) = id(v, "id") else {
        out.rejection = Some("the product has no id".into());
        return;
    };
    if topic == "products/delete" {
        out.event.event_type = EventType::ProductDeleted;
        out.event.product = Some(ProductFacts {
            external_id,
            title: String::new(),
            description: None,
            handle: None,
            price_minor: None,
            tags: Vec::new(),
        });
        return;
    }
    let Some(title) = non_empty(str(v, "title")) else {
        out.rejection = Some("the product has no title".into());
        return;
    };
    out.event.event_type = EventType::ProductUpdated;
    out.event.occurred_at = time(v, "updated_at").or(out.event.occurred_at);
    let price = v
        .get("variants")
        .and_then(Value::as_array)
        .and_then(|variants| variants.iter().find_map(|x| str(x, "price")))
        .and_then(|p| money::parse_minor(p, "USD").ok());
    out.event.product = Some(ProductFacts {
        external_id,
        title,
        description: str(v, "body_html")
            .map(crate::ai::chunk::html_to_text)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        handle: non_empty(str(v, "handle")),
        price_minor: price,
        tags: str(v, "tags")
            .map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
    });
}

fn order(v: &Value, out: &mut Normalized) {
    let currency = non_empty(str(v, "currency")).map(|c| c.to_ascii_uppercase());
    let amount = |raw: Option<&str>| {
        let (raw, cur) = (raw?, currency.as_deref()?);
        money::parse_minor(raw, cur).ok()
    };
    let cancelled_at = time(v, "cancelled_at");
    let updated_at = time(v, "updated_at");
    let items = v
        .get("line_items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| LineItem {
                    external_product_id: id(item, "product_id"),
                    sku: non_empty(str(item, "sku")),
                    title: non_empty(str(item, "title"))
                        .or_else(|| non_empty(str(item, "name")))
                        .unwrap_or_else(|| "(untitled)".to_owned()),
                    quantity: item
                        .get("quantity")
                        .and_then(Value::as_i64)
                        .and_then(|q| i32::try_from(q).ok())
                        .filter(|q| *q > 0)
                        .unwrap_or(1),
                    unit_price_minor: amount(str(item, "price")),
                })
                .collect()
        })
        .unwrap_or_default();
    out.event.occurred_at = match out.event.event_type {
        EventType::OrderCancelled => cancelled_at.or(updated_at),
        _ => updated_at.or(time(v, "created_at")),
    }
    .or(out.event.occurred_at);
    out.event.order = id(v, "id").map(|external_id| OrderFacts {
        external_id,
        number: non_empty(str(v, "name")).or_else(|| id(v, "order_number")),
        total_minor: amount(str(v, "current_total_price").or(str(v, "total_price"))),
        currency: currency.clone(),
        financial_status: str(v, "financial_status").map(|s| lenient_enum(s, FinancialStatus::Other)),
        placed_at: time(v, "created_at"),
        cancelled_at,
        items,
    });
    if let Some(accepts) = v.get("buyer_accepts_marketing").and_then(Value::as_bool) {
        out.event.consent.push(ConsentSignal {
            channel: Channel::Email,
            granted: accepts,
            source_field: "buyer_accepts_marketing".into(),
            opt_in_level: None,
            collected_from: None,
            at: updated_at,
        });
    }

    let null = Value::Null;
    let customer = v.get("customer").unwrap_or(&null);
    let shipping = v.get("shipping_address").unwrap_or(&null);
    let billing = v.get("billing_address").unwrap_or(&null);
    let default_address = customer.get("default_address").unwrap_or(&null);
    let address_country = country_code(shipping).or(country_code(billing)).or(country_code(default_address));
    // Shopify's order of preference (PROTOCOLS.md §1.6), each read with its own address's country.
    let candidates = [
        PhoneCandidate {
            raw: str(customer, "phone"),
            field: "customer.phone",
            country: country_code(default_address).or(address_country),
        },
        PhoneCandidate { raw: str(v, "phone"), field: "phone", country: address_country },
        PhoneCandidate {
            raw: str(shipping, "phone"),
            field: "shipping_address.phone",
            country: country_code(shipping),
        },
        PhoneCandidate {
            raw: str(billing, "phone"),
            field: "billing_address.phone",
            country: country_code(billing),
        },
        PhoneCandidate {
            raw: str(default_address, "phone"),
            field: "customer.default_address.phone",
            country: country_code(default_address),
        },
    ];
    let name = full_name(str(customer, "first_name"), str(customer, "last_name"))
        .or_else(|| full_name(str(shipping, "first_name"), str(shipping, "last_name")))
        .or_else(|| full_name(str(billing, "first_name"), str(billing, "last_name")));
    let mut facts = CustomerFacts {
        external_id: id(customer, "id"),
        name,
        locale: non_empty(str(v, "customer_locale")),
        country: address_country.map(str::to_ascii_uppercase),
        ..CustomerFacts::default()
    };
    apply_phone(&candidates, &mut facts, out);
    out.contact.email = email(v.get("email"))
        .or_else(|| email(v.get("contact_email")))
        .or_else(|| email(customer.get("email")));
    out.event.customer = Some(facts);
}

/// A customer resource (customers/create, customers/update), including the inline consent
/// objects older API versions still send.
fn customer_record(v: &Value, out: &mut Normalized) {
    let null = Value::Null;
    let default_address = v.get("default_address").unwrap_or(&null);
    let country = str(default_address, "country_code");
    let candidates = [
        PhoneCandidate { raw: str(v, "phone"), field: "customer.phone", country },
        PhoneCandidate {
            raw: str(default_address, "phone"),
            field: "customer.default_address.phone",
            country,
        },
    ];
    let mut facts = CustomerFacts {
        external_id: id(v, "id"),
        name: full_name(str(v, "first_name"), str(v, "last_name")),
        locale: non_empty(str(v, "locale")),
        country: country.map(str::to_ascii_uppercase),
        ..CustomerFacts::default()
    };
    apply_phone(&candidates, &mut facts, out);
    out.contact.email = email(v.get("email"));
    for (channel, key) in
        [(Channel::Email, "email_marketing_consent"), (Channel::Sms, "sms_marketing_consent")]
    {
        if let Some(signal) =
            v.get(key).and_then(|c| consent(c, channel, key, "consent_updated_at", "consent_collected_from"))
        {
            out.event.consent.push(signal);
        }
    }
    out.event.customer = Some(facts);
}

fn consent_topic(
    v: &Value,
    out: &mut Normalized,
    channel: Channel,
    key: &str,
    phone_key: &str,
    time_key: &str,
) {
    let collected_key =
        if channel == Channel::Whatsapp { "collected_from" } else { "consent_collected_from" };
    if let Some(signal) = v.get(key).and_then(|c| consent(c, channel, key, time_key, collected_key)) {
        out.event.occurred_at = signal.at.or(out.event.occurred_at);
        out.event.consent.push(signal);
    }
    let mut facts = CustomerFacts {
        external_id: id(v, "customer_id").or_else(|| id(v, "id")),
        ..CustomerFacts::default()
    };
    let candidates = [PhoneCandidate { raw: str(v, phone_key), field: "phone", country: None }];
    apply_phone(&candidates, &mut facts, out);
    out.event.customer = Some(facts);
}

/// One consent object. `state: null` says nothing, so it yields no signal.
fn consent(
    c: &Value,
    channel: Channel,
    field: &str,
    time_key: &str,
    collected_key: &str,
) -> Option<ConsentSignal> {
    let state = str(c, "state")?.trim().to_ascii_lowercase();
    Some(ConsentSignal {
        channel,
        granted: state == "subscribed",
        source_field: field.to_owned(),
        opt_in_level: non_empty(str(c, "opt_in_level")),
        collected_from: non_empty(str(c, collected_key)).map(|s| s.to_ascii_lowercase()),
        at: time(c, time_key),
    })
}

fn fulfillment(v: &Value, status_key: &str, happened_at: Option<DateTime<Utc>>) -> FulfillmentFacts {
    let raw = non_empty(str(v, status_key));
    let status = raw.as_deref().map(|s| lenient_enum(s, ShipmentStatus::Other));
    FulfillmentFacts {
        external_id: None,
        raw_status: raw.filter(|_| status == Some(ShipmentStatus::Other)),
        status,
        tracking_company: non_empty(str(v, "tracking_company")),
        estimated_delivery_at: None,
        happened_at,
    }
}

/// Sets the phone (or the rejection reason when every present phone is unreadable).
fn apply_phone(candidates: &[PhoneCandidate<'_>], facts: &mut CustomerFacts, out: &mut Normalized) {
    match pick_phone(candidates) {
        Ok(Some((phone, field, country))) => {
            facts.phone_masked = Some(phone.masked());
            facts.phone_field = Some(field.to_owned());
            if country.is_some() {
                facts.country = country;
            }
            out.contact.phone = Some(phone);
        }
        Ok(None) => {}
        Err(reason) => out.rejection = Some(reason),
    }
}

fn country_code(address: &Value) -> Option<&str> {
    str(address, "country_code")
}

fn str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Shopify ids are JSON numbers (too big for f64 in general, but serde_json keeps u64 exact) or
/// strings in newer payloads.
fn id(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => non_empty(Some(s)),
        _ => None,
    }
}

fn ids(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::Number(n) => Some(n.to_string()),
                    Value::String(s) => non_empty(Some(s)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    str(v, key).and_then(parse_time)
}

fn email(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| s.contains('@')).map(str::to_lowercase)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn at(s: &str) -> Option<DateTime<Utc>> {
        parse_time(s)
    }

    #[test]
    fn order_fixture_keeps_the_order_and_rejects_its_free_text_phones() {
        let n = normalize("orders/create", &fixture("shopify_orders_create.json"), None);
        assert_eq!(n.event.event_type, EventType::OrderCreated);
        let order = n.event.order.as_ref().expect("order facts");
        assert_eq!(order.external_id, "820982911946154508");
        assert_eq!(order.number.as_deref(), Some("#9999"));
        assert_eq!(order.currency.as_deref(), Some("USD"));
        assert_eq!(order.financial_status, Some(FinancialStatus::Voided));
        assert_eq!(order.items.len(), 5);
        assert_eq!(order.items[0].sku.as_deref(), Some("SKU2006-001"));
        assert_eq!(order.items[0].unit_price_minor, Some(8999));
        assert_eq!(n.event.occurred_at, at("2022-01-01T00:00:00Z"));
        // Every phone in the sample is free text ("555-555-SHIP", "123-123-1234").
        let reason = n.rejection.as_deref().expect("rejected for its phones");
        assert!(reason.contains("shipping_address.phone"), "{reason}");
        assert!(reason.contains("customer.default_address.phone"), "{reason}");
        assert_eq!(n.contact.phone, None);
        assert_eq!(n.contact.email.as_deref(), Some("jon@example.com"));
        let customer = n.event.customer.as_ref().expect("customer facts");
        assert_eq!(customer.external_id.as_deref(), Some("115310627314723954"));
        assert_eq!(customer.name.as_deref(), Some("John Smith"));
        assert!(customer.has_email);
        assert_eq!(n.event.consent.len(), 1);
        assert!(n.event.consent[0].granted);
    }

    #[test]
    fn a_real_phone_is_taken_in_order_of_preference_and_never_serialized() {
        let mut v: Value = serde_json::from_slice(&fixture("shopify_orders_create.json")).unwrap();
        v["shipping_address"]["phone"] = Value::from("0151 23456789");
        v["shipping_address"]["country_code"] = Value::from("DE");
        let body = serde_json::to_vec(&v).unwrap();
        let n = normalize("orders/paid", &body, None);
        assert_eq!(n.rejection, None);
        assert_eq!(n.contact.phone.as_ref().map(|p| p.expose()), Some("+4915123456789"));
        let customer = n.event.customer.as_ref().unwrap();
        assert_eq!(customer.phone_field.as_deref(), Some("shipping_address.phone"));
        assert_eq!(customer.country.as_deref(), Some("DE"));
        let stored = serde_json::to_string(&n.event).unwrap();
        assert!(!stored.contains("4915123456789") && !stored.contains("23456789"), "{stored}");
        assert!(!stored.contains("jon@example.com"), "{stored}");
    }

    #[test]
    fn fulfillment_topics_map_delivery() {
        let n = normalize("fulfillments/update", &fixture("shopify_fulfillments_update.json"), None);
        assert_eq!(n.event.event_type, EventType::FulfillmentUpdated);
        assert_eq!(n.rejection, None, "the destination phone is not read");
        let n = normalize(
            "fulfillments/update",
            &fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json"),
            None,
        );
        assert_eq!(n.event.event_type, EventType::OrderDelivered);
        assert_eq!(n.event.order.as_ref().map(|o| o.external_id.as_str()), Some("820982911946154508"));
        let f = n.event.fulfillment.as_ref().unwrap();
        assert_eq!(f.tracking_company.as_deref(), Some("UPS"));

        let n =
            normalize("fulfillment_events/create", &fixture("shopify_fulfillment_events_create.json"), None);
        assert_eq!(n.event.event_type, EventType::FulfillmentUpdated);
        assert_eq!(n.event.fulfillment.as_ref().and_then(|f| f.status), Some(ShipmentStatus::InTransit));
        assert_eq!(n.event.occurred_at, at("2022-01-01T00:00:00Z"));
    }

    #[test]
    fn unknown_shipment_statuses_are_other_and_kept() {
        let body =
            br#"{"id":1,"order_id":2,"status":"returning_to_sender","happened_at":"2026-01-02T03:04:05Z"}"#;
        let n = normalize("fulfillment_events/create", body, None);
        let f = n.event.fulfillment.unwrap();
        assert_eq!(f.status, Some(ShipmentStatus::Other));
        assert_eq!(f.raw_status.as_deref(), Some("returning_to_sender"));
        assert_eq!(n.event.event_type, EventType::FulfillmentUpdated);
    }

    #[test]
    fn consent_topics_each_read_their_own_shape() {
        let n = normalize(
            "customers_email_marketing_consent/update",
            &fixture("shopify_customers_email_marketing_consent_update.json"),
            None,
        );
        assert_eq!(n.event.event_type, EventType::ConsentUpdated);
        assert_eq!(n.event.consent.len(), 1);
        assert_eq!(n.event.consent[0].channel, Channel::Email);
        assert!(!n.event.consent[0].granted);
        assert_eq!(n.contact.email.as_deref(), Some("bob@biller.com"));
        // `state: null` says nothing.
        for (topic, file) in [
            ("customers_marketing_consent/update", "shopify_customers_marketing_consent_update_sms.json"),
            (
                "customers_whats_app_marketing_consent/update",
                "shopify_customers_whats_app_marketing_consent_update.json",
            ),
        ] {
            let n = normalize(topic, &fixture(file), None);
            assert_eq!(n.event.event_type, EventType::ConsentUpdated);
            assert!(n.event.consent.is_empty(), "{topic}");
            assert_eq!(n.event.customer.and_then(|c| c.external_id).as_deref(), Some("706405506930370084"));
        }
        let body = br#"{"customer_id":7,"phone_number":"+905321231234","whats_app_marketing_consent":{"state":"subscribed","opt_in_level":"confirmed_opt_in","updated_at":"2026-05-01T10:00:00Z","collected_from":"OTHER"}}"#;
        let n = normalize("customers_whats_app_marketing_consent/update", body, None);
        let c = &n.event.consent[0];
        assert!(c.granted && c.channel == Channel::Whatsapp);
        assert_eq!(c.collected_from.as_deref(), Some("other"));
        assert_eq!(n.event.occurred_at, at("2026-05-01T10:00:00Z"));
        assert_eq!(n.contact.phone.map(|p| p.masked()).as_deref(), Some("+90 *** *** 12 34"));
    }

    #[test]
    fn customer_records_carry_inline_consent() {
        let n =
            normalize("customers/update", &fixture("shopify_customer_rest_record_with_consent.json"), None);
        assert_eq!(n.event.event_type, EventType::CustomerUpdated);
        assert_eq!(n.rejection, None);
        assert_eq!(n.contact.phone.map(|p| p.masked()).as_deref(), Some("+380 *** *** 99 92"));
        let channels: Vec<_> = n.event.consent.iter().map(|c| (c.channel, c.granted)).collect();
        assert_eq!(channels, vec![(Channel::Email, true), (Channel::Sms, false)]);
        let n = normalize("customers/create", &fixture("shopify_customers_create.json"), None);
        assert_eq!(n.event.customer.as_ref().and_then(|c| c.name.as_deref()), Some("Bob Biller"));
    }

    #[test]
    fn compliance_requests_are_never_rejected_for_a_phone() {
        let n = normalize("customers/redact", &fixture("shopify_customers_redact.json"), None);
        assert_eq!(n.event.event_type, EventType::PrivacyCustomerRedact);
        assert_eq!(n.rejection, None);
        let p = n.event.privacy.as_ref().unwrap();
        assert_eq!(p.customer_external_id.as_deref(), Some("191167"));
        assert_eq!(p.order_external_ids, vec!["299938", "280263", "220458"]);
        assert_eq!(n.contact.email.as_deref(), Some("john@example.com"));
        let n = normalize("customers/data_request", &fixture("shopify_customers_data_request.json"), None);
        assert_eq!(n.event.privacy.and_then(|p| p.request_id).as_deref(), Some("9999"));
        let n = normalize("shop/redact", &fixture("shopify_shop_redact.json"), None);
        assert_eq!(n.event.event_type, EventType::PrivacyShopRedact);
        let n = normalize("app/uninstalled", &fixture("shopify_app_uninstalled.json"), None);
        assert_eq!(n.event.event_type, EventType::AppUninstalled);
        assert_eq!(n.contact.phone, None, "the shop's own phone is not a customer's");
    }

    #[test]
    fn products_become_catalog_facts_and_a_deletion_names_the_id() {
        let body = br#"{"id": 632910392, "title": "IPod Nano - 8GB", "handle": "ipod-nano",
            "body_html": "<p>It's the small iPod with <b>one</b> very big idea: Video.</p>",
            "updated_at": "2026-11-02T10:00:00-05:00", "tags": "Emotive, Flash Memory, , MP3",
            "variants": [{"id": 808950810, "price": "199.00"}, {"id": 49148385, "price": "209.00"}]}"#;
        let n = normalize("products/update", body, None);
        assert_eq!(n.rejection, None);
        assert_eq!(n.event.event_type, EventType::ProductUpdated);
        let p = n.event.product.expect("product facts");
        assert_eq!(p.external_id, "632910392");
        assert_eq!(p.description.as_deref(), Some("It's the small iPod with one very big idea: Video."));
        assert_eq!((p.price_minor, p.handle.as_deref()), (Some(19900), Some("ipod-nano")));
        assert_eq!(p.tags, ["Emotive", "Flash Memory", "MP3"]);

        let n = normalize("products/delete", br#"{"id": 632910392}"#, None);
        assert_eq!(n.event.event_type, EventType::ProductDeleted);
        assert_eq!(n.event.product.map(|p| p.external_id).as_deref(), Some("632910392"));
        assert!(normalize("products/create", br#"{"title": "no id"}"#, None).rejection.is_some());
        assert!(normalize("products/create", br#"{"id": 5}"#, None).rejection.is_some());
    }

    #[test]
    fn unknown_topics_and_broken_bodies_never_panic() {
        let t = at("2026-01-01T00:00:00Z");
        let n = normalize("collections/update", b"{}", t);
        assert_eq!(n.event.event_type, EventType::Ignored);
        assert_eq!(n.event.occurred_at, t);
        assert_eq!(n.rejection, None);
        assert_eq!(
            normalize("orders/create", b"[1,2]", None).rejection.as_deref(),
            Some("body is not a JSON object")
        );
        assert_eq!(
            normalize("orders/create", b"{", None).rejection.as_deref(),
            Some("body is not valid JSON")
        );
        // Wrong types everywhere: read what can be read.
        let n = normalize(
            "orders/create",
            br#"{"id":"A-1","line_items":"no","customer":5,"total_price":7}"#,
            None,
        );
        assert_eq!(n.event.order.map(|o| o.external_id).as_deref(), Some("A-1"));
    }
}
