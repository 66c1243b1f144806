//! Items posted to `POST /api/v1/events` to [`Normalized`].
//!
//! Each item of a batch is checked on its own, so one bad item never costs the good ones; the
//! error says which field is wrong and why, without echoing the value (it may be a phone number).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    Channel, ConsentSignal, Contact, CustomerFacts, EventType, LineItem, Normalized, NormalizedEvent,
    OrderFacts, PhoneCandidate, Source, money, non_empty, pick_phone,
};
use crate::redact::redact_quoted;

/// The event types the API accepts.
pub const TYPES: &[EventType] = &[
    EventType::OrderCreated,
    EventType::OrderPaid,
    EventType::OrderFulfilled,
    EventType::OrderDelivered,
    EventType::OrderCancelled,
    EventType::OrderRefunded,
    EventType::CustomerUpdated,
];

/// One event, as a store's own system reports it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct EventIn {
    /// `order.created`, `order.paid`, `order.fulfilled`, `order.delivered`, `order.cancelled`,
    /// `order.refunded` or `customer.updated`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Your id for this event; the same id twice is stored once. Optional when the request has
    /// an `Idempotency-Key` header.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub external_id: Option<String>,
    /// When it happened (RFC 3339). Defaults to the time Revive received it.
    pub occurred_at: Option<DateTime<Utc>>,
    #[validate(nested)]
    pub order: Option<OrderIn>,
    #[validate(nested)]
    pub customer: Option<CustomerIn>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct OrderIn {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub id: String,
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    pub number: Option<String>,
    /// ISO 4217, e.g. `EUR`.
    #[validate(length(equal = 3, message = "must be a 3-letter ISO 4217 code"))]
    pub currency: Option<String>,
    /// Decimal string, e.g. `"49.90"`.
    pub total: Option<String>,
    #[validate(length(max = 500, message = "at most 500 items"), nested)]
    #[serde(default)]
    pub items: Vec<ItemIn>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
pub struct ItemIn {
    #[validate(length(min = 1, max = 500, message = "must be 1 to 500 characters"))]
    pub title: String,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub sku: Option<String>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub product_id: Option<String>,
    #[validate(range(min = 1, max = 100000, message = "must be between 1 and 100000"))]
    pub quantity: Option<i32>,
    /// Decimal string.
    pub unit_price: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CustomerIn {
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub id: Option<String>,
    /// E.164 (`+4915123456789`) or national format with `country`.
    #[validate(length(max = 40, message = "must be at most 40 characters"))]
    pub phone: Option<String>,
    /// ISO 3166 alpha-2, used to read a national-format phone.
    #[validate(length(equal = 2, message = "must be a 2-letter ISO 3166 code"))]
    pub country: Option<String>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub name: Option<String>,
    #[validate(email(message = "must be a valid email address"))]
    pub email: Option<String>,
    #[validate(length(max = 35, message = "must be at most 35 characters"))]
    pub locale: Option<String>,
    #[validate(length(max = 64, message = "must be at most 64 characters"))]
    pub timezone: Option<String>,
    /// The customer agreed to receive WhatsApp marketing messages (`true`) or withdrew (`false`).
    pub marketing_consent: Option<bool>,
}

/// Why an item was refused: field → messages.
pub type ItemErrors = BTreeMap<String, Vec<String>>;

/// Parses and checks one item. `key` is the idempotency key from the header, used when the item
/// has no `external_id`. Returns the external id to store it under and the normalized event.
pub fn normalize(item: &Value, key: Option<&str>) -> Result<(String, Normalized), ItemErrors> {
    let one = |field: &str, msg: String| BTreeMap::from([(field.to_owned(), vec![msg])]);
    let parsed: EventIn =
        serde_json::from_value(item.clone()).map_err(|e| one("body", redact_quoted(&e.to_string())))?;
    parsed.validate().map_err(|e| flatten("", &e))?;

    let event_type =
        EventType::parse(parsed.event_type.trim()).filter(|t| TYPES.contains(t)).ok_or_else(|| {
            let names: Vec<_> = TYPES.iter().map(|t| t.as_str()).collect();
            one("type", format!("must be one of {}", names.join(", ")))
        })?;
    let external_id =
        non_empty(parsed.external_id.as_deref()).or_else(|| non_empty(key)).ok_or_else(|| {
            one("external_id", "required unless the request has an Idempotency-Key header".into())
        })?;

    let mut errors = ItemErrors::new();
    let mut add = |field: &str, msg: &str| errors.entry(field.to_owned()).or_default().push(msg.to_owned());
    if event_type != EventType::CustomerUpdated && parsed.order.is_none() {
        add("order", "required for order events");
    }
    if event_type == EventType::CustomerUpdated && parsed.customer.is_none() {
        add("customer", "required for customer.updated");
    }

    let order = parsed.order.map(|o| {
        let currency = o.currency.as_deref().map(|c| c.trim().to_ascii_uppercase());
        let mut amount = |field: &str, raw: Option<&str>| -> Option<i64> {
            let raw = raw?;
            let Some(cur) = currency.as_deref() else {
                add(field, "needs order.currency");
                return None;
            };
            money::parse_minor(raw, cur).map_err(|e| add(field, &e.to_string())).ok()
        };
        let total_minor = amount("order.total", o.total.as_deref());
        let items = o
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| LineItem {
                external_product_id: non_empty(it.product_id.as_deref()),
                sku: non_empty(it.sku.as_deref()),
                title: it.title.trim().to_owned(),
                quantity: it.quantity.unwrap_or(1),
                unit_price_minor: amount(&format!("order.items[{i}].unit_price"), it.unit_price.as_deref()),
            })
            .collect();
        OrderFacts {
            external_id: o.id.trim().to_owned(),
            number: non_empty(o.number.as_deref()),
            currency,
            total_minor,
            financial_status: None,
            placed_at: (event_type == EventType::OrderCreated).then_some(parsed.occurred_at).flatten(),
            cancelled_at: (event_type == EventType::OrderCancelled).then_some(parsed.occurred_at).flatten(),
            items,
        }
    });

    let mut contact = Contact::default();
    let mut consent = Vec::new();
    let customer = parsed.customer.map(|c| {
        let country = c.country.as_deref().map(|s| s.trim().to_ascii_uppercase());
        let mut facts = CustomerFacts {
            external_id: non_empty(c.id.as_deref()),
            name: non_empty(c.name.as_deref()),
            locale: non_empty(c.locale.as_deref()),
            timezone: non_empty(c.timezone.as_deref()),
            country: country.clone(),
            has_email: c.email.is_some(),
            ..CustomerFacts::default()
        };
        let candidates = [PhoneCandidate {
            raw: c.phone.as_deref(),
            field: "customer.phone",
            country: country.as_deref(),
        }];
        match pick_phone(&candidates) {
            Ok(Some((phone, field, _))) => {
                facts.phone_masked = Some(phone.masked());
                facts.phone_field = Some(field.to_owned());
                contact.phone = Some(phone);
            }
            Ok(None) => {}
            Err(reason) => add("customer.phone", &reason),
        }
        contact.email = c.email.map(|e| e.trim().to_lowercase());
        if let Some(granted) = c.marketing_consent {
            consent.push(ConsentSignal {
                channel: Channel::Whatsapp,
                granted,
                source_field: "api.customer.marketing_consent".into(),
                opt_in_level: None,
                collected_from: Some("api".into()),
                at: parsed.occurred_at,
            });
        }
        facts
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let event = NormalizedEvent {
        source: Source::Api,
        event_type,
        topic: event_type.as_str().to_owned(),
        occurred_at: parsed.occurred_at,
        order,
        customer,
        fulfillment: None,
        consent,
        privacy: None,
        product: None,
    };
    Ok((external_id, Normalized { event, contact, rejection: None }))
}

/// validator's nested errors as `order.items[0].title` → messages, without the rejected values.
fn flatten(prefix: &str, errors: &validator::ValidationErrors) -> ItemErrors {
    use validator::ValidationErrorsKind as Kind;
    let mut out = ItemErrors::new();
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            Kind::Field(errs) => {
                let msgs =
                    errs.iter().map(|e| e.message.as_deref().unwrap_or("is invalid").to_owned()).collect();
                out.insert(path, msgs);
            }
            Kind::Struct(inner) => out.extend(flatten(&path, inner)),
            Kind::List(items) => {
                for (i, inner) in items {
                    out.extend(flatten(&format!("{path}[{i}]"), inner));
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_delivered_order_normalizes_with_its_phone_outside_the_json() {
        let item = json!({
            "type": "order.delivered", "external_id": "evt-1", "occurred_at": "2026-11-20T10:00:00Z",
            "order": {"id": "1001", "currency": "eur", "total": "49.90",
                      "items": [{"title": "Lavender soap", "sku": "SOAP-1", "quantity": 2, "unit_price": "12.45"}]},
            "customer": {"phone": "0151 23456789", "country": "de", "name": "Çağla Öztürk", "marketing_consent": true}
        });
        let (key, n) = normalize(&item, None).unwrap();
        assert_eq!(key, "evt-1");
        assert_eq!(n.event.event_type, EventType::OrderDelivered);
        let order = n.event.order.as_ref().unwrap();
        assert_eq!((order.currency.as_deref(), order.total_minor), (Some("EUR"), Some(4990)));
        assert_eq!(order.items[0].unit_price_minor, Some(1245));
        assert_eq!(n.contact.phone.as_ref().map(|p| p.expose()), Some("+4915123456789"));
        assert_eq!(n.event.consent.len(), 1);
        let stored = serde_json::to_string(&n.event).unwrap();
        assert!(!stored.contains("23456789"), "{stored}");
    }

    #[test]
    fn the_header_key_stands_in_for_a_missing_external_id() {
        let item = json!({"type": "customer.updated", "customer": {"phone": "+905321231234"}});
        assert_eq!(normalize(&item, Some("idem-7")).unwrap().0, "idem-7");
        let errors = normalize(&item, None).unwrap_err();
        assert!(errors.contains_key("external_id"), "{errors:?}");
    }

    #[test]
    fn errors_name_every_bad_field_without_echoing_values() {
        let item = json!({
            "type": "order.delivered", "external_id": "e",
            "order": {"id": "1", "currency": "EURO", "total": "12,3x", "items": [{"title": "", "quantity": 0}]},
            "customer": {"phone": "+49 1", "email": "not-an-email"}
        });
        let errors = normalize(&item, None).unwrap_err();
        for field in ["order.currency", "order.items[0].title", "order.items[0].quantity", "customer.email"] {
            assert!(errors.contains_key(field), "{field} missing in {errors:?}");
        }
        let item = json!({"type": "order.delivered", "external_id": "e", "order": {"id": "1", "total": "5"},
                          "customer": {"phone": "+49 1"}});
        let errors = normalize(&item, None).unwrap_err();
        assert!(errors.contains_key("order.total") && errors.contains_key("customer.phone"), "{errors:?}");
        let text = format!("{errors:?}");
        assert!(!text.contains("+49 1"), "{text}");

        let errors = normalize(&json!({"type": "order.exploded", "external_id": "e"}), None).unwrap_err();
        assert!(errors["type"][0].contains("order.delivered"));
        let errors =
            normalize(&json!({"type": 5, "customer": {"phone": "+4915123456789"}}), None).unwrap_err();
        assert!(errors.contains_key("body"));
        let errors = normalize(&json!({"type": "order.created", "external_id": "e"}), None).unwrap_err();
        assert!(errors.contains_key("order"));
    }
}
