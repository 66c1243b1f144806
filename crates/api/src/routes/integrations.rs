//! Store connections (owner/admin): connect Shopify with its webhook secret, create CSV and API
//! integrations, pause, resume, rotate the secret, delete. Secrets are write-only: no answer
//! ever contains one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::db::audit;
use revive_shared::db::integrations::{self, Integration, Kind, NewIntegration};
use revive_shared::ids::{IntegrationId, ShopDomain};
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, SessionUser, ValidJson};
use crate::state::AppState;

/// How long a rotated-out Shopify secret keeps verifying: Shopify can take up to an hour to
/// start signing with the new one (PROTOCOLS.md §1.2); a day leaves room for slow retries.
const ROTATION_OVERLAP_HOURS: i64 = 24;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_integrations, create_integration)).routes(routes!(
        get_integration,
        update_integration,
        delete_integration
    ))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateIntegration {
    pub kind: Kind,
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub name: String,
    /// Shopify only: `your-store.myshopify.com`.
    pub shop_domain: Option<String>,
    /// Shopify only: the webhook signing secret (the app's client secret).
    #[validate(length(min = 8, max = 500, message = "must be 8 to 500 characters"))]
    pub webhook_secret: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateIntegration {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub name: Option<String>,
    /// `active` or `paused`.
    #[validate(custom(function = "known_status"))]
    pub status: Option<String>,
    /// Shopify only: a new webhook secret. The old one keeps verifying for 24 hours.
    #[validate(length(min = 8, max = 500, message = "must be 8 to 500 characters"))]
    pub webhook_secret: Option<String>,
}

fn known_status(s: &str) -> Result<(), ValidationError> {
    if matches!(s, "active" | "paused") {
        Ok(())
    } else {
        Err(ValidationError::new("status").with_message("must be active or paused".into()))
    }
}

#[derive(Serialize, ToSchema)]
pub struct IntegrationView {
    #[serde(flatten)]
    pub integration: Integration,
    /// Shopify only: the URL to paste into Shopify's webhook settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

fn view(state: &AppState, integration: Integration) -> IntegrationView {
    let webhook_url = (integration.kind == Kind::Shopify)
        .then(|| format!("{}/webhooks/shopify/{}", state.config.public_base_url, integration.id));
    IntegrationView { integration, webhook_url }
}

/// The merchant's integrations.
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integrations", security(("session" = [])),
    responses((status = 200, body = [IntegrationView]), (status = 401, body = ErrorBody)))]
async fn list_integrations(
    State(state): State<AppState>,
    session: SessionUser,
) -> ApiResult<Json<Vec<IntegrationView>>> {
    session.require(Role::Viewer)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    let list = integrations::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list.into_iter().map(|i| view(&state, i)).collect()))
}

/// Connect Shopify (shop domain + webhook secret), or create a CSV or API integration. The
/// answer has the webhook URL to paste into Shopify.
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integrations", security(("session" = [])),
    request_body = CreateIntegration,
    responses((status = 201, body = IntegrationView), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_integration(
    State(state): State<AppState>,
    session: SessionUser,
    ValidJson(req): ValidJson<CreateIntegration>,
) -> ApiResult<(StatusCode, Json<IntegrationView>)> {
    session.require(Role::Admin)?;
    let shop_domain = match req.kind {
        Kind::Shopify => {
            let raw = req
                .shop_domain
                .as_deref()
                .ok_or_else(|| ApiError::field("shop_domain", "is required for Shopify"))?;
            let domain = ShopDomain::parse(raw)
                .ok_or_else(|| ApiError::field("shop_domain", "must look like your-store.myshopify.com"))?;
            if req.webhook_secret.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(ApiError::field("webhook_secret", "is required for Shopify"));
            }
            Some(domain)
        }
        Kind::Csv | Kind::Api => {
            if req.shop_domain.is_some() || req.webhook_secret.is_some() {
                return Err(ApiError::field(
                    "kind",
                    "only Shopify integrations take a shop domain and secret",
                ));
            }
            None
        }
    };
    let mut tx = state.db.begin(session.merchant_id).await?;
    let created = integrations::create(
        &mut tx,
        &state.config.cipher,
        NewIntegration {
            kind: req.kind,
            name: req.name.trim(),
            shop_domain: shop_domain.as_ref().map(|d| d.0.as_str()),
            webhook_secret: req.webhook_secret.as_deref().map(str::trim),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &session.actor(),
        "integration.create",
        Some(("integration", created.id.to_string())),
        json!({"kind": created.kind, "shop_domain": created.shop_domain}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&state, created))))
}

/// One integration.
#[utoipa::path(get, path = "/api/v1/integrations/{id}", tag = "integrations", security(("session" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = IntegrationView), (status = 404, body = ErrorBody)))]
async fn get_integration(
    State(state): State<AppState>,
    session: SessionUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<IntegrationView>> {
    session.require(Role::Viewer)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    let found = integrations::get(&mut tx, IntegrationId(id)).await?;
    tx.commit().await?;
    Ok(Json(view(&state, found)))
}

/// Rename, pause / resume, or rotate the Shopify webhook secret.
#[utoipa::path(patch, path = "/api/v1/integrations/{id}", tag = "integrations", security(("session" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateIntegration,
    responses((status = 200, body = IntegrationView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn update_integration(
    State(state): State<AppState>,
    session: SessionUser,
    IdPath(id): IdPath,
    ValidJson(req): ValidJson<UpdateIntegration>,
) -> ApiResult<Json<IntegrationView>> {
    session.require(Role::Admin)?;
    let id = IntegrationId(id);
    let mut tx = state.db.begin(session.merchant_id).await?;
    let current = integrations::get(&mut tx, id).await?;
    integrations::update(&mut tx, id, req.name.as_deref().map(str::trim), req.status.as_deref()).await?;
    if let Some(secret) = req.webhook_secret.as_deref() {
        if current.kind != Kind::Shopify {
            return Err(ApiError::field("webhook_secret", "only Shopify integrations have a webhook secret"));
        }
        let overlap = chrono::Duration::hours(ROTATION_OVERLAP_HOURS);
        integrations::rotate_secret(&mut tx, &state.config.cipher, id, secret.trim(), overlap).await?;
    }
    audit::record(
        &mut tx,
        &session.actor(),
        "integration.update",
        Some(("integration", id.to_string())),
        json!({"name": req.name.is_some(), "status": req.status, "secret_rotated": req.webhook_secret.is_some()}),
    )
    .await?;
    let updated = integrations::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(view(&state, updated)))
}

/// Delete an integration. Its stored events stay.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}", tag = "integrations", security(("session" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_integration(
    State(state): State<AppState>,
    session: SessionUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    session.require(Role::Admin)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    integrations::delete(&mut tx, IntegrationId(id)).await?;
    audit::record(
        &mut tx,
        &session.actor(),
        "integration.delete",
        Some(("integration", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
