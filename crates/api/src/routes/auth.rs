//! Accounts: sign up (a merchant and its owner), log in, log out, me.
//!
//! Sessions are opaque tokens in an HttpOnly cookie; the database keeps only their SHA-256. The
//! CSRF token is derived from the session token and sent both in the body and a readable cookie.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{Duration, Utc};
use revive_shared::crypto::{password, token};
use revive_shared::db::audit::{self, Actor};
use revive_shared::db::merchants::{self, Merchant};
use revive_shared::db::users::{self, User};
use revive_shared::db::{TenantTx, sessions};
use revive_shared::ids::{MerchantId, UserId};
use revive_shared::role::Role;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::auth::{CSRF_COOKIE, SESSION_COOKIE};
use crate::extract::{SessionUser, ValidJson};
use crate::state::AppState;

/// Sign-up and log-in: limited per client IP.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(signup)).routes(routes!(login))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logout)).routes(routes!(me))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SignupRequest {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub merchant_name: String,
    #[validate(email(message = "must be a valid email address"), length(max = 254))]
    pub email: String,
    #[validate(length(min = 10, max = 128, message = "must be 10 to 128 characters"))]
    pub password: String,
    #[validate(length(max = 100))]
    pub display_name: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 128))]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    pub user: User,
    pub merchant: Merchant,
    /// Send back as `X-CSRF-Token` on every cookie-authenticated write.
    pub csrf_token: String,
}

/// Create a merchant and its owner, and log the owner in.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = SessionResponse), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn signup(
    State(state): State<AppState>,
    jar: CookieJar,
    ValidJson(req): ValidJson<SignupRequest>,
) -> ApiResult<(StatusCode, CookieJar, Json<SessionResponse>)> {
    let hash = hash_password(req.password).await?;
    let merchant_id = MerchantId::new();
    let mut tx = state.db.begin(merchant_id).await?;
    let merchant = merchants::create(&mut tx, req.merchant_name.trim()).await?;
    let user =
        users::create(&mut tx, req.email.trim(), &hash, Role::Owner, req.display_name.as_deref()).await?;
    audit::record(
        &mut tx,
        &Actor::User(user.id),
        "merchant.signup",
        Some(("user", user.id.to_string())),
        json!({}),
    )
    .await?;
    let (jar, csrf_token) = start_session(&state, &mut tx, jar, user.id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, jar, Json(SessionResponse { user, merchant, csrf_token })))
}

/// Log in with email and password.
///
/// A wrong password and an unknown email get the same 401 after the same work (one argon2
/// verification), so the answer does not reveal which emails have accounts.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ValidJson(req): ValidJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<SessionResponse>)> {
    let candidate = users::find_for_login(state.db.pool(), req.email.trim()).await?;
    let stored = candidate.as_ref().map(|c| c.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || password::verify_password(&req.password, stored.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    let candidate = match candidate {
        Some(c) if ok => c,
        _ => return Err(ApiError::Unauthorized),
    };
    let mut tx = state.db.begin(candidate.merchant_id).await?;
    users::record_login(&mut tx, candidate.user_id).await?;
    let user = users::get(&mut tx, candidate.user_id).await?;
    let merchant = merchants::get(&mut tx).await?;
    audit::record(&mut tx, &Actor::User(user.id), "user.login", None, json!({})).await?;
    let (jar, csrf_token) = start_session(&state, &mut tx, jar, user.id).await?;
    tx.commit().await?;
    Ok((jar, Json(SessionResponse { user, merchant, csrf_token })))
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("session" = [])), responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    user: SessionUser,
    jar: CookieJar,
) -> ApiResult<(StatusCode, CookieJar)> {
    let mut tx = state.db.begin(user.merchant_id).await?;
    sessions::revoke(&mut tx, user.session_id).await?;
    audit::record(&mut tx, &user.actor(), "user.logout", None, json!({})).await?;
    tx.commit().await?;
    let jar =
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")).remove(Cookie::build(CSRF_COOKIE).path("/"));
    Ok((StatusCode::NO_CONTENT, jar))
}

/// The logged-in user, their merchant and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    security(("session" = [])), responses((status = 200, body = SessionResponse), (status = 401, body = ErrorBody)))]
async fn me(
    State(state): State<AppState>,
    session: SessionUser,
    jar: CookieJar,
) -> ApiResult<Json<SessionResponse>> {
    let mut tx = state.db.begin(session.merchant_id).await?;
    let user = users::get(&mut tx, session.user_id).await?;
    let merchant = merchants::get(&mut tx).await?;
    tx.commit().await?;
    let csrf_token = jar
        .get(SESSION_COOKIE)
        .map(|c| token::csrf_for(&secrecy::SecretString::from(c.value().to_owned())))
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(SessionResponse { user, merchant, csrf_token }))
}

/// argon2id is deliberately slow: keep it off the async workers.
pub async fn hash_password(plain: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || password::hash_password(&plain))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

async fn start_session(
    state: &AppState,
    tx: &mut TenantTx,
    jar: CookieJar,
    user: UserId,
) -> ApiResult<(CookieJar, String)> {
    let ttl = Duration::hours(i64::from(state.config.session_ttl_hours));
    let new = token::generate();
    sessions::create(tx, user, &new.hash, Utc::now() + ttl).await?;
    let csrf = token::csrf_for(&new.plaintext);
    let max_age = time_duration(ttl);
    let session_cookie = Cookie::build((SESSION_COOKIE, new.plaintext.expose_secret().to_owned()))
        .http_only(true)
        .secure(state.config.cookie_secure)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age);
    // Readable by the dashboard's script, which echoes it in X-CSRF-Token.
    let csrf_cookie = Cookie::build((CSRF_COOKIE, csrf.clone()))
        .http_only(false)
        .secure(state.config.cookie_secure)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(max_age);
    Ok((jar.add(session_cookie).add(csrf_cookie), csrf))
}

fn time_duration(d: Duration) -> time::Duration {
    time::Duration::seconds(d.num_seconds())
}
