//! The caller's own merchant.

use axum::Json;
use axum::extract::State;
use revive_shared::db::merchants::{self, Merchant};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Principal;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_merchant))
}

/// The merchant the session or API key belongs to (any role, any scope).
#[utoipa::path(get, path = "/api/v1/merchant", tag = "merchant",
    security(("api_key" = []), ("session" = [])),
    responses((status = 200, body = Merchant), (status = 401, body = ErrorBody)))]
async fn get_merchant(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Merchant>> {
    let mut tx = state.db.begin(principal.merchant()).await?;
    let merchant = merchants::get(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(merchant))
}
