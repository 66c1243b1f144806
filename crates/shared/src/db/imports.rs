//! CSV order imports: one row per uploaded file, with its running counts and row report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::TenantTx;
use crate::ids::{ImportId, IntegrationId};
use crate::{Error, Result};

/// How many rejected rows an import keeps with their reasons; the count covers them all.
pub const MAX_REPORTED_ERRORS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Line of the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub id: ImportId,
    /// processing, completed or failed.
    pub status: String,
    pub filename: Option<String>,
    pub bytes: i64,
    pub rows_total: i32,
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
    /// The first rejected rows, in file order.
    pub errors: Vec<RowError>,
    /// More rows were rejected than `errors` lists.
    pub errors_truncated: bool,
    /// Why the whole file could not be read, when status is failed.
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

struct Row {
    id: ImportId,
    status: String,
    filename: Option<String>,
    bytes: i64,
    rows_total: i32,
    accepted: i32,
    duplicates: i32,
    rejected: i32,
    errors: Value,
    failure: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<Row> for ImportReport {
    fn from(r: Row) -> Self {
        let errors: Vec<RowError> = serde_json::from_value(r.errors).unwrap_or_default();
        ImportReport {
            errors_truncated: (r.rejected as usize) > errors.len(),
            id: r.id,
            status: r.status,
            filename: r.filename,
            bytes: r.bytes,
            rows_total: r.rows_total,
            accepted: r.accepted,
            duplicates: r.duplicates,
            rejected: r.rejected,
            errors,
            failure: r.failure,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

pub async fn create(
    tx: &mut TenantTx,
    integration: Option<IntegrationId>,
    filename: Option<&str>,
    bytes: i64,
    created_by: &str,
) -> Result<ImportId> {
    let merchant = tx.merchant();
    let id = sqlx::query_scalar!(
        r#"insert into order_imports (merchant_id, integration_id, filename, bytes, created_by)
           values ($1, $2, $3, $4, $5) returning id as "id: ImportId""#,
        merchant.0,
        integration.map(|i| i.0),
        filename,
        bytes,
        created_by
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Running counts, added after each batch of rows.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub rows: i32,
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
    /// New rejected rows since the last call (trimmed to the cap in SQL).
    pub errors: Vec<RowError>,
}

pub async fn add_progress(tx: &mut TenantTx, id: ImportId, p: &Progress) -> Result<()> {
    let errors = serde_json::to_value(&p.errors).map_err(|e| Error::Invalid(e.to_string()))?;
    sqlx::query!(
        r#"update order_imports set
             rows_total = rows_total + $2, accepted = accepted + $3, duplicates = duplicates + $4,
             rejected = rejected + $5,
             errors = (select coalesce(jsonb_agg(e), '[]') from
                         (select e from jsonb_array_elements(errors || $6) e limit $7) s),
             updated_at = now()
           where id = $1"#,
        id.0,
        p.rows,
        p.accepted,
        p.duplicates,
        p.rejected,
        errors,
        MAX_REPORTED_ERRORS as i64
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn finish(tx: &mut TenantTx, id: ImportId, failure: Option<&str>) -> Result<()> {
    let status = if failure.is_some() { "failed" } else { "completed" };
    sqlx::query!(
        "update order_imports set status = $2, failure = $3, finished_at = now(), updated_at = now()
         where id = $1",
        id.0,
        status,
        failure
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: ImportId) -> Result<ImportReport> {
    let row = sqlx::query_as!(
        Row,
        r#"select id as "id: ImportId",
                  -- An import whose process died (a restart mid-file) stops making progress.
                  case when status = 'processing' and updated_at < now() - interval '2 minutes'
                       then 'failed' else status end as "status!",
                  filename, bytes, rows_total, accepted, duplicates, rejected, errors,
                  coalesce(failure, case when status = 'processing' and updated_at < now() - interval '2 minutes'
                       then 'the import was interrupted; upload the file again to finish it (imported rows are kept)' end) as failure,
                  created_at, finished_at
           from order_imports where id = $1"#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?;
    Ok(row.into())
}

pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<ImportReport>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select id as "id: ImportId",
                  -- An import whose process died (a restart mid-file) stops making progress.
                  case when status = 'processing' and updated_at < now() - interval '2 minutes'
                       then 'failed' else status end as "status!",
                  filename, bytes, rows_total, accepted, duplicates, rejected, errors,
                  coalesce(failure, case when status = 'processing' and updated_at < now() - interval '2 minutes'
                       then 'the import was interrupted; upload the file again to finish it (imported rows are kept)' end) as failure,
                  created_at, finished_at
           from order_imports order by created_at desc limit $1"#,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
