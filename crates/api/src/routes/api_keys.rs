//! API key management (owner/admin, from the dashboard only: a key cannot mint keys). The key
//! itself is in the creation response and nowhere else, ever.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use revive_shared::crypto::{Scope, api_key};
use revive_shared::db::api_keys::{self, ApiKey};
use revive_shared::db::audit;
use revive_shared::ids::ApiKeyId;
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{IdPath, SessionUser, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key)).routes(routes!(revoke_key))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateKeyRequest {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub name: String,
    /// Any of: events:write, imports:write, customers:read, messages:read, messages:write,
    /// knowledge:read, knowledge:write, conversations:read, conversations:write, analytics:read.
    #[validate(length(min = 1, message = "at least one scope"), custom(function = "known_scopes"))]
    pub scopes: Vec<String>,
    /// Optional expiry; must be in the future.
    #[validate(custom(function = "in_future"))]
    pub expires_at: Option<DateTime<Utc>>,
}

fn known_scopes(scopes: &[String]) -> Result<(), ValidationError> {
    match scopes.iter().find(|s| Scope::parse(s).is_none()) {
        None => Ok(()),
        Some(_) => Err(ValidationError::new("scope").with_message("contains an unknown scope".into())),
    }
}

fn in_future(at: &DateTime<Utc>) -> Result<(), ValidationError> {
    if *at > Utc::now() {
        Ok(())
    } else {
        Err(ValidationError::new("expires_at").with_message("must be in the future".into()))
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    pub api_key: ApiKey,
    /// The key. Shown this once; Revive keeps only its hash.
    pub key: String,
}

/// The merchant's API keys (never the keys themselves).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("session" = [])),
    responses((status = 200, body = [ApiKey]), (status = 403, body = ErrorBody)))]
async fn list_keys(State(state): State<AppState>, session: SessionUser) -> ApiResult<Json<Vec<ApiKey>>> {
    session.require(Role::Admin)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    let keys = api_keys::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(keys))
}

/// Create a key with scopes and an optional expiry. The answer holds the key, once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", security(("session" = [])),
    request_body = CreateKeyRequest,
    responses((status = 201, body = CreatedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_key(
    State(state): State<AppState>,
    session: SessionUser,
    ValidJson(req): ValidJson<CreateKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    session.require(Role::Admin)?;
    let mut scopes: Vec<Scope> = req.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    scopes.dedup();
    let new = api_key::generate();
    let mut tx = state.db.begin(session.merchant_id).await?;
    let key =
        api_keys::create(&mut tx, &new, req.name.trim(), &scopes, req.expires_at, Some(session.user_id))
            .await?;
    audit::record(
        &mut tx,
        &session.actor(),
        "api_key.create",
        Some(("api_key", key.id.to_string())),
        json!({"scopes": key.scopes, "expires_at": key.expires_at}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedKey { api_key: key, key: new.expose().to_owned() })))
}

/// Revoke a key. Calls with it get 401 from now on.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("session" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_key(
    State(state): State<AppState>,
    session: SessionUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    session.require(Role::Admin)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    api_keys::revoke(&mut tx, ApiKeyId(id)).await?;
    audit::record(&mut tx, &session.actor(), "api_key.revoke", Some(("api_key", id.to_string())), json!({}))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
