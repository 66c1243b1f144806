//! The merchant's WhatsApp number (read: viewer; connect / disconnect: admin). Without one,
//! messages go to the sandbox transport.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::db::audit;
use revive_shared::db::whatsapp_accounts::{self, AccountView, Connect};
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{SessionUser, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_account, connect_account, disconnect_account))
}

#[derive(Serialize, ToSchema)]
pub struct WhatsAppAccount {
    /// `sandbox` (nothing connected: messages are recorded, not sent) or `meta`.
    pub mode: &'static str,
    pub account: Option<AccountView>,
    /// Where Meta should send webhooks: the account's own URL when it has an app secret (the
    /// merchant's own Meta app), else the platform's.
    pub webhook_url: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ConnectAccount {
    /// The Cloud API phone number id (digits), not the phone number.
    #[validate(length(min = 5, max = 32, message = "must be 5 to 32 digits"))]
    pub phone_number_id: String,
    #[validate(length(min = 1, max = 32, message = "must be 1 to 32 characters"))]
    pub waba_id: Option<String>,
    /// A system-user access token with whatsapp_business_messaging.
    #[validate(length(min = 20, max = 1024, message = "must be 20 to 1024 characters"))]
    pub access_token: String,
    /// The App Secret of the merchant's own Meta app, which signs its webhooks. Left out: kept.
    #[validate(length(min = 16, max = 256, message = "must be 16 to 256 characters"))]
    pub app_secret: Option<String>,
    /// The token Meta echoes when the webhook is subscribed. Left out: kept.
    #[validate(length(min = 8, max = 256, message = "must be 8 to 256 characters"))]
    pub verify_token: Option<String>,
    /// Meta's throughput for this number: 80 by default, 1000 once upgraded, 20 for coexistence.
    #[validate(range(min = 1, max = 1000, message = "must be 1 to 1000"))]
    pub messages_per_second: Option<i32>,
}

async fn answer(state: &AppState, tx: &mut revive_shared::db::TenantTx) -> ApiResult<WhatsAppAccount> {
    let account = whatsapp_accounts::view(tx).await?;
    let base = state.config.public_base_url.trim_end_matches('/');
    let webhook_url = account.as_ref().map(|a| {
        if a.has_app_secret {
            format!("{base}/webhooks/whatsapp/{}", a.id)
        } else {
            format!("{base}/webhooks/whatsapp")
        }
    });
    Ok(WhatsAppAccount { mode: if account.is_some() { "meta" } else { "sandbox" }, account, webhook_url })
}

/// The connected number, or the sandbox.
#[utoipa::path(get, path = "/api/v1/whatsapp-account", tag = "whatsapp", security(("session" = [])),
    responses((status = 200, body = WhatsAppAccount), (status = 401, body = ErrorBody)))]
async fn get_account(
    State(state): State<AppState>,
    session: SessionUser,
) -> ApiResult<Json<WhatsAppAccount>> {
    session.require(Role::Viewer)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    let out = answer(&state, &mut tx).await?;
    tx.commit().await?;
    Ok(Json(out))
}

/// Connect a Meta number (or replace the connected one). The token and secret are stored
/// encrypted and never shown again.
#[utoipa::path(put, path = "/api/v1/whatsapp-account", tag = "whatsapp", security(("session" = [])),
    request_body = ConnectAccount,
    responses((status = 200, body = WhatsAppAccount), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn connect_account(
    State(state): State<AppState>,
    session: SessionUser,
    ValidJson(body): ValidJson<ConnectAccount>,
) -> ApiResult<Json<WhatsAppAccount>> {
    session.require(Role::Admin)?;
    if !body.phone_number_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::field("phone_number_id", "must be digits only (the id, not the phone number)"));
    }
    let mut tx = state.db.begin(session.merchant_id).await?;
    let c = Connect {
        phone_number_id: &body.phone_number_id,
        waba_id: body.waba_id.as_deref(),
        access_token: body.access_token.trim(),
        app_secret: body.app_secret.as_deref().map(str::trim),
        verify_token: body.verify_token.as_deref(),
        messages_per_second: body.messages_per_second,
    };
    let id = whatsapp_accounts::connect(&mut tx, &state.config.cipher, &c).await?;
    let out = answer(&state, &mut tx).await?;
    let detail =
        json!({"phone_number_id": body.phone_number_id, "app_secret_set": body.app_secret.is_some()});
    audit::record(
        &mut tx,
        &session.actor(),
        "whatsapp_account.connect",
        Some(("whatsapp_account", id.to_string())),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(out))
}

/// Disconnect the number: messages go to the sandbox again.
#[utoipa::path(delete, path = "/api/v1/whatsapp-account", tag = "whatsapp", security(("session" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn disconnect_account(State(state): State<AppState>, session: SessionUser) -> ApiResult<StatusCode> {
    session.require(Role::Admin)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    if !whatsapp_accounts::disconnect(&mut tx).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &session.actor(), "whatsapp_account.disconnect", None, json!({})).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
