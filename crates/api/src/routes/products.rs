//! The catalog by API (Shopify stores also send it by webhook): each product becomes a knowledge
//! source the bot answers from, and its price and link become what a reply may quote. Read:
//! viewer or `knowledge:read`; write: admin or `knowledge:write`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::crypto::Scope;
use revive_shared::db::audit;
use revive_shared::db::products::{self, NewProduct, Product};
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, QueryParams, ValidJson};
use crate::routes::knowledge::queue_embedding;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_products, save_product)).routes(routes!(delete_product))
}

fn known_format(format: &str) -> Result<(), ValidationError> {
    match format {
        "text" | "markdown" | "html" => Ok(()),
        _ => Err(ValidationError::new("format").with_message("must be text, markdown or html".into())),
    }
}

fn web_link(url: &str) -> Result<(), ValidationError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(ValidationError::new("url").with_message("must start with https:// or http://".into()))
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ProductIn {
    /// The store's product id; saving the same id again updates the product.
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub external_id: String,
    #[validate(
        length(min = 1, max = 300, message = "must be 1 to 300 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub title: String,
    /// Up to 100,000 characters, in `description_format`.
    #[validate(length(max = 100_000, message = "must be at most 100000 characters"))]
    pub description: Option<String>,
    /// html (default, as Shopify's `body_html`), markdown or text.
    #[validate(custom(function = "known_format"))]
    #[serde(default = "html")]
    pub description_format: String,
    #[validate(
        length(max = 2000, message = "must be at most 2000 characters"),
        custom(function = "web_link")
    )]
    pub url: Option<String>,
    /// A decimal amount ("19.90"); needs `currency`.
    pub price: Option<String>,
    /// ISO 4217 code.
    #[validate(length(equal = 3, message = "must be a 3-letter ISO 4217 code"))]
    pub currency: Option<String>,
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 tags"))]
    pub tags: Vec<String>,
}

fn html() -> String {
    "html".into()
}

impl ProductIn {
    fn into_new(self) -> ApiResult<NewProduct> {
        let currency = self.currency.map(|c| c.trim().to_ascii_uppercase());
        let price_cents = match (&self.price, &currency) {
            (None, _) => None,
            (Some(_), None) => return Err(ApiError::field("currency", "is needed with a price")),
            (Some(p), Some(c)) => Some(
                revive_shared::normalize::money::parse_minor(p, c)
                    .map_err(|_| ApiError::field("price", "must be a decimal amount in the currency"))?,
            ),
        };
        let description = self
            .description
            .map(|d| revive_shared::knowledge::plain_text(&self.description_format, &d))
            .filter(|d| !d.trim().is_empty());
        Ok(NewProduct {
            external_id: self.external_id.trim().to_owned(),
            title: self.title.trim().to_owned(),
            description,
            url: self.url,
            price_cents,
            currency,
            tags: self.tags.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct SavedOut {
    pub product_id: uuid::Uuid,
    /// The knowledge source made from it; poll it for its embedding `status`.
    pub source_id: uuid::Uuid,
    /// Whether the text changed and is being embedded again (false for a re-sent product).
    pub embedding: bool,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// 1 to 500, default 100.
    pub limit: Option<i64>,
}

/// The catalog, most recently changed first, with each product's knowledge status.
#[utoipa::path(get, path = "/api/v1/products", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    params(ListQuery), responses((status = 200, body = [Product]), (status = 401, body = ErrorBody)))]
async fn list_products(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Vec<Product>>> {
    principal.require(Scope::KnowledgeRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = products::list(&mut tx, q.limit.unwrap_or(100).clamp(1, 500)).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Create or update a product (by `external_id`). 201 when new, 200 when updated.
#[utoipa::path(post, path = "/api/v1/products", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    request_body = ProductIn,
    responses((status = 201, body = SavedOut), (status = 200, body = SavedOut), (status = 422, body = ErrorBody)))]
async fn save_product(
    State(state): State<AppState>,
    principal: Principal,
    ValidJson(req): ValidJson<ProductIn>,
) -> ApiResult<(StatusCode, Json<SavedOut>)> {
    principal.require(Scope::KnowledgeWrite, Role::Admin)?;
    let product = req.into_new()?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let saved = products::save(&mut tx, &product).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        if saved.created { "product.create" } else { "product.update" },
        Some(("product", saved.product_id.to_string())),
        json!({"external_id": product.external_id, "text_changed": saved.embed.is_some()}),
    )
    .await?;
    tx.commit().await?;
    if let Some(hash) = &saved.embed {
        queue_embedding(&state, &principal, saved.source_id, hash).await;
    }
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    let out = SavedOut {
        product_id: saved.product_id,
        source_id: saved.source_id,
        embedding: saved.embed.is_some(),
    };
    Ok((status, Json(out)))
}

/// Delete a product with its knowledge.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_product(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    principal.require(Scope::KnowledgeWrite, Role::Admin)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    products::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "product.delete",
        Some(("product", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
