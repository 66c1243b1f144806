//! CSV order imports (`POST /api/v1/imports/orders`, dashboard session or API key with
//! `imports:write`).
//!
//! The upload is streamed to a temporary file (a 100 MB file is never held in memory), its header
//! checked, and the rows imported by a background task in batches. The request waits up to
//! `IMPORT_WAIT_SECS` and answers 201 with the row report; a longer import answers 202 with the
//! import to poll at `GET /api/v1/imports/{id}`. Rows are keyed by order id and event, so uploading
//! the same file again creates nothing new.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Seek, SeekFrom};
use std::time::Duration;

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use revive_shared::crypto::Scope;
use revive_shared::db::events::{self, NewEvent};
use revive_shared::db::imports::{self, ImportReport, Progress, RowError};
use revive_shared::db::integrations::{self, Kind};
use revive_shared::ids::{ImportId, IntegrationId, MerchantId};
use revive_shared::normalize::csv_rows::{self, COLUMNS, CsvError, RowResult, SAMPLE_CSV};
use revive_shared::role::Role;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdPath, Principal, QueryParams};
use crate::ingest;
use crate::state::AppState;

/// Rows stored per transaction.
const BATCH_ROWS: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_orders))
        .routes(routes!(list_imports))
        .routes(routes!(get_import))
        .routes(routes!(sample_csv))
        .routes(routes!(columns))
        // The upload limit is IMPORT_MAX_BYTES, counted while streaming.
        .layer(DefaultBodyLimit::disable())
}

#[derive(Deserialize, IntoParams)]
pub struct UploadQuery {
    /// ISO 3166 alpha-2 country for phones written without `+` and without a `country` column.
    pub default_country: Option<String>,
    /// A name to show in the import list (multipart uploads carry their own).
    pub filename: Option<String>,
}

/// Upload a CSV of orders, as the raw body (`Content-Type: text/csv`) or as a multipart form
/// field `file`. Columns are documented at `/api/v1/imports/orders/columns`; a sample file is at
/// `/api/v1/imports/orders/sample.csv`.
#[utoipa::path(post, path = "/api/v1/imports/orders", tag = "imports",
    security(("session" = []), ("api_key" = [])), params(UploadQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportReport, description = "imported"),
              (status = 202, body = ImportReport, description = "still importing; poll the Location"),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_orders(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<UploadQuery>,
    request: Request,
) -> ApiResult<Response> {
    let started = std::time::Instant::now();
    principal.require(Scope::ImportsWrite, Role::Admin)?;
    let country = match q.default_country.as_deref().map(str::trim) {
        Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(_) => return Err(ApiError::field("default_country", "must be a 2-letter ISO 3166 code")),
        None => None,
    };
    let merchant = principal.merchant();
    let mut tx = state.db.begin(merchant).await?;
    let integration = integrations::newest_of_kind(&mut tx, Kind::Csv).await?;
    tx.commit().await?;
    if let Some((_, false)) = integration {
        return Err(ApiError::Conflict("the CSV integration is paused; resume it to import"));
    }

    let limit = state.config.ingest.import_max_bytes;
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (file, bytes, filename) = if is_multipart {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text())))?;
        loop {
            let field = form
                .next_field()
                .await
                .map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text())))?
                .ok_or_else(|| ApiError::field("file", "the form has no file field"))?;
            if field.name() == Some("file") || field.file_name().is_some() {
                let name = field.file_name().map(ToOwned::to_owned);
                let (file, bytes) = spool(field.map(|c| c.map_err(|e| e.body_text())), limit).await?;
                break (file, bytes, name.or(q.filename));
            }
        }
    } else {
        let body = request.into_body().into_data_stream().map(|c| c.map_err(|e| e.to_string()));
        let (file, bytes) = spool(body, limit).await?;
        (file, bytes, q.filename)
    };
    let filename = filename.map(|f| f.chars().take(200).collect::<String>());

    // The header decides whether the file can be imported at all: answer that before anything
    // is stored.
    let (file, country) = check_header(file, country).await?;
    let actor = match &principal {
        Principal::User(u) => format!("user:{}", u.user_id),
        Principal::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
    };
    let mut tx = state.db.begin(merchant).await?;
    let integration_id = integration.map(|(id, _)| id);
    let import_id =
        imports::create(&mut tx, integration_id, filename.as_deref(), bytes as i64, &actor).await?;
    revive_shared::db::audit::record(
        &mut tx,
        &principal.actor(),
        "import.create",
        Some(("import", import_id.to_string())),
        serde_json::json!({"bytes": bytes}),
    )
    .await?;
    tx.commit().await?;

    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let job = ImportJob { state: state.clone(), merchant, import_id, integration_id, country };
    tokio::spawn(async move {
        job.run(file).await;
        let _ = done_tx.send(());
    });
    // Wait for the import, but answer before the request time-out would (a slow upload has
    // used part of it already), so the client always gets the import's location.
    let budget = Duration::from_secs(state.config.request_timeout_secs)
        .saturating_sub(started.elapsed() + Duration::from_secs(2));
    let wait = Duration::from_secs(state.config.ingest.import_wait_secs).min(budget);
    let finished = !wait.is_zero() && tokio::time::timeout(wait, done_rx).await.is_ok();
    let mut tx = state.db.begin(merchant).await?;
    let report = imports::get(&mut tx, import_id).await?;
    tx.commit().await?;
    let location = format!("/api/v1/imports/{import_id}");
    if let (true, Some(failure)) = (finished, &report.failure) {
        return Err(ApiError::Unprocessable(format!("{failure} (report: {location})")));
    }
    let status = if finished { StatusCode::CREATED } else { StatusCode::ACCEPTED };
    Ok((status, [(header::LOCATION, location)], Json(report)).into_response())
}

