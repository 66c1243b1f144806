//! `POST /api/v1/simulator/messages`: the dashboard's phone simulator plays a customer of a store
//! that runs on the WhatsApp sandbox. The message is wrapped in the payload Meta would send,
//! signed with the sandbox account's secret and taken down the per-account webhook path, so it is
//! verified, stored, debounced and answered by the real conversation job; the bot's reply goes to
//! the sandbox and shows in the conversation.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use revive_shared::crypto::{Scope, signature};
use revive_shared::db::{audit, conversations, customers, whatsapp_accounts};
use revive_shared::phone::PhoneE164;
use revive_shared::role::Role;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Principal, ValidJson};
use crate::routes::whatsapp_webhook::receive_for_account;
use crate::state::AppState;

/// The simulated customer's number when none is given: Australia keeps 0491 570 156 for fiction,
/// so no real phone has it (the UK's drama range does not pass the phone library's checks).
pub const DEFAULT_PHONE: &str = "+61491570156";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(simulate))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SimulateIn {
    /// What the customer writes.
    #[validate(
        length(min = 1, max = 4096, message = "must be 1 to 4096 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub text: String,
    /// The customer's number in international form (default +61 491 570 156, a fictional one).
    #[validate(length(max = 32, message = "must be at most 32 characters"))]
    pub phone: Option<String>,
    /// The customer's WhatsApp profile name.
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimulateOut {
    /// Where the message and the bot's reply appear (`GET /api/v1/conversations/{id}`).
    pub conversation_id: uuid::Uuid,
    /// The made-up WhatsApp message id.
    pub wamid: String,
}

/// Send a message as a customer of this store (sandbox stores only).
#[utoipa::path(post, path = "/api/v1/simulator/messages", tag = "conversations", security(("session" = []), ("api_key" = [])),
    request_body = SimulateIn,
    responses((status = 202, body = SimulateOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn simulate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    principal: Principal,
    ValidJson(req): ValidJson<SimulateIn>,
) -> ApiResult<(StatusCode, Json<SimulateOut>)> {
    principal.require(Scope::ConversationsWrite, Role::Agent)?;
    let phone = PhoneE164::parse(req.phone.as_deref().unwrap_or(DEFAULT_PHONE), None)
        .map_err(|_| ApiError::field("phone", "must be a valid phone number in international form"))?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let identity = whatsapp_accounts::sandbox_identity(&mut tx, &state.config.cipher).await?;
    tx.commit().await?;
    let Some((account, phone_number_id, secret)) = identity else {
        return Err(ApiError::Conflict(
            "the simulator plays customers of the sandbox; this store has a real WhatsApp number",
        ));
    };

    let wamid = format!("wamid.simulator-{}", uuid::Uuid::new_v4().simple());
    let from = phone.expose().trim_start_matches('+');
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "sandbox", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "sandbox", "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": req.name.as_deref().unwrap_or("Simulated customer")}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": state.clock.now().timestamp().to_string(),
                          "type": "text", "text": {"body": req.text}}]
        }}]}]
    });
    let raw = serde_json::to_vec(&body).map_err(ApiError::internal)?;
    let signed = signature::sign_meta(secret.expose_secret().as_bytes(), &raw);
    let ack = receive_for_account(&state, &peer, account, Some(&signed), &raw).await?;
    if ack.messages_stored != 1 {
        return Err(ApiError::internal(anyhow::anyhow!("the simulated message was not stored: {ack:?}")));
    }

    let mut tx = state.db.begin(principal.merchant()).await?;
    let customer = customers::find_by_phone(&mut tx, &state.config.blind_index, &phone).await?;
    let conversation = match customer {
        Some(c) => {
            if let Some(name) = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                customers::name_if_unnamed(&mut tx, c, name).await?;
            }
            conversations::of_customer(&mut tx, c).await?
        }
        None => None,
    };
    let conversation_id = conversation.ok_or(ApiError::NotFound)?;
    let details = json!({"wamid": wamid});
    audit::record(
        &mut tx,
        &principal.actor(),
        "simulator.message",
        Some(("conversation", conversation_id.to_string())),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(SimulateOut { conversation_id, wamid })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_customer_number_is_a_valid_one() {
        assert!(revive_shared::phone::PhoneE164::parse(super::DEFAULT_PHONE, None).is_ok());
    }
}
