//! Scheduled retention messages with their "why" trail (read: viewer or `messages:read`;
//! cancel: agent or `messages:write`).

use axum::Json;
use axum::extract::State;
use revive_shared::crypto::Scope;
use revive_shared::db::scheduled::{self, Filter, ScheduledMessage};
use revive_shared::db::{audit, events};
use revive_shared::role::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, QueryParams};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_scheduled))
        .routes(routes!(get_scheduled))
        .routes(routes!(cancel_scheduled))
        .routes(routes!(send_now))
        .routes(routes!(replay))
        .routes(routes!(queue_stats))
}

#[derive(Deserialize, IntoParams)]
pub struct ScheduledQuery {
    /// scheduled, sending, sent, skipped, cancelled, failed or dead.
    pub status: Option<String>,
    /// checkin, review, replenishment or upsell.
    pub flow: Option<String>,
    pub order_id: Option<uuid::Uuid>,
    pub customer_id: Option<uuid::Uuid>,
    /// 1 to 500, default 100.
    pub limit: Option<i64>,
}

/// Scheduled messages, soonest first.
#[utoipa::path(get, path = "/api/v1/scheduled-messages", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(ScheduledQuery), responses((status = 200, body = [ScheduledMessage]), (status = 401, body = ErrorBody)))]
async fn list_scheduled(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<ScheduledQuery>,
) -> ApiResult<Json<Vec<ScheduledMessage>>> {
    principal.require(Scope::MessagesRead, Role::Viewer)?;
    let filter = Filter {
        status: q.status,
        flow: q.flow,
        order_id: q.order_id,
        customer_id: q.customer_id,
        limit: q.limit.unwrap_or(100).clamp(1, 500),
    };
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = scheduled::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// One scheduled message and its trail.
#[utoipa::path(get, path = "/api/v1/scheduled-messages/{id}", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ScheduledMessage), (status = 404, body = ErrorBody)))]
async fn get_scheduled(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<ScheduledMessage>> {
    principal.require(Scope::MessagesRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let found = scheduled::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Cancel a message that has not gone out yet (409 otherwise).
#[utoipa::path(post, path = "/api/v1/scheduled-messages/{id}/cancel", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduledMessage), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_scheduled(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<ScheduledMessage>> {
    principal.require(Scope::MessagesWrite, Role::Agent)?;
    let who = requested_by(&principal, "cancelled");
    let mut tx = state.db.begin(principal.merchant()).await?;
    let cancelled = scheduled::cancel(&mut tx, id, &who).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "scheduled_message.cancel",
        Some(("scheduled_message", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(cancelled))
}

/// Send a scheduled message now (the send-time checks still apply, quiet hours included).
#[utoipa::path(post, path = "/api/v1/scheduled-messages/{id}/send-now", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduledMessage), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn send_now(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<ScheduledMessage>> {
    requeue(&state, &principal, id, &["scheduled"], "send_now").await
}

/// Replay a failed or dead-lettered message: it is due again now, with its attempts reset.
/// (A message that failed with "outcome unknown" may already have reached the customer.)
#[utoipa::path(post, path = "/api/v1/scheduled-messages/{id}/replay", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduledMessage), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn replay(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<ScheduledMessage>> {
    requeue(&state, &principal, id, &["failed", "dead"], "replay").await
}

async fn requeue(
    state: &AppState,
    principal: &Principal,
    id: uuid::Uuid,
    from: &[&str],
    event: &str,
) -> ApiResult<Json<ScheduledMessage>> {
    principal.require(Scope::MessagesWrite, Role::Agent)?;
    let who = requested_by(principal, "requested");
    let mut tx = state.db.begin(principal.merchant()).await?;
    let message = scheduled::requeue(&mut tx, id, from, event, &who, state.clock.now()).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        &format!("scheduled_message.{event}"),
        Some(("scheduled_message", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(message))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QueueStatsBody {
    /// Retention messages (the `send_message` jobs).
    pub send_message: scheduled::QueueStats,
    /// Store events waiting for the order worker (the `process_event` jobs).
    pub process_event: events::QueueStats,
}

/// This merchant's queues: what waits, runs, failed and was dead-lettered, and how old the
/// oldest waiting item is. Read from Postgres, which holds every job's durable record.
#[utoipa::path(get, path = "/api/v1/queue-stats", tag = "retention", security(("session" = []), ("api_key" = [])),
    responses((status = 200, body = QueueStatsBody), (status = 401, body = ErrorBody)))]
async fn queue_stats(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<QueueStatsBody>> {
    principal.require(Scope::MessagesRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let send_message = scheduled::queue_stats(&mut tx, state.clock.now()).await?;
    let process_event = events::queue_stats(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(QueueStatsBody { send_message, process_event }))
}

/// "cancelled from the dashboard by user …" / "… through the API by key …", for the trail.
fn requested_by(principal: &Principal, verb: &str) -> String {
    match principal {
        Principal::User(u) => format!("{verb} from the dashboard by user {}", u.user_id),
        Principal::ApiKey { key_id, .. } => format!("{verb} through the API by key {key_id}"),
    }
}
