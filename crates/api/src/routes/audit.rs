//! The audit log, newest first (owner/admin).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use revive_shared::db::audit::{self, AuditEntry};
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{QueryParams, SessionUser};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// 1 to 500, default 100.
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    /// user, api_key, worker or system
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            details: e.details,
            at: e.at,
        }
    }
}

/// Who did what.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", security(("session" = [])),
    params(AuditQuery),
    responses((status = 200, body = [AuditEntryView]), (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    session: SessionUser,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntryView>>> {
    session.require(Role::Admin)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let mut tx = state.db.begin(session.merchant_id).await?;
    let entries = audit::list(&mut tx, limit).await?;
    tx.commit().await?;
    Ok(Json(entries.into_iter().map(AuditEntryView::from).collect()))
}
