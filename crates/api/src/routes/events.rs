//! The events API (`POST /api/v1/events`, API key with `events:write`) and the event reads the
//! dashboard uses.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use revive_shared::crypto::Scope;
use revive_shared::db::events::{self, EventDetail, EventSummary, Filter, NewEvent};
use revive_shared::db::integrations::{self, Kind};
use revive_shared::ids::EventId;
use revive_shared::normalize::{self, api::ItemErrors};
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, QueryParams};
use crate::ingest;
use crate::state::AppState;

/// Most items one request may carry.
pub const MAX_BATCH: usize = 1000;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_events, list_events))
        .routes(routes!(get_event))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.ingest.ingest_max_body_bytes))
}

/// What happened to one item.
#[derive(Serialize, ToSchema)]
pub struct ItemResult {
    pub index: usize,
    /// `accepted`, `duplicate` or `rejected`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<EventId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// For `rejected`: field → messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<ItemErrors>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchResult {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub results: Vec<ItemResult>,
}

/// Report store events: one event object, an array of them, or `{"events": [...]}` (at most
/// 1,000). Idempotent by each item's `external_id`, or by the `Idempotency-Key` header (for a
/// batch, the key plus `:<index>`). A batch answers per item and stores every good item, whatever
/// the others hold. A single event answers 202 (accepted), 200 (duplicate) or 422.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    security(("api_key" = []), ("session" = [])),
    request_body(content = normalize::api::EventIn, description = "An event, an array of events, or {\"events\": [...]}"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Stands in for a missing external_id")),
    responses((status = 202, body = ItemResult), (status = 200, body = BatchResult),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    principal.require(Scope::EventsWrite, Role::Admin)?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!("body is not valid JSON (line {}, column {})", e.line(), e.column()))
    })?;
    let (items, single) = match value {
        Value::Array(items) => (items, false),
        Value::Object(mut o) if o.contains_key("events") => match o.remove("events") {
            Some(Value::Array(items)) => (items, false),
            _ => return Err(ApiError::Unprocessable("events must be an array".into())),
        },
        v @ Value::Object(_) => (vec![v], true),
        _ => return Err(ApiError::Unprocessable("expected an event object or an array of events".into())),
    };
    if items.len() > MAX_BATCH {
        return Err(ApiError::Unprocessable(format!(
            "at most {MAX_BATCH} events per request, got {}",
            items.len()
        )));
    }
    let key =
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > 190) {
        return Err(ApiError::Unprocessable("Idempotency-Key must be at most 190 characters".into()));
    }

    let merchant = principal.merchant();
    let mut tx = state.db.begin(merchant).await?;
    let integration = integrations::newest_of_kind(&mut tx, Kind::Api).await?;
    tx.commit().await?;
    if let Some((_, false)) = integration {
        return Err(ApiError::Conflict("the API integration is paused; resume it to send events"));
    }
    let integration_id = integration.map(|(id, _)| id);

    let mut results: Vec<ItemResult> = Vec::with_capacity(items.len());
    // Items that passed their checks, and where each sits in `results`.
    let mut good: Vec<NewEvent> = Vec::new();
    let mut good_index: Vec<usize> = Vec::new();
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let item_key = key.map(|k| if single { k.to_owned() } else { format!("{k}:{index}") });
        let mut result = ItemResult { index, status: "rejected", id: None, external_id: None, errors: None };
        match normalize::api::normalize(item, item_key.as_deref()) {
            Err(errors) => result.errors = Some(errors),
            Ok((external_id, normalized)) => {
                result.external_id = Some(external_id.clone());
                let event = NewEvent {
                    integration_id,
                    import_id: None,
                    external_id: external_id.clone(),
                    shopify_webhook_id: None,
                    shopify_event_id: None,
                    triggered_at: None,
                    normalized,
                    raw: serde_json::to_vec(item).ok(),
                    ignore: false,
                };
                match first_of.get(&external_id) {
                    // The same id twice in one batch: the first is stored, the rest judged against it.
                    Some(&first) if good[first].content_hash() == event.content_hash() => {
                        result.status = "duplicate"
                    }
                    Some(_) => result.errors = Some(conflict_error()),
                    None => {
                        first_of.insert(external_id, good.len());
                        good.push(event);
                        good_index.push(index);
                    }
                }
            }
        }
        results.push(result);
    }

    let inserted = ingest::store(&state, merchant, integration_id, &good, Some(&principal.actor())).await?;
    let inserted: HashMap<&str, EventId> = inserted.iter().map(|e| (e.external_id.as_str(), e.id)).collect();
    let not_new: Vec<String> =
        good.iter().map(|e| e.external_id.clone()).filter(|x| !inserted.contains_key(x.as_str())).collect();
    let mut stored: HashMap<String, (EventId, Option<Vec<u8>>)> = HashMap::new();
    if !not_new.is_empty() {
        let mut tx = state.db.begin(merchant).await?;
        for (x, id, hash) in events::content_hashes(&mut tx, "api", &not_new).await? {
            stored.insert(x, (id, hash));
        }
        tx.commit().await?;
    }
    for (event, &index) in good.iter().zip(&good_index) {
        let result = &mut results[index];
        if let Some(id) = inserted.get(event.external_id.as_str()) {
            result.status = "accepted";
            result.id = Some(*id);
        } else if let Some((id, hash)) = stored.get(&event.external_id) {
            if hash.as_deref() == Some(&event.content_hash()[..]) {
                result.status = "duplicate";
                result.id = Some(*id);
            } else {
                result.errors = Some(conflict_error());
            }
        }
    }

    let count = |s: &str| results.iter().filter(|r| r.status == s).count();
    if single {
        let Some(result) = results.pop() else { return Err(ApiError::Unprocessable("no event".into())) };
        return Ok(match result.status {
            "accepted" => (StatusCode::ACCEPTED, Json(result)).into_response(),
            "duplicate" => (StatusCode::OK, Json(result)).into_response(),
            _ => ApiError::InvalidFields(result.errors.unwrap_or_default()).into_response(),
        });
    }
    let batch = BatchResult {
        accepted: count("accepted"),
        duplicates: count("duplicate"),
        rejected: count("rejected"),
        results,
    };
    Ok((StatusCode::OK, Json(batch)).into_response())
}

fn conflict_error() -> ItemErrors {
    ItemErrors::from([(
        "external_id".to_owned(),
        vec!["already used for a different event; send a new external_id for a new event".to_owned()],
    )])
}

#[derive(Deserialize, IntoParams)]
pub struct EventQuery {
    /// shopify, csv or api.
    pub source: Option<String>,
    /// e.g. order.delivered.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// pending, queued, processed, rejected, ignored or failed.
    pub status: Option<String>,
    /// The id of the last event of the previous page.
    pub before: Option<uuid::Uuid>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// Stored events, newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("session" = []), ("api_key" = [])),
    params(EventQuery), responses((status = 200, body = [EventSummary]), (status = 401, body = ErrorBody)))]
async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<EventQuery>,
) -> ApiResult<Json<Vec<EventSummary>>> {
    principal.require(Scope::EventsWrite, Role::Viewer)?;
    let filter = Filter {
        source: q.source,
        event_type: q.event_type,
        status: q.status,
        before: q.before.map(EventId),
        limit: q.limit.unwrap_or(50).clamp(1, 200),
    };
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = events::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// One event with its normalized form and processing outcome.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = EventDetail), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<EventDetail>> {
    principal.require(Scope::EventsWrite, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let event = events::get(&mut tx, EventId(id)).await?;
    tx.commit().await?;
    Ok(Json(event))
}