/// Writes the upload to an unnamed temporary file, stopping at `limit` bytes.
async fn spool<S, E>(mut body: S, limit: u64) -> ApiResult<(std::fs::File, u64)>
where
    S: Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let std_file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut bytes: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("upload interrupted: {e}")))?;
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)?;
    if bytes == 0 {
        return Err(ApiError::field("file", "the file is empty"));
    }
    Ok((file.into_std().await, bytes))
}

async fn check_header(
    mut file: std::fs::File,
    country: Option<String>,
) -> ApiResult<(std::fs::File, Option<String>)> {
    tokio::task::spawn_blocking(move || {
        file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
        let checked = csv_rows::rows(BufReader::new(&file), country.as_deref()).map(|_| ());
        match checked {
            Ok(()) => {}
            Err(e @ (CsvError::MissingColumns(_) | CsvError::Empty)) => {
                return Err(ApiError::field("file", &e.to_string()));
            }
            Err(e) => return Err(ApiError::BadRequest(e.to_string())),
        }
        file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
        Ok((file, country))
    })
    .await
    .map_err(ApiError::internal)?
}

struct ImportJob {
    state: AppState,
    merchant: MerchantId,
    import_id: ImportId,
    integration_id: Option<IntegrationId>,
    country: Option<String>,
}

