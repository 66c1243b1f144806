//! The merchant's product knowledge: sources (FAQ entries, documents, product texts) and the
//! search over their chunks that the conversation and the dashboard's "test a question" box use
//! (read: viewer or `knowledge:read`; write: admin or `knowledge:write`).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use revive_shared::crypto::Scope;
use revive_shared::db::audit;
use revive_shared::db::knowledge::{self, Hit, NewSource, Source};
use revive_shared::jobs::EmbedSource;
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sources, create_source))
        .routes(routes!(get_source, update_source, delete_source))
        .routes(routes!(search))
}

fn known_kind(kind: &str) -> Result<(), ValidationError> {
    match kind {
        "product" | "faq" | "document" => Ok(()),
        _ => Err(ValidationError::new("kind").with_message("must be product, faq or document".into())),
    }
}

fn known_format(format: &str) -> Result<(), ValidationError> {
    match format {
        "text" | "markdown" | "html" => Ok(()),
        _ => Err(ValidationError::new("format").with_message("must be text, markdown or html".into())),
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SourceIn {
    /// product, faq or document.
    #[validate(custom(function = "known_kind"))]
    pub kind: String,
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub title: String,
    /// text (default), markdown or html.
    #[validate(custom(function = "known_format"))]
    #[serde(default = "text_format")]
    pub format: String,
    /// Up to 1 MB of text.
    #[validate(
        length(min = 1, max = 1_000_000, message = "must be 1 to 1000000 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub content: String,
}

fn text_format() -> String {
    "text".into()
}

impl SourceIn {
    /// The hash of the text the chunks are cut from: re-sending the same text does no work.
    fn hash(&self) -> [u8; 32] {
        revive_shared::ai::chunk::content_hash(&revive_shared::knowledge::plain_text(
            &self.format,
            &self.content,
        ))
    }

    fn as_new<'a>(&'a self, hash: &'a [u8]) -> NewSource<'a> {
        NewSource {
            kind: &self.kind,
            title: self.title.trim(),
            format: &self.format,
            content: &self.content,
            content_hash: hash,
        }
    }
}

/// Queues a source's embedding job. A Redis that does not answer loses nothing: the sweeper
/// pushes sources that have waited too long.
pub(crate) async fn queue_embedding(
    state: &AppState,
    principal: &Principal,
    source: uuid::Uuid,
    hash: &[u8],
) {
    let job = EmbedSource { merchant_id: principal.merchant(), source_id: source };
    if let Err(e) = state.queues.push_embed(job, hash, Duration::from_millis(1500)).await {
        tracing::warn!(error = %e, source_id = %source, "could not queue the embedding job; the sweeper will");
    }
}

/// The knowledge sources, newest first, with their embedding progress.
#[utoipa::path(get, path = "/api/v1/knowledge/sources", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    responses((status = 200, body = [Source]), (status = 401, body = ErrorBody)))]
async fn list_sources(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Vec<Source>>> {
    principal.require(Scope::KnowledgeRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = knowledge::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Add a source. It is chunked and embedded by a background job; poll it for `status` and
/// `chunks_done` of `chunks_total`.
#[utoipa::path(post, path = "/api/v1/knowledge/sources", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    request_body = SourceIn,
    responses((status = 201, body = Source), (status = 422, body = ErrorBody)))]
async fn create_source(
    State(state): State<AppState>,
    principal: Principal,
    ValidJson(req): ValidJson<SourceIn>,
) -> ApiResult<(StatusCode, Json<Source>)> {
    principal.require(Scope::KnowledgeWrite, Role::Admin)?;
    let hash = req.hash();
    let mut tx = state.db.begin(principal.merchant()).await?;
    let created = knowledge::create(&mut tx, &req.as_new(&hash)).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "knowledge_source.create",
        Some(("knowledge_source", created.id.to_string())),
        json!({"kind": created.kind}),
    )
    .await?;
    tx.commit().await?;
    queue_embedding(&state, &principal, created.id, &hash).await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One source.
#[utoipa::path(get, path = "/api/v1/knowledge/sources/{id}", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Source), (status = 404, body = ErrorBody)))]
async fn get_source(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<Source>> {
    principal.require(Scope::KnowledgeRead, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let found = knowledge::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Replace a source's title and content. Unchanged text keeps its chunks; changed text is
/// embedded again.
#[utoipa::path(put, path = "/api/v1/knowledge/sources/{id}", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), request_body = SourceIn,
    responses((status = 200, body = Source), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_source(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
    ValidJson(req): ValidJson<SourceIn>,
) -> ApiResult<Json<Source>> {
    principal.require(Scope::KnowledgeWrite, Role::Admin)?;
    let hash = req.hash();
    let mut tx = state.db.begin(principal.merchant()).await?;
    let (updated, changed) = knowledge::update(&mut tx, id, &req.as_new(&hash)).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "knowledge_source.update",
        Some(("knowledge_source", id.to_string())),
        json!({"content_changed": changed}),
    )
    .await?;
    tx.commit().await?;
    if changed {
        queue_embedding(&state, &principal, id, &hash).await;
    }
    Ok(Json(updated))
}

/// Delete a source and its chunks.
#[utoipa::path(delete, path = "/api/v1/knowledge/sources/{id}", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_source(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    principal.require(Scope::KnowledgeWrite, Role::Admin)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    knowledge::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &principal.actor(),
        "knowledge_source.delete",
        Some(("knowledge_source", id.to_string())),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SearchIn {
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "crate::extract::json::non_blank")
    )]
    pub query: String,
    /// 1 to 50, default 5.
    #[validate(range(min = 1, max = 50, message = "must be 1 to 50"))]
    pub k: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    /// The embedding model the query and the chunks share.
    pub model: String,
    /// Best first.
    pub results: Vec<Hit>,
}

/// The chunks of this merchant's knowledge nearest to a question, with their similarity and
/// source.
#[utoipa::path(post, path = "/api/v1/knowledge/search", tag = "knowledge", security(("session" = []), ("api_key" = [])),
    request_body = SearchIn,
    responses((status = 200, body = SearchOut), (status = 422, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    principal: Principal,
    ValidJson(req): ValidJson<SearchIn>,
) -> ApiResult<Json<SearchOut>> {
    principal.require(Scope::KnowledgeRead, Role::Viewer)?;
    let model = state.ai.embedder.model().to_owned();
    let query = state.ai.embed_one(&req.query).await?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let results = knowledge::search(&mut tx, &query, &model, req.k.unwrap_or(5)).await?;
    tx.commit().await?;
    Ok(Json(SearchOut { model, results }))
}
