//! `POST /webhooks/shopify/{integration_id}` (PROTOCOLS.md §1).
//!
//! The signature is checked against the raw bytes before anything is parsed; a bad or missing
//! one is a 401 (Shopify's review requires it for the compliance topics) and spends the caller's
//! per-IP budget. A signed delivery is stored, its job queued, and answered 200; nothing else
//! happens in the request. Duplicates (same shop, topic and `X-Shopify-Webhook-Id`) are answered
//! 200 and change nothing.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use revive_shared::crypto::signature;
use revive_shared::db::audit::Actor;
use revive_shared::db::events::NewEvent;
use revive_shared::db::integrations::{self, Kind};
use revive_shared::ids::IntegrationId;
use revive_shared::normalize::{parse_time, shopify};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{ingest, rate_limit};

pub fn router(state: &AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/webhooks/shopify/{integration_id}", post(receive))
        .layer(DefaultBodyLimit::max(state.config.ingest.ingest_max_body_bytes))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookAck {
    /// `stored`, `duplicate` or `ignored`.
    pub status: &'static str,
}

/// Reads a Shopify header in either family: `X-Shopify-Topic` (webhooks) or `shopify-topic`
/// (the newer Events product).
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    [format!("x-shopify-{name}"), format!("shopify-{name}")]
        .iter()
        .find_map(|h| headers.get(h.as_str()))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

async fn receive(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAck>> {
    let unauthorized = || rate_limit::unsigned_webhook(&state.limiters, &peer, "shopify");
    let hmac = header(&headers, "hmac-sha256").ok_or_else(unauthorized)?;
    let id = id.parse::<uuid::Uuid>().map(IntegrationId).map_err(|_| unauthorized())?;
    let target = integrations::webhook_target(state.db.pool(), &state.config.cipher, id)
        .await?
        .filter(|t| t.kind == Kind::Shopify)
        .ok_or_else(unauthorized)?;
    let secrets: Vec<&[u8]> =
        target.secrets.iter().map(|s| secrecy::ExposeSecret::expose_secret(s).as_bytes()).collect();
    if !signature::verify_shopify(&secrets, &body, hmac) {
        return Err(unauthorized());
    }

    // Signed: from here on the sender is Shopify (or holds the secret).
    let required = ["topic", "shop-domain", "api-version", "webhook-id"];
    let missing: Vec<String> =
        required.iter().filter(|h| header(&headers, h).is_none()).map(|h| format!("X-Shopify-{h}")).collect();
    if !missing.is_empty() {
        return Err(ApiError::BadRequest(format!("missing headers: {}", missing.join(", "))));
    }
    let (topic, shop, webhook_id) = (
        header(&headers, "topic").unwrap_or_default().to_ascii_lowercase(),
        header(&headers, "shop-domain").unwrap_or_default().to_ascii_lowercase(),
        header(&headers, "webhook-id").unwrap_or_default(),
    );
    if target.shop_domain.as_deref() != Some(shop.as_str()) {
        return Err(ApiError::BadRequest("X-Shopify-Shop-Domain is not the shop of this integration".into()));
    }
    let triggered_at = header(&headers, "triggered-at").and_then(parse_time);
    let normalized = shopify::normalize(&topic, &body, triggered_at);
    let event = NewEvent {
        integration_id: Some(id),
        import_id: None,
        // Shopify's recommended dedupe key (PROTOCOLS.md §1.3): Event-Id alone is shared by
        // every topic one merchant action fans out to.
        external_id: format!("{shop}/{topic}/{webhook_id}"),
        shopify_webhook_id: Some(webhook_id.to_owned()),
        shopify_event_id: header(&headers, "event-id").map(ToOwned::to_owned),
        triggered_at,
        normalized,
        raw: Some(body.to_vec()),
        ignore: !target.active,
    };
    let initial = event.initial_status();
    let inserted = ingest::store(
        &state,
        target.merchant_id,
        Some(id),
        std::slice::from_ref(&event),
        Some(&Actor::Webhook("shopify")),
    )
    .await?;
    let status = match (inserted.is_empty(), initial) {
        (true, _) => "duplicate",
        (false, "ignored") => "ignored",
        (false, _) => "stored",
    };
    metrics::counter!("revive_webhooks_total", "source" => "shopify", "outcome" => status).increment(1);
    Ok(Json(WebhookAck { status }))
}
