//! One event shape for every source. Shopify webhooks, CSV rows and events-API items are all
//! turned into a [`Normalized`] here; everything downstream (the order worker, the dashboard)
//! reads only this shape.
//!
//! The serialized [`NormalizedEvent`] is what the `external_events.normalized` column holds, so it
//! carries no plaintext phone number or email: those travel beside it in [`Contact`] and are stored
//! encrypted.

pub mod api;
pub mod csv_rows;
pub mod money;
pub mod shopify;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::phone::PhoneE164;

/// Where an event came from. Stored as `external_events.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Shopify,
    Csv,
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Shopify => "shopify",
            Source::Csv => "csv",
            Source::Api => "api",
        }
    }
}

/// What happened, whatever the source called it. Stored as `external_events.event_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "order.created")]
    OrderCreated,
    #[serde(rename = "order.paid")]
    OrderPaid,
    #[serde(rename = "order.updated")]
    OrderUpdated,
    #[serde(rename = "order.fulfilled")]
    OrderFulfilled,
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.refunded")]
    OrderRefunded,
    /// A shipment moved (in transit, out for delivery, ...) without being delivered.
    #[serde(rename = "fulfillment.updated")]
    FulfillmentUpdated,
    #[serde(rename = "customer.updated")]
    CustomerUpdated,
    #[serde(rename = "consent.updated")]
    ConsentUpdated,
    #[serde(rename = "app.uninstalled")]
    AppUninstalled,
    #[serde(rename = "privacy.data_request")]
    PrivacyDataRequest,
    #[serde(rename = "privacy.customer_redact")]
    PrivacyCustomerRedact,
    #[serde(rename = "privacy.shop_redact")]
    PrivacyShopRedact,
    /// A catalog product was created or changed: it becomes knowledge the bot answers from.
    #[serde(rename = "product.updated")]
    ProductUpdated,
    #[serde(rename = "product.deleted")]
    ProductDeleted,
    /// A topic Revive does not act on; stored so nothing acknowledged disappears.
    #[serde(rename = "ignored")]
    Ignored,
}

impl EventType {
    pub const ALL: [EventType; 17] = [
        EventType::OrderCreated,
        EventType::OrderPaid,
        EventType::OrderUpdated,
        EventType::OrderFulfilled,
        EventType::OrderDelivered,
        EventType::OrderCancelled,
        EventType::OrderRefunded,
        EventType::FulfillmentUpdated,
        EventType::CustomerUpdated,
        EventType::ConsentUpdated,
        EventType::AppUninstalled,
        EventType::PrivacyDataRequest,
        EventType::PrivacyCustomerRedact,
        EventType::PrivacyShopRedact,
        EventType::ProductUpdated,
        EventType::ProductDeleted,
        EventType::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderCreated => "order.created",
            EventType::OrderPaid => "order.paid",
            EventType::OrderUpdated => "order.updated",
            EventType::OrderFulfilled => "order.fulfilled",
            EventType::OrderDelivered => "order.delivered",
            EventType::OrderCancelled => "order.cancelled",
            EventType::OrderRefunded => "order.refunded",
            EventType::FulfillmentUpdated => "fulfillment.updated",
            EventType::CustomerUpdated => "customer.updated",
            EventType::ConsentUpdated => "consent.updated",
            EventType::AppUninstalled => "app.uninstalled",
            EventType::PrivacyDataRequest => "privacy.data_request",
            EventType::PrivacyCustomerRedact => "privacy.customer_redact",
            EventType::PrivacyShopRedact => "privacy.shop_redact",
            EventType::ProductUpdated => "product.updated",
            EventType::ProductDeleted => "product.deleted",
            EventType::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Payment state of an order. Values Revive does not know are kept as `other`, never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinancialStatus {
    Pending,
    Authorized,
    PartiallyPaid,
    Paid,
    PartiallyRefunded,
    Refunded,
    Voided,
    Expired,
    #[serde(other)]
    Other,
}

/// Where a shipment is (Shopify's `shipment_status` / fulfillment event `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    LabelPrinted,
    LabelPurchased,
    Confirmed,
    CarrierPickedUp,
    InTransit,
    OutForDelivery,
    AttemptedDelivery,
    Delayed,
    ReadyForPickup,
    PickedUp,
    Delivered,
    Failure,
    #[serde(other)]
    Other,
}

/// Parses one of the closed vocabularies above from free text (`"in_transit"`, `"In Transit"`),
/// falling back to `Other` for anything unknown.
pub(crate) fn lenient_enum<T: serde::de::DeserializeOwned>(raw: &str, other: T) -> T {
    let key = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    serde_json::from_value(serde_json::Value::String(key)).unwrap_or(other)
}

/// The normalized event, as stored in `external_events.normalized` (no phone, no email).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NormalizedEvent {
    pub source: Source,
    pub event_type: EventType,
    /// The source's own topic or type name (`orders/create`, `order.delivered`, ...).
    pub topic: String,
    /// When the change happened at the source (not when Revive heard of it).
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<FulfillmentFacts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent: Vec<ConsentSignal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<PrivacyRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductFacts>,
}

