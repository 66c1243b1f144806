//! Customers and their privacy: the list and one customer (phones masked; viewer or
//! `customers:read`), the export of everything held about one (admin: it holds the phone number
//! in full), and erasure (admin or `customers:write`). Shopify's `customers/redact` webhook
//! erases the same way.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use revive_shared::crypto::Scope;
use revive_shared::db::audit;
use revive_shared::db::privacy::{self, CustomerDetail, CustomerSummary, Erased};
use revive_shared::ids::CustomerId;
use revive_shared::role::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, QueryParams};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers))
        .routes(routes!(get_customer))
        .routes(routes!(export_customer))
        .routes(routes!(erase_customer))
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// A part of the name.
    pub q: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// Customers, most recently active first.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("session" = []), ("api_key" = [])),
    params(ListQuery), responses((status = 200, body = [CustomerSummary]), (status = 401, body = ErrorBody)))]
async fn list_customers(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Vec<CustomerSummary>>> {
    principal.require(Scope::CustomersRead, Role::Viewer)?;
    let name = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list =
        privacy::list(&mut tx, &state.config.cipher, name, None, q.limit.unwrap_or(50).clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// One customer: consent history, orders and messages.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = CustomerDetail), (status = 404, body = ErrorBody)))]
async fn get_customer(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<CustomerDetail>> {
    principal.require(Scope::CustomersRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let found = privacy::detail(&mut tx, &state.config.cipher, CustomerId(id)).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Everything held about one customer, decrypted, as a JSON file (a data request's answer).
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "customers", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, content_type = "application/json", description = "the customer's data"),
        (status = 404, body = ErrorBody)))]
async fn export_customer(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    principal.require(Scope::CustomersRead, Role::Admin)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let data = privacy::export(&mut tx, &state.config.cipher, CustomerId(id)).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "customer.export",
        Some(("customer", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    let mut response = Json(data).into_response();
    let disposition = format!("attachment; filename=\"customer-{id}.json\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Erase one customer: pending messages cancelled, messages deleted, personal fields and
/// ciphertexts removed. The customer stays as an anonymous row so orders still add up.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Erased), (status = 404, body = ErrorBody)))]
async fn erase_customer(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<Erased>> {
    principal.require(Scope::CustomersWrite, Role::Admin)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let erased =
        privacy::erase(&mut tx, CustomerId(id), state.clock.now(), "the customer's data was erased").await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "customer.erase",
        Some(("customer", id.to_string())),
        json!({"messages_deleted": erased.messages_deleted, "scheduled_cancelled": erased.scheduled_cancelled}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(erased))
}
