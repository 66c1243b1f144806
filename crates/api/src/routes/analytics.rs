//! `GET /api/v1/analytics`: the retention flows' results over a date range (viewer or
//! `analytics:read`); the definitions are in `revive_shared::db::analytics`.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use revive_shared::crypto::Scope;
use revive_shared::db::analytics::{self, Report};
use revive_shared::role::Role;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Principal, QueryParams};
use crate::state::AppState;

/// The longest range one report covers.
const MAX_DAYS: i64 = 366;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
}

#[derive(Deserialize, IntoParams)]
pub struct RangeQuery {
    /// First day (UTC), `YYYY-MM-DD`; default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default today.
    pub to: Option<NaiveDate>,
}

/// Scheduled, sent, delivered, read, replied, opted out, failed, held out, and the repeat orders
/// and revenue attributed, in total, per flow and per day.
#[utoipa::path(get, path = "/api/v1/analytics", tag = "analytics", security(("session" = []), ("api_key" = [])),
    params(RangeQuery), responses((status = 200, body = Report), (status = 422, body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<RangeQuery>,
) -> ApiResult<Json<Report>> {
    principal.require(Scope::AnalyticsRead, Role::Viewer)?;
    let to = q.to.unwrap_or_else(|| state.clock.now().date_naive());
    let from = q.from.unwrap_or(to - chrono::Days::new(29));
    if from > to {
        return Err(ApiError::field("from", "must not be after to"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::field("from", "the range is at most 366 days"));
    }
    let mut tx = state.db.begin(principal.merchant()).await?;
    let report = analytics::report(&mut tx, from, to).await?;
    tx.commit().await?;
    Ok(Json(report))
}
