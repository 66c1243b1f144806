//! The API's one error type, mapped to HTTP here and nowhere else. Bodies follow SPEC.md:
//! `{"error":{"code":"...","message":"...","fields":{...}}}`. A 5xx logs the error chain and
//! answers with an opaque body.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use revive_shared::redact::redact_quoted;
use serde::Serialize;
use utoipa::ToSchema;
use validator::ValidationErrors;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// Field errors found outside `validator` (field path → messages).
    #[error("validation failed")]
    InvalidFields(BTreeMap<String, Vec<String>>),
    /// Well-formed JSON of the wrong shape (a missing field, a string for a number).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `validation_failed`, `unauthorized`, `rate_limited`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Per-field messages for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

impl ApiError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    /// A 422 `validation_failed` naming one field, for checks `validator` cannot express.
    pub fn field(field: &str, message: &str) -> Self {
        ApiError::InvalidFields([(field.to_owned(), vec![message.to_owned()])].into())
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Validation(_) | ApiError::InvalidFields(_) | ApiError::Unprocessable(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            }
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// Field messages without the rejected values: validator echoes them in `params`, and they may
/// be passwords or phone numbers.
fn field_messages(errors: &ValidationErrors) -> BTreeMap<String, Vec<String>> {
    errors
        .field_errors()
        .iter()
        .map(|(field, errs)| {
            let msgs = errs
                .iter()
                .map(|e| e.message.as_ref().map_or_else(|| describe_code(&e.code), ToString::to_string))
                .collect();
            (field.to_string(), msgs)
        })
        .collect()
}

fn describe_code(code: &str) -> String {
    match code {
        "email" => "must be a valid email address".into(),
        "length" => "has an invalid length".into(),
        "range" => "is out of range".into(),
        "url" => "must be a valid URL".into(),
        other => format!("is invalid ({other})"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let fields = match &self {
            ApiError::Validation(errors) => Some(field_messages(errors)),
            ApiError::InvalidFields(fields) => Some(fields.clone()),
            _ => None,
        };
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let message = self.to_string();
        let mut response =
            (status, Json(ErrorBody { error: ErrorDetail { code, message, fields } })).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<revive_shared::Error> for ApiError {
    fn from(e: revive_shared::Error) -> Self {
        use revive_shared::Error as E;
        match e {
            E::NotFound => ApiError::NotFound,
            E::Conflict(what) => ApiError::Conflict(what),
            E::Invalid(msg) => ApiError::BadRequest(msg),
            E::Database(sqlx::Error::PoolTimedOut) => ApiError::Unavailable,
            // PostgreSQL text cannot hold NUL (a `%00` in a query string, a `\u0000` in JSON):
            // the caller's input, not our fault.
            E::Database(sqlx::Error::Database(ref db))
                if matches!(db.code().as_deref(), Some("22021" | "22P05")) =>
            {
                ApiError::BadRequest("text must not contain NUL (\\u0000) characters".into())
            }
            // The model endpoint is down or answering nonsense: the caller may try again later.
            E::Provider(why) => {
                tracing::warn!(error = %why, "model provider failed");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        revive_shared::Error::from(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
            }
            JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            JsonRejection::JsonDataError(e) => ApiError::Unprocessable(redact_quoted(&e.body_text())),
            other => ApiError::BadRequest(redact_quoted(&other.body_text())),
        }
    }
}

/// Error responses made outside the handlers (405 from the router, 408 from the timeout layer)
/// come without a body; give them the same JSON shape as every other error.
pub async fn json_error_bodies(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = Json(ErrorBody { error: ErrorDetail { code, message, fields: None } });
    let mut fresh = body.into_response();
    *fresh.status_mut() = status;
    for (name, value) in &parts.headers {
        fresh.headers_mut().entry(name).or_insert_with(|| value.clone());
    }
    fresh
}
