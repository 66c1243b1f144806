//! The agents' inbox (conversations, their messages with the bot's intent, verdicts and
//! sources; take over, release, reply by hand) and the classifier the dashboard calls directly.
//! Read: viewer or `conversations:read`; write: agent or `conversations:write`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::ai::intent::Intent;
use revive_shared::crypto::Scope;
use revive_shared::db::conversations::{self, Message, Summary};
use revive_shared::db::{audit, customers, templates, whatsapp_accounts};
use revive_shared::role::Role;
use revive_shared::whatsapp::{TemplateMessage, TextMessage, Transport, WhatsApp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, QueryParams, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(classify))
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation))
        .routes(routes!(take_over))
        .routes(routes!(release))
        .routes(routes!(reply))
}

#[derive(Deserialize, IntoParams)]
pub struct InboxQuery {
    /// Only those that need (or do not need) an agent.
    pub needs_attention: Option<bool>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// The inbox: conversations needing attention first, then by latest activity.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", security(("session" = []), ("api_key" = [])),
    params(InboxQuery), responses((status = 200, body = [Summary]), (status = 401, body = ErrorBody)))]
async fn list_conversations(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<InboxQuery>,
) -> ApiResult<Json<Vec<Summary>>> {
    principal.require(Scope::ConversationsRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = conversations::list(
        &mut tx,
        q.needs_attention,
        state.clock.now(),
        q.limit.unwrap_or(50).clamp(1, 200),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(list))
}

#[derive(Serialize, ToSchema)]
pub struct ConversationOut {
    pub conversation: Summary,
    /// The latest 200, oldest first.
    pub messages: Vec<Message>,
}

/// One conversation with its messages.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ConversationOut), (status = 404, body = ErrorBody)))]
async fn get_conversation(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<ConversationOut>> {
    principal.require(Scope::ConversationsRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let conversation = conversations::summary(&mut tx, id, state.clock.now()).await?;
    let messages = conversations::messages(&mut tx, id, 200).await?;
    tx.commit().await?;
    Ok(Json(ConversationOut { conversation, messages }))
}

async fn set_state(
    state: &AppState,
    principal: &Principal,
    id: uuid::Uuid,
    to: &str,
) -> ApiResult<Json<Summary>> {
    principal.require(Scope::ConversationsWrite, Role::Agent)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let by = match principal {
        Principal::User(u) => Some(u.user_id),
        Principal::ApiKey { .. } => None,
    };
    conversations::set_state(&mut tx, id, to, by).await?;
    let action = if to == "human" { "conversation.take_over" } else { "conversation.release" };
    audit::record(&mut tx, &principal.actor(), action, Some(("conversation", id.to_string())), json!({}))
        .await?;
    let summary = conversations::summary(&mut tx, id, state.clock.now()).await?;
    tx.commit().await?;
    Ok(Json(summary))
}

/// An agent takes the conversation: the bot stays silent until it is released.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/take-over", tag = "conversations", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Summary), (status = 404, body = ErrorBody)))]
async fn take_over(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<Summary>> {
    set_state(&state, &principal, id, "human").await
}

/// Give the conversation back to the bot.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/release", tag = "conversations", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Summary), (status = 404, body = ErrorBody)))]
async fn release(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<Summary>> {
    set_state(&state, &principal, id, "bot").await
}

/// Free text, or (outside the 24-hour window, where WhatsApp accepts nothing else) an approved
/// template: exactly one of the two.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ReplyIn {
    #[validate(
        length(min = 1, max = 4096, message = "must be 1 to 4096 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub text: Option<String>,
    /// An approved template (with its Meta name); its variables are filled from the customer and
    /// their latest order, as the flows do.
    pub template_id: Option<uuid::Uuid>,
}

/// What an agent's reply sends.
enum Outgoing {
    Text(String),
    Template { name: String, language: String, params: Vec<String> },
}

#[derive(Serialize, ToSchema)]
pub struct ReplyOut {
    pub message_id: uuid::Uuid,
    /// sent, delivered (sandbox) or failed.
    pub status: &'static str,
    pub error: Option<String>,
}

/// An agent's reply by hand. Free text goes only inside the customer's 24-hour window (409
/// outside it: WhatsApp would refuse it); an approved template goes any time the customer's
/// consent allows it. Taking over first is not required, but replying does not release the
/// conversation to the bot.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reply", tag = "conversations", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), request_body = ReplyIn,
    responses((status = 201, body = ReplyOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reply(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
    ValidJson(req): ValidJson<ReplyIn>,
) -> ApiResult<(StatusCode, Json<ReplyOut>)> {
    principal.require(Scope::ConversationsWrite, Role::Agent)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let conversation = conversations::summary(&mut tx, id, state.clock.now()).await?;
    let (outgoing, body) = match (req.text, req.template_id) {
        (Some(text), None) => {
            if !conversation.window_open {
                return Err(ApiError::Conflict(
                    "the customer has not written in the last 24 hours: WhatsApp accepts only a template now",
                ));
            }
            let text = text.trim().to_owned();
            (Outgoing::Text(text.clone()), text)
        }
        (None, Some(template_id)) => template_reply(&mut tx, template_id, conversation.customer_id).await?,
        _ => return Err(ApiError::field("text", "send either text or template_id")),
    };
    let kind = if matches!(outgoing, Outgoing::Text(_)) { "text" } else { "template" };
    let message =
        conversations::record_agent_reply(&mut tx, id, conversation.customer_id, &body, kind).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "conversation.reply",
        Some(("conversation", id.to_string())),
        json!({"kind": kind}),
    )
    .await?;
    let account = whatsapp_accounts::current(&mut tx, &state.config.cipher).await?;
    let phone = customers::phone_of(&mut tx, &state.config.cipher, conversation.customer_id).await?;
    tx.commit().await?;

    let transport = Transport::for_account(account, &state.http, &state.config.whatsapp);
    let callback = message.to_string();
    let result = match &outgoing {
        Outgoing::Text(text) => {
            transport.send_text(&TextMessage { to: &phone, body: text, callback: &callback }).await
        }
        Outgoing::Template { name, language, params } => {
            let message =
                TemplateMessage { to: &phone, template: name, language, params, callback: &callback };
            transport.send_template(&message).await
        }
    };
    let mut tx = state.db.begin(principal.merchant()).await?;
    let out = match result {
        Ok(sent) => {
            conversations::reply_outcome(&mut tx, message, Some(&sent.wa_message_id), None, sent.delivered)
                .await?;
            let status = if sent.delivered { "delivered" } else { "sent" };
            ReplyOut { message_id: message, status, error: None }
        }
        Err(e) => {
            conversations::reply_outcome(&mut tx, message, None, Some(&e.to_string()), false).await?;
            ReplyOut { message_id: message, status: "failed", error: Some(e.to_string()) }
        }
    };
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// An approved template filled for this customer, if their consent allows its category.
async fn template_reply(
    tx: &mut revive_shared::db::TenantTx,
    template_id: uuid::Uuid,
    customer: revive_shared::ids::CustomerId,
) -> ApiResult<(Outgoing, String)> {
    let template = templates::get(tx, template_id).await.map_err(|e| match e {
        revive_shared::Error::NotFound => ApiError::field("template_id", "no such template"),
        other => other.into(),
    })?;
    let Some(name) = template.meta_template_name.filter(|_| template.status == "approved") else {
        return Err(ApiError::field("template_id", "must be an approved template with its Meta name"));
    };
    let target = conversations::template_target(tx, customer).await?;
    let consented = match template.category.as_str() {
        "marketing" => target.consent_marketing,
        _ => target.consent_utility,
    };
    if !consented {
        return Err(ApiError::Conflict(
            "the customer has not agreed to messages of this template's category",
        ));
    }
    let (text, params) = revive_shared::retention::send::render_values(&template.body, &target.values);
    Ok((Outgoing::Template { name, language: template.language, params }, text))
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
    State(state): State<AppState>,
    principal: Principal,
    ValidJson(req): ValidJson<ClassifyIn>,
) -> ApiResult<Json<ClassifyOut>> {
    principal.require(Scope::ConversationsRead, Role::Viewer)?;
    let (intent, confidence) = state.ai.classifier.classify(&req.text).await?;
    Ok(Json(ClassifyOut { intent, confidence }))
}