/// A catalog product as the store describes it (Shopify's product webhooks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductFacts {
    pub external_id: String,
    /// Empty for a deletion, which names only the id.
    pub title: String,
    /// Plain text (Shopify's `body_html` without its markup).
    pub description: Option<String>,
    /// The storefront path's last part (`/products/{handle}`).
    pub handle: Option<String>,
    /// The first variant's price, in minor units (Shopify sends no currency with products: two
    /// decimals are assumed, as for most currencies).
    pub price_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderFacts {
    /// The store's order id.
    pub external_id: String,
    /// The number shown to the customer (`#1001`).
    pub number: Option<String>,
    /// ISO 4217, upper case.
    pub currency: Option<String>,
    /// Total in the currency's minor units.
    pub total_minor: Option<i64>,
    pub financial_status: Option<FinancialStatus>,
    pub placed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<LineItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LineItem {
    pub external_product_id: Option<String>,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: i32,
    pub unit_price_minor: Option<i64>,
}

/// What is known about the customer, without contact details (see [`Contact`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerFacts {
    pub external_id: Option<String>,
    pub name: Option<String>,
    /// BCP 47 language tag hint (`en`, `pt-BR`).
    pub locale: Option<String>,
    /// IANA time zone hint.
    pub timezone: Option<String>,
    /// ISO 3166 alpha-2 of the address the phone was read with.
    pub country: Option<String>,
    /// `+90 *** *** 12 34`: enough for a person to recognise, useless to anyone else.
    pub phone_masked: Option<String>,
    /// Which field the phone number came from (`customer.phone`, `shipping_address.phone`, ...).
    pub phone_field: Option<String>,
    pub has_email: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FulfillmentFacts {
    pub external_id: Option<String>,
    pub status: Option<ShipmentStatus>,
    /// The source's own value when `status` is `other`, so nothing is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_status: Option<String>,
    pub tracking_company: Option<String>,
    pub estimated_delivery_at: Option<DateTime<Utc>>,
    pub happened_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
}

/// A consent statement from the source, for the order worker's consent ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConsentSignal {
    pub channel: Channel,
    /// `true` for subscribed, `false` for not subscribed / unsubscribed.
    pub granted: bool,
    /// Which field said so (`buyer_accepts_marketing`, `whats_app_marketing_consent`, ...).
    pub source_field: String,
    pub opt_in_level: Option<String>,
    pub collected_from: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// Shopify's mandatory compliance requests (and the equivalent from other sources).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrivacyRequest {
    pub customer_external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_external_ids: Vec<String>,
    pub request_id: Option<String>,
}

/// Contact details, kept out of the stored JSON and encrypted on their own.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub phone: Option<PhoneE164>,
    pub email: Option<String>,
}

/// Redacted: an event's `Debug` output may reach a log.
impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("phone", &self.phone)
            .field("email", &self.email.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A parsed event: the stored shape, the contact details, and why it cannot be used, if it
/// cannot. A rejected event is still stored (with its reason) so the merchant can see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub event: NormalizedEvent,
    pub contact: Contact,
    pub rejection: Option<String>,
}

