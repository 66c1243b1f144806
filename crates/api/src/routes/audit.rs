//! The audit log, newest first (owner/admin).

use axum::Json;
use axum::extract::State;
use revive_shared::db::audit::{self, AuditEntry};
use revive_shared::role::Role;
use serde::Deserialize;
use utoipa::IntoParams;
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

/// Who did what.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", security(("session" = [])),
    params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    session: SessionUser,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    session.require(Role::Admin)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let mut tx = state.db.begin(session.merchant_id).await?;
    let entries = audit::list(&mut tx, limit).await?;
    tx.commit().await?;
    Ok(Json(entries))
}
