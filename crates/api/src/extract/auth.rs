//! Authentication: a dashboard session cookie or an `X-Api-Key` header.
//!
//! Cookie-authenticated writes must carry the CSRF token (`X-CSRF-Token`) that goes with the
//! session; API-key calls cannot be forged by a browser and need none. Rate limits per API key
//! and per merchant are taken here, once the caller is known.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use revive_shared::crypto::{self, Scope, token};
use revive_shared::db::audit::Actor;
use revive_shared::db::{api_keys, sessions};
use revive_shared::ids::{ApiKeyId, MerchantId, SessionId, UserId};
use revive_shared::role::Role;
use secrecy::SecretString;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::rate_limit;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "revive_session";
pub const CSRF_COOKIE: &str = "revive_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const API_KEY_HEADER: &str = "x-api-key";

/// A logged-in dashboard user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub merchant_id: MerchantId,
    pub role: Role,
}

impl SessionUser {
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role.at_least(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your role does not allow this"))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::User(self.user_id)
    }
}

/// Whoever is calling: a dashboard user or an API key.
#[derive(Debug, Clone)]
pub enum Principal {
    User(SessionUser),
    ApiKey { key_id: ApiKeyId, merchant_id: MerchantId, scopes: Vec<Scope> },
}

impl Principal {
    pub fn merchant(&self) -> MerchantId {
        match self {
            Principal::User(u) => u.merchant_id,
            Principal::ApiKey { merchant_id, .. } => *merchant_id,
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Principal::User(u) => u.actor(),
            Principal::ApiKey { key_id, .. } => Actor::ApiKey(*key_id),
        }
    }

    /// Users act by role; keys by scope. `role` is what a user needs for the same action.
    pub fn require(&self, scope: Scope, role: Role) -> Result<(), ApiError> {
        match self {
            Principal::User(u) => u.require(role),
            Principal::ApiKey { scopes, .. } if scopes.contains(&scope) => Ok(()),
            Principal::ApiKey { .. } => Err(ApiError::Forbidden("this API key lacks the required scope")),
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let result = match parts.headers.get(API_KEY_HEADER) {
            Some(presented) => match presented.to_str() {
                Ok(presented) => api_key_principal(presented, state).await,
                Err(_) => Err(ApiError::Unauthorized),
            },
            None => session_user(parts, state).await.map(Principal::User),
        };
        charge_failure_to_ip(parts, state, result)
    }
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let result = session_user(parts, state).await;
        charge_failure_to_ip(parts, state, result)
    }
}

/// Failed authentication spends the client IP's public budget, so guessing keys or session
/// tokens is limited like log-in attempts are.
fn charge_failure_to_ip<T>(
    parts: &Parts,
    state: &AppState,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    if matches!(result, Err(ApiError::Unauthorized))
        && let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>()
    {
        rate_limit::check(&state.limiters.per_ip, &peer.ip())?;
    }
    result
}

async fn api_key_principal(presented: &str, state: &AppState) -> Result<Principal, ApiError> {
    // A malformed key fails its checksum without touching the database.
    let hash = crypto::api_key::parse(presented.trim()).map_err(|_| ApiError::Unauthorized)?;
    let key = api_keys::find_by_hash(state.db.pool(), &hash).await?.ok_or(ApiError::Unauthorized)?;
    if !key.is_usable(Utc::now()) {
        return Err(ApiError::Unauthorized);
    }
    rate_limit::check(&state.limiters.per_api_key, &key.key_id)?;
    rate_limit::check(&state.limiters.per_merchant, &key.merchant_id)?;
    let mut tx = state.db.begin(key.merchant_id).await?;
    api_keys::record_use(&mut tx, key.key_id).await?;
    tx.commit().await?;
    Ok(Principal::ApiKey { key_id: key.key_id, merchant_id: key.merchant_id, scopes: key.scopes })
}

async fn session_user(parts: &mut Parts, state: &AppState) -> Result<SessionUser, ApiError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()).ok_or(ApiError::Unauthorized)?;
    let found =
        sessions::find_live(state.db.pool(), &token::hash(&token)).await?.ok_or(ApiError::Unauthorized)?;
    if !is_safe(&parts.method) {
        check_csrf(&parts.headers, &SecretString::from(token))?;
    }
    rate_limit::check(&state.limiters.per_merchant, &found.merchant_id)?;
    Ok(SessionUser {
        session_id: found.session_id,
        user_id: found.user_id,
        merchant_id: found.merchant_id,
        role: found.role,
    })
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_csrf(headers: &HeaderMap, session_token: &SecretString) -> Result<(), ApiError> {
    let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).ok_or(ApiError::Csrf)?;
    let expected = token::csrf_for(session_token);
    if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) { Ok(()) } else { Err(ApiError::Csrf) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> Principal {
        Principal::User(SessionUser {
            session_id: SessionId::new(),
            user_id: UserId::new(),
            merchant_id: MerchantId::new(),
            role,
        })
    }

    #[test]
    fn users_need_the_role_and_keys_need_the_scope() {
        assert!(user(Role::Admin).require(Scope::EventsWrite, Role::Admin).is_ok());
        assert!(user(Role::Agent).require(Scope::EventsWrite, Role::Admin).is_err());
        let key = Principal::ApiKey {
            key_id: ApiKeyId::new(),
            merchant_id: MerchantId::new(),
            scopes: vec![Scope::EventsWrite],
        };
        assert!(key.require(Scope::EventsWrite, Role::Owner).is_ok());
        assert!(matches!(key.require(Scope::ImportsWrite, Role::Viewer), Err(ApiError::Forbidden(_))));
    }
}
