//! The conversation manager's parts the dashboard and tests call directly.

use axum::Json;
use axum::extract::State;
use revive_shared::ai::intent::{self, Intent};
use revive_shared::crypto::Scope;
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Principal, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(classify))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ClassifyIn {
    /// A customer's message, in any language.
    #[validate(
        length(min = 1, max = 4096, message = "must be 1 to 4096 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClassifyOut {
    pub intent: Intent,
    /// 0 to 1.
    pub confidence: f32,
}

/// The intent the conversation manager would give a message.
#[utoipa::path(post, path = "/api/v1/conversation/classify", tag = "conversations", security(("session" = []), ("api_key" = [])),
    request_body = ClassifyIn,
    responses((status = 200, body = ClassifyOut), (status = 422, body = ErrorBody)))]
async fn classify(
    State(_state): State<AppState>,
    principal: Principal,
    ValidJson(req): ValidJson<ClassifyIn>,
) -> ApiResult<Json<ClassifyOut>> {
    principal.require(Scope::ConversationsRead, Role::Viewer)?;
    let (intent, confidence) = intent::classify_local(&req.text);
    Ok(Json(ClassifyOut { intent, confidence }))
}
