//! The caller's own merchant.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use revive_shared::db::merchants::{self, Merchant};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Principal;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_merchant))
}

#[derive(Serialize, ToSchema)]
pub struct MerchantView {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

impl From<Merchant> for MerchantView {
    fn from(m: Merchant) -> Self {
        Self { id: m.id.0, name: m.name, timezone: m.timezone, created_at: m.created_at }
    }
}

/// The merchant the session or API key belongs to (any role, any scope).
#[utoipa::path(get, path = "/api/v1/merchant", tag = "merchant",
    security(("api_key" = []), ("session" = [])),
    responses((status = 200, body = MerchantView), (status = 401, body = ErrorBody)))]
async fn get_merchant(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<MerchantView>> {
    let mut tx = state.db.begin(principal.merchant()).await?;
    let merchant = merchants::get(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(merchant.into()))
}
