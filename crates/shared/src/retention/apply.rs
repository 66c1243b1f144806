//! Applying one stored event (the order worker's job): customer, consent ledger, order state,
//! schedules. Runs inside the event's tenant transaction, so it all happens or none of it does,
//! and `events::claim` makes sure it happens once per event.

use chrono::{DateTime, Duration, Utc};

use crate::crypto::{BlindIndexer, FieldCipher};
use crate::db::TenantTx;
use crate::db::customers::{self, CustomerUpdate, Purpose};
use crate::db::events::{self, Claimed, Outcome};
use crate::db::orders::{self, Milestone, OrderState};
use crate::db::{retention, scheduled};
use crate::ids::{CustomerId, EventId};
use crate::normalize::{Channel, EventType, NormalizedEvent};
use crate::{Error, Result};

/// What applying an event did, for the event's outcome and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub outcome: Outcome,
    /// A short note when something the merchant may wonder about happened (or did not).
    pub note: Option<String>,
    /// A product's knowledge source whose text changed: the caller queues its embedding (with
    /// this content hash) once the transaction is committed.
    pub embed: Option<(uuid::Uuid, Vec<u8>)>,
}

pub struct Keys<'a> {
    pub cipher: &'a FieldCipher,
    pub blind_index: &'a BlindIndexer,
}

pub async fn apply(tx: &mut TenantTx, keys: &Keys<'_>, id: EventId, claimed: &Claimed) -> Result<Applied> {
    let merchant = tx.merchant();
    let event: NormalizedEvent = serde_json::from_value(claimed.normalized.clone())
        .map_err(|e| Error::Corrupt(format!("normalized event: {e}")))?;
    let at = event.occurred_at.unwrap_or(claimed.received_at);
    let phone = claimed.phone(keys.cipher, merchant)?;
    let email = claimed.email(keys.cipher, merchant)?;
    let mut notes: Vec<String> = Vec::new();

    let facts = event.customer.as_ref();
    let customer = match (&phone, facts.and_then(|c| c.external_id.as_deref())) {
        (Some(phone), _) => {
            let update = CustomerUpdate {
                name: facts.and_then(|c| c.name.as_deref()),
                external_id: facts.and_then(|c| c.external_id.as_deref()),
                locale: facts.and_then(|c| c.locale.as_deref()),
                timezone: facts.and_then(|c| c.timezone.as_deref()),
                email: email.as_deref(),
            };
            Some(customers::upsert(tx, keys.cipher, keys.blind_index, phone, &update).await?)
        }
        (None, Some(external)) => customers::find_by_external(tx, external).await?,
        (None, None) => None,
    };

    if let Some(customer) = customer {
        apply_consent(tx, &event, customer, id, at, &mut notes).await?;
    }

    if let Some(order) = &event.order {
        // The order's customer is the one its phone names; events that carry no phone (refunds,
        // fulfilments) reach the order by its id.
        let linked = if event.event_type.is_order_lifecycle() { customer } else { None };
        let mut state = orders::upsert(tx, order, linked, at).await?;
        events::set_order(tx, id, state.id).await?;
        if phone.is_some()
            && event.event_type == EventType::OrderCreated
            && let Some(customer) = state.customer_id
        {
            // Placing an order with a phone number is consent to messages about that order,
            // until the customer says otherwise.
            customers::record_consent(
                tx,
                customer,
                Purpose::Utility,
                true,
                "order placed",
                order.placed_at.unwrap_or(at),
                Some(id.0),
            )
            .await?;
        }
        let cancelled = order.cancelled_at.is_some() || event.event_type == EventType::OrderCancelled;
        state = match event.event_type {
            EventType::OrderFulfilled => orders::mark(tx, state.id, Milestone::Fulfilled, at).await?,
            EventType::OrderDelivered => orders::mark(tx, state.id, Milestone::Delivered, at).await?,
            EventType::OrderRefunded => orders::mark(tx, state.id, Milestone::Refunded, at).await?,
            _ if cancelled => {
                orders::mark(tx, state.id, Milestone::Cancelled, order.cancelled_at.unwrap_or(at)).await?
            }
            _ => state,
        };
        if state.is_closed() {
            let why = if state.refunded_at.is_some() { "order refunded" } else { "order cancelled" };
            let n = scheduled::cancel_for_order(tx, state.id, why).await?;
            if n > 0 {
                notes.push(format!("{why}: {n} scheduled message(s) cancelled"));
            }
        } else if event.event_type == EventType::OrderDelivered
            || (state.delivered_at.is_some() && linked.is_some())
        {
            // The second case: the delivery arrived before the event that names the buyer
            // (webhooks are not ordered); scheduling is idempotent per (order, flow).
            notes.extend(schedule_after_delivery(tx, &state).await?);
        }
    }

    if event.event_type == EventType::PrivacyCustomerRedact {
        match customer {
            Some(c) => {
                let why = "customer data erasure requested (customers/redact)";
                let erased = crate::db::privacy::erase(tx, c, claimed.received_at, why).await?;
                let details = serde_json::json!({"event_id": id.0, "scheduled_cancelled": erased.scheduled_cancelled,
                                                 "messages_deleted": erased.messages_deleted});
                let actor = crate::db::audit::Actor::Webhook("shopify");
                crate::db::audit::record(
                    tx,
                    &actor,
                    "customer.erase",
                    Some(("customer", c.0.to_string())),
                    details,
                )
                .await?;
                notes.push(format!(
                    "customer erased: {} scheduled message(s) cancelled, {} message(s) deleted",
                    erased.scheduled_cancelled, erased.messages_deleted
                ));
            }
            None => notes.push("erasure requested for a customer Revive does not know".into()),
        }
        // The request itself names the customer: it keeps no contact details either.
        crate::db::privacy::redact_event(tx, id.0).await?;
    }
    if event.event_type == EventType::PrivacyDataRequest {
        notes.push(match customer {
            Some(c) => format!("data requested: export it with GET /api/v1/customers/{}/export", c.0),
            None => "data requested for a customer Revive does not know".into(),
        });
    }

    let mut embed = None;
    if let Some(product) = &event.product {
        match event.event_type {
            EventType::ProductUpdated => {
                let domain = crate::db::products::shop_domain(tx).await?;
                let saved = crate::db::products::save(tx, &new_product(product, domain.as_deref())).await?;
                embed = saved.embed.map(|hash| (saved.source_id, hash));
                if embed.is_none() {
                    notes.push("product unchanged: its knowledge is kept".into());
                }
            }
            EventType::ProductDeleted => {
                let deleted = crate::db::products::delete_external(tx, &product.external_id).await?;
                if !deleted {
                    notes.push("deleted a product Revive did not have".into());
                }
            }
            _ => {}
        }
    }

    let outcome = if claimed.rejection.is_some() { Outcome::Rejected } else { Outcome::Processed };
    Ok(Applied { outcome, note: (!notes.is_empty()).then(|| notes.join("; ")), embed })
}

