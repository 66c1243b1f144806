//! Message templates (read: viewer or `messages:read`; write: admin or `messages:write`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::crypto::Scope;
use revive_shared::db::audit;
use revive_shared::db::scheduled::FLOWS;
use revive_shared::db::templates::{self, NewTemplate, Template, TemplateChange};
use revive_shared::role::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_templates, create_template)).routes(routes!(
        get_template,
        update_template,
        delete_template
    ))
}

fn known_flow(flow: &str) -> Result<(), ValidationError> {
    if FLOWS.contains(&flow) {
        Ok(())
    } else {
        Err(ValidationError::new("flow")
            .with_message("must be checkin, review, replenishment or upsell".into()))
    }
}

fn known_category(c: &str) -> Result<(), ValidationError> {
    if matches!(c, "utility" | "marketing") {
        Ok(())
    } else {
        Err(ValidationError::new("category").with_message("must be utility or marketing".into()))
    }
}

fn known_status(s: &str) -> Result<(), ValidationError> {
    if matches!(s, "draft" | "approved" | "rejected") {
        Ok(())
    } else {
        Err(ValidationError::new("status").with_message("must be draft, approved or rejected".into()))
    }
}

fn checked_body(body: &str) -> Result<(), ValidationError> {
    templates::variables(body).map(|_| ()).map_err(|e| ValidationError::new("body").with_message(e.into()))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateTemplate {
    /// checkin, review, replenishment or upsell.
    #[validate(custom(function = "known_flow"))]
    pub flow: String,
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub name: String,
    /// BCP 47, e.g. `en`, `pt_BR` (Meta's codes).
    #[validate(length(min = 2, max = 15, message = "must be 2 to 15 characters"))]
    pub language: String,
    /// utility or marketing. The check-in is usually utility; reviews and offers are marketing.
    #[validate(custom(function = "known_category"))]
    pub category: String,
    /// Up to 1024 characters (Meta's template body limit), with `{{first_name}}`, `{{name}}`,
    /// `{{order_number}}`, `{{product}}` or `{{store}}`.
    #[validate(
        length(min = 1, max = 1024, message = "must be 1 to 1024 characters"),
        custom(function = "checked_body")
    )]
    pub body: String,
    /// The name of the approved template in Meta's WhatsApp Manager.
    #[validate(length(min = 1, max = 512, message = "must be 1 to 512 characters"))]
    pub meta_template_name: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateTemplate {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub name: Option<String>,
    #[validate(length(min = 2, max = 15, message = "must be 2 to 15 characters"))]
    pub language: Option<String>,
    #[validate(custom(function = "known_category"))]
    pub category: Option<String>,
    /// A changed body makes the template a draft again.
    #[validate(
        length(min = 1, max = 1024, message = "must be 1 to 1024 characters"),
        custom(function = "checked_body")
    )]
    pub body: Option<String>,
    #[validate(length(min = 1, max = 512, message = "must be 1 to 512 characters"))]
    pub meta_template_name: Option<String>,
    /// draft, approved or rejected (as Meta decided).
    #[validate(custom(function = "known_status"))]
    pub status: Option<String>,
}

/// The merchant's templates.
#[utoipa::path(get, path = "/api/v1/templates", tag = "retention", security(("session" = []), ("api_key" = [])),
    responses((status = 200, body = [Template]), (status = 401, body = ErrorBody)))]
async fn list_templates(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Template>>> {
    principal.require(Scope::MessagesRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = templates::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Create a template for a flow.
#[utoipa::path(post, path = "/api/v1/templates", tag = "retention", security(("session" = []), ("api_key" = [])),
    request_body = CreateTemplate,
    responses((status = 201, body = Template), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    principal: Principal,
    ValidJson(req): ValidJson<CreateTemplate>,
) -> ApiResult<(StatusCode, Json<Template>)> {
    principal.require(Scope::MessagesWrite, Role::Admin)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let created = templates::create(
        &mut tx,
        &NewTemplate {
            flow: &req.flow,
            name: req.name.trim(),
            language: req.language.trim(),
            category: &req.category,
            body: &req.body,
            meta_template_name: req.meta_template_name.as_deref().map(str::trim),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "template.create",
        Some(("template", created.id.to_string())),
        json!({"flow": created.flow}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One template.
#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Template), (status = 404, body = ErrorBody)))]
async fn get_template(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<Template>> {
    principal.require(Scope::MessagesRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let found = templates::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Change a template.
#[utoipa::path(patch, path = "/api/v1/templates/{id}", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateTemplate,
    responses((status = 200, body = Template), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_template(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
    ValidJson(req): ValidJson<UpdateTemplate>,
) -> ApiResult<Json<Template>> {
    principal.require(Scope::MessagesWrite, Role::Admin)?;
    if req.body.is_some() && req.status.as_deref() == Some("approved") {
        return Err(ApiError::field(
            "status",
            "a new body must be approved by Meta first; change it on its own",
        ));
    }
    let change = TemplateChange {
        name: req.name.as_deref().map(str::trim),
        language: req.language.as_deref().map(str::trim),
        category: req.category.as_deref(),
        body: req.body.as_deref(),
        meta_template_name: req.meta_template_name.as_deref().map(str::trim),
        status: req.status.as_deref(),
    };
    let mut tx = state.db.begin(principal.merchant()).await?;
    let updated = templates::update(&mut tx, id, &change).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "template.update",
        Some(("template", id.to_string())),
        json!({"status": updated.status}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(updated))
}

/// Delete a template.
#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "retention", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_template(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    principal.require(Scope::MessagesWrite, Role::Admin)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    templates::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "template.delete",
        Some(("template", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
