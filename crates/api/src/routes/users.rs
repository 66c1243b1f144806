//! The merchant's team: list (any role), add, change role, remove (owner/admin). Only an owner
//! may create, promote to, or remove an owner, and the last owner cannot be demoted or removed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::db::audit;
use revive_shared::db::sessions;
use revive_shared::db::users::{self, User};
use revive_shared::ids::UserId;
use revive_shared::role::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, SessionUser, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, create_user)).routes(routes!(update_user, delete_user))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateUserRequest {
    #[validate(email(message = "must be a valid email address"), length(max = 254))]
    pub email: String,
    #[validate(length(min = 10, max = 128, message = "must be 10 to 128 characters"))]
    pub password: String,
    #[schema(value_type = String, example = "agent")]
    pub role: Role,
    #[validate(length(max = 100))]
    pub display_name: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateUserRequest {
    #[schema(value_type = String, example = "viewer")]
    pub role: Role,
}

/// The team.
#[utoipa::path(get, path = "/api/v1/users", tag = "team", security(("session" = [])),
    responses((status = 200, body = [User]), (status = 401, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, session: SessionUser) -> ApiResult<Json<Vec<User>>> {
    let mut tx = state.db.begin(session.merchant_id).await?;
    let list = users::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Add a team member with a role.
#[utoipa::path(post, path = "/api/v1/users", tag = "team", security(("session" = [])),
    request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    session: SessionUser,
    ValidJson(req): ValidJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    session.require(Role::Admin)?;
    if req.role == Role::Owner {
        session.require(Role::Owner)?;
    }
    let hash = super::auth::hash_password(req.password).await?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    let user = users::create(&mut tx, req.email.trim(), &hash, req.role, req.display_name.as_deref()).await?;
    audit::record(
        &mut tx,
        &session.actor(),
        "user.create",
        Some(("user", user.id.to_string())),
        json!({"role": user.role}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Change a member's role. Their sessions end, so the new role applies at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "team", security(("session" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    session: SessionUser,
    IdPath(id): IdPath,
    ValidJson(req): ValidJson<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    session.require(Role::Admin)?;
    let id = UserId(id);
    let mut tx = state.db.begin(session.merchant_id).await?;
    let current = users::get(&mut tx, id).await?;
    if current.role == Role::Owner || req.role == Role::Owner {
        session.require(Role::Owner)?;
    }
    if current.role == Role::Owner && req.role != Role::Owner && users::count_owners(&mut tx).await? <= 1 {
        return Err(ApiError::Conflict("a merchant must keep at least one owner"));
    }
    users::set_role(&mut tx, id, req.role).await?;
    sessions::revoke_all_for_user(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &session.actor(),
        "user.role_change",
        Some(("user", id.to_string())),
        json!({"from": current.role, "to": req.role}),
    )
    .await?;
    let user = users::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(user))
}

/// Remove a member.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "team", security(("session" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    session: SessionUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    session.require(Role::Admin)?;
    let id = UserId(id);
    let mut tx = state.db.begin(session.merchant_id).await?;
    let current = users::get(&mut tx, id).await?;
    if current.role == Role::Owner {
        session.require(Role::Owner)?;
        if users::count_owners(&mut tx).await? <= 1 {
            return Err(ApiError::Conflict("a merchant must keep at least one owner"));
        }
    }
    users::delete(&mut tx, id).await?;
    audit::record(&mut tx, &session.actor(), "user.delete", Some(("user", id.to_string())), json!({}))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