/// A Shopify product as the catalog keeps it; its link is the storefront's product page.
fn new_product(
    p: &crate::normalize::ProductFacts,
    shop_domain: Option<&str>,
) -> crate::db::products::NewProduct {
    crate::db::products::NewProduct {
        external_id: p.external_id.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        url: shop_domain.zip(p.handle.as_deref()).map(|(d, h)| format!("https://{d}/products/{h}")),
        price_cents: p.price_minor,
        currency: None,
        tags: p.tags.clone(),
    }
}

impl EventType {
    /// Events whose customer facts describe the order's buyer.
    fn is_order_lifecycle(self) -> bool {
        matches!(
            self,
            EventType::OrderCreated
                | EventType::OrderPaid
                | EventType::OrderUpdated
                | EventType::OrderFulfilled
                | EventType::OrderDelivered
                | EventType::OrderCancelled
        )
    }
}

/// WhatsApp consent statements go to the marketing ledger; a withdrawal cancels pending
/// marketing messages at once. Email and SMS consent say nothing about WhatsApp.
async fn apply_consent(
    tx: &mut TenantTx,
    event: &NormalizedEvent,
    customer: CustomerId,
    id: EventId,
    at: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<()> {
    for signal in event.consent.iter().filter(|c| c.channel == Channel::Whatsapp) {
        let source = format!("{}:{}", event.source.as_str(), signal.source_field);
        let granted = customers::record_consent(
            tx,
            customer,
            Purpose::Marketing,
            signal.granted,
            &source,
            signal.at.unwrap_or(at),
            Some(id.0),
        )
        .await?;
        if !granted {
            let n = scheduled::cancel_for_customer(
                tx,
                customer,
                Some(scheduled::MARKETING_FLOWS),
                "marketing consent withdrawn",
            )
            .await?;
            if n > 0 {
                notes.push(format!("marketing consent withdrawn: {n} scheduled message(s) cancelled"));
            }
        }
    }
    Ok(())
}

/// Writes the T+3 and T+14 schedules of a delivered order, per the merchant's settings.
async fn schedule_after_delivery(tx: &mut TenantTx, order: &OrderState) -> Result<Option<String>> {
    let Some(delivered) = order.delivered_at else { return Ok(None) };
    let settings = retention::get(tx).await?;
    schedule_from(tx, order, delivered, "delivered", &settings).await
}

/// Schedules an order that was fulfilled but never reported delivered, from the end of the
/// merchant's transit estimate (the dispatcher finds these orders).
pub async fn schedule_presumed_delivery(tx: &mut TenantTx, order: uuid::Uuid) -> Result<Option<String>> {
    let state = orders::state(tx, order).await?;
    let (Some(fulfilled), None, false) = (state.fulfilled_at, state.delivered_at, state.is_closed()) else {
        return Ok(None);
    };
    let settings = retention::get(tx).await?;
    let presumed = fulfilled + Duration::days(i64::from(settings.transit_estimate_days));
    let how = format!(
        "no delivery event within {} days of fulfilment; presumed delivered",
        settings.transit_estimate_days
    );
    schedule_from(tx, &state, presumed, &how, &settings).await
}

async fn schedule_from(
    tx: &mut TenantTx,
    order: &OrderState,
    delivered: DateTime<Utc>,
    how: &str,
    settings: &retention::RetentionSettings,
) -> Result<Option<String>> {
    let Some(customer) = order.customer_id else {
        return Ok(Some(
            "delivered, but the order has no customer with a phone number: nothing scheduled".into(),
        ));
    };
    let plan = [
        ("checkin", i64::from(settings.checkin_offset_hours)),
        (settings.followup_flow.as_str(), i64::from(settings.followup_offset_hours)),
    ];
    let mut made = Vec::new();
    for (flow, hours) in plan {
        if !settings.enabled_flows.iter().any(|f| f == flow) {
            continue;
        }
        let due = delivered + Duration::hours(hours);
        let why = format!("{how} at {}; {flow} due {hours} h later", delivered.to_rfc3339());
        let held_out = crate::retention::holdout::in_control_group(customer, flow, settings.holdout_percent);
        if scheduled::schedule(tx, customer, order.id, flow, due, &why, held_out).await?.is_some() {
            made.push(if held_out { format!("{flow} (held out)") } else { flow.to_owned() });
        }
    }
    Ok((!made.is_empty()).then(|| format!("scheduled: {}", made.join(", "))))
}