impl Normalized {
    /// SHA-256 over what was understood of the event, contact details included, so the same
    /// idempotency key with different content can be told from a plain retry.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut bytes = serde_json::to_vec(&self.event).unwrap_or_default();
        bytes.push(0);
        bytes.extend_from_slice(self.contact.phone.as_ref().map_or("", |p| p.expose()).as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(self.contact.email.as_deref().unwrap_or("").as_bytes());
        crate::crypto::sha256(&bytes)
    }
}

/// Parses an RFC 3339 timestamp to UTC.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim()).ok().map(|t| t.with_timezone(&Utc))
}

/// Trims and drops empty strings.
pub(crate) fn non_empty(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|s| !s.is_empty()).map(ToOwned::to_owned)
}

/// First name + last name, or whichever is present.
pub(crate) fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (non_empty(first), non_empty(last)) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.or(l),
    }
}

/// A phone candidate: the raw text, the field it came from, and the country to read it with.
pub(crate) struct PhoneCandidate<'a> {
    pub raw: Option<&'a str>,
    pub field: &'static str,
    pub country: Option<&'a str>,
}

/// A parsed phone, the field it came from and the country it was read with.
pub(crate) type PickedPhone = (PhoneE164, &'static str, Option<String>);

/// Picks the first candidate that parses, in the caller's order of preference. `Ok(None)` when
/// no candidate has any text; `Err(reason)` when some had text but none parsed.
pub(crate) fn pick_phone(candidates: &[PhoneCandidate<'_>]) -> Result<Option<PickedPhone>, String> {
    let mut tried = Vec::new();
    for c in candidates {
        let Some(raw) = c.raw.map(str::trim).filter(|s| !s.is_empty()) else { continue };
        let country = c.country.map(str::trim).filter(|s| s.len() == 2);
        match PhoneE164::parse(raw, country) {
            Ok(phone) => return Ok(Some((phone, c.field, country.map(str::to_ascii_uppercase)))),
            Err(e) => tried.push(format!("{}: {e}", c.field)),
        }
    }
    if tried.is_empty() { Ok(None) } else { Err(format!("no usable phone number ({})", tried.join("; "))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_through_their_names() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).ok(), Some(serde_json::Value::String(t.as_str().into())));
        }
        assert_eq!(EventType::parse("order.exploded"), None);
    }

    #[test]
    fn unknown_enum_values_become_other() {
        assert_eq!(lenient_enum("In Transit", ShipmentStatus::Other), ShipmentStatus::InTransit);
        assert_eq!(lenient_enum("returning_to_sender", ShipmentStatus::Other), ShipmentStatus::Other);
        assert_eq!(lenient_enum("partially_paid", FinancialStatus::Other), FinancialStatus::PartiallyPaid);
        assert_eq!(lenient_enum("", FinancialStatus::Other), FinancialStatus::Other);
    }

    #[test]
    fn phone_preference_skips_unparseable_candidates() {
        let candidates = [
            PhoneCandidate { raw: None, field: "customer.phone", country: None },
            PhoneCandidate {
                raw: Some("555-555-SHIP"),
                field: "shipping_address.phone",
                country: Some("US"),
            },
            PhoneCandidate {
                raw: Some("0151 23456789"),
                field: "billing_address.phone",
                country: Some("de"),
            },
        ];
        let (phone, field, country) = pick_phone(&candidates).ok().flatten().expect("billing phone parses");
        assert_eq!(phone.expose(), "+4915123456789");
        assert_eq!(field, "billing_address.phone");
        assert_eq!(country.as_deref(), Some("DE"));

        let bad = [PhoneCandidate { raw: Some("call me"), field: "phone", country: None }];
        let reason = pick_phone(&bad).err().unwrap_or_default();
        assert!(reason.contains("phone: phone number could not be parsed"), "{reason}");
        assert!(matches!(pick_phone(&[]), Ok(None)));
    }
}