impl ImportJob {
    /// Reads rows on a blocking thread and stores them batch by batch; the import row carries the
    /// running counts, so a poller sees progress.
    async fn run(self, file: std::fs::File) {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<RowResult>>(2);
        let country = self.country.clone();
        let reader = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let rows = csv_rows::rows(BufReader::new(file), country.as_deref()).map_err(|e| e.to_string())?;
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            for row in rows {
                match row {
                    Ok(row) => batch.push(row),
                    Err(e) => {
                        // Keep the good rows read so far, then report why the rest cannot be.
                        let _ = tx.blocking_send(batch);
                        return Err(e.to_string());
                    }
                }
                if batch.len() == BATCH_ROWS && tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                    return Ok(()); // the importer stopped; it reports why
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(batch);
            }
            Ok(())
        });
        let mut failure = None;
        while let Some(batch) = rx.recv().await {
            if let Err(e) = self.store_batch(batch).await {
                tracing::error!(error = ?e, import_id = %self.import_id, "import stopped");
                failure = Some("the import stopped because the database was unavailable; upload the file again to finish it (imported rows are kept)".to_owned());
                break;
            }
        }
        drop(rx);
        if failure.is_none() {
            failure = match reader.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("the file could not be read to the end: {e}")),
                Err(_) => Some("the import stopped unexpectedly".to_owned()),
            };
        }
        let finished = async {
            let mut tx = self.state.db.begin(self.merchant).await?;
            imports::finish(&mut tx, self.import_id, failure.as_deref()).await?;
            tx.commit().await
        };
        if let Err(e) = finished.await {
            tracing::error!(error = ?e, import_id = %self.import_id, "could not record the end of an import");
        }
    }

    async fn store_batch(&self, batch: Vec<RowResult>) -> ApiResult<()> {
        let mut progress = Progress { rows: batch.len() as i32, ..Progress::default() };
        let mut events = Vec::with_capacity(batch.len());
        let mut rows = Vec::with_capacity(batch.len());
        for row in batch {
            match row.result {
                Ok(parsed) => {
                    rows.push((row.line, parsed.content_hash));
                    events.push(NewEvent {
                        integration_id: self.integration_id,
                        import_id: Some(self.import_id),
                        external_id: parsed.external_id,
                        shopify_webhook_id: None,
                        shopify_event_id: None,
                        triggered_at: None,
                        normalized: parsed.normalized,
                        raw: None,
                        ignore: false,
                    });
                }
                Err(reason) => {
                    progress.rejected += 1;
                    progress.errors.push(RowError { line: row.line, reason });
                }
            }
        }
        let inserted = ingest::store(&self.state, self.merchant, self.integration_id, &events, None).await?;
        progress.accepted = inserted.len() as i32;
        let mut new: HashSet<&str> = inserted.iter().map(|e| e.external_id.as_str()).collect();
        let seen: Vec<String> = events.iter().map(|e| e.external_id.clone()).collect();
        let mut tx = self.state.db.begin(self.merchant).await?;
        let stored: HashMap<String, Option<Vec<u8>>> = events::content_hashes(&mut tx, "csv", &seen)
            .await?
            .into_iter()
            .map(|(x, _, h)| (x, h))
            .collect();
        for (event, (line, hash)) in events.iter().zip(&rows) {
            // The first row of an id is the one stored; a repeat within the file is judged below.
            if new.remove(event.external_id.as_str()) {
                continue;
            }
            // The same row again is a duplicate; the same order and event with other values is
            // reported, since a later file does not change an imported row.
            if stored.get(&event.external_id).is_some_and(|h| h.as_deref() != Some(&hash[..])) {
                progress.rejected += 1;
                progress.errors.push(RowError {
                    line: *line,
                    reason: "this order event was already imported with other values; imported rows are not changed"
                        .into(),
                });
            } else {
                progress.duplicates += 1;
            }
        }
        progress.errors.sort_by_key(|e| e.line);
        imports::add_progress(&mut tx, self.import_id, &progress).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// 1 to 100, default 20.
    pub limit: Option<i64>,
}

/// Recent imports, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", security(("session" = []), ("api_key" = [])),
    params(ListQuery), responses((status = 200, body = [ImportReport])))]
async fn list_imports(
    State(state): State<AppState>,
    principal: Principal,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Vec<ImportReport>>> {
    principal.require(Scope::ImportsWrite, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let list = imports::list(&mut tx, q.limit.unwrap_or(20).clamp(1, 100)).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// One import and its row report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ImportReport), (status = 404, body = ErrorBody)))]
async fn get_import(
    State(state): State<AppState>,
    principal: Principal,
    IdPath(id): IdPath,
) -> ApiResult<Json<ImportReport>> {
    principal.require(Scope::ImportsWrite, Role::Viewer)?;
    let mut tx = state.db.begin(principal.merchant()).await?;
    let report = imports::get(&mut tx, ImportId(id)).await?;
    tx.commit().await?;
    Ok(Json(report))
}

/// A sample orders file with every documented column.
#[utoipa::path(get, path = "/api/v1/imports/orders/sample.csv", tag = "imports",
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn sample_csv() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"revive-orders-sample.csv\""),
        ],
        SAMPLE_CSV,
    )
}

#[derive(Serialize, ToSchema)]
pub struct ColumnView {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub description: &'static str,
}

/// The columns an orders file may have. Header names match leniently: case, spaces and
/// punctuation are ignored, and the aliases are accepted.
#[utoipa::path(get, path = "/api/v1/imports/orders/columns", tag = "imports",
    responses((status = 200, body = [ColumnView])))]
async fn columns() -> Json<Vec<ColumnView>> {
    Json(
        COLUMNS
            .iter()
            .map(|c| ColumnView {
                name: c.name,
                aliases: c.aliases,
                required: c.required,
                description: c.description,
            })
            .collect(),
    )
}
