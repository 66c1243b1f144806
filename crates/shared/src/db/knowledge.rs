//! `knowledge_sources` and `knowledge_chunks`: what a merchant told Revive about its products
//! (FAQ entries, documents, product pages), cut into chunks with an embedding each, and the
//! nearest-chunk search the conversation and the dashboard's "test a question" box use.

use chrono::{DateTime, Utc};
use pgvector::Vector;

use super::TenantTx;
use crate::{Error, Result};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Source {
    pub id: uuid::Uuid,
    /// product, faq or document.
    pub kind: String,
    pub title: String,
    /// text, markdown or html.
    pub format: String,
    /// pending, embedding, ready or failed.
    pub status: String,
    pub error: Option<String>,
    /// Chunks this source was cut into, and how many are embedded so far.
    pub chunks_total: i32,
    pub chunks_done: i32,
    pub embedding_model: Option<String>,
    pub product_id: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewSource<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub format: &'a str,
    pub content: &'a str,
    /// SHA-256 of the text the source's chunks are cut from.
    pub content_hash: &'a [u8],
}

/// Creates a source, waiting for its embedding job.
pub async fn create(tx: &mut TenantTx, s: &NewSource<'_>) -> Result<Source> {
    let merchant = tx.merchant();
    let row = sqlx::query_as!(
        Source,
        r#"insert into knowledge_sources (merchant_id, kind, title, format, content, content_hash)
           values ($1, $2, $3, $4, $5, $6)
           returning id, kind, title, format, status, error, chunks_total, chunks_done, embedding_model,
                     product_id, created_at, updated_at"#,
        merchant.0,
        s.kind,
        s.title,
        s.format,
        s.content,
        s.content_hash
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(row)
}

/// Replaces a source's title and text. Returns the source and whether its chunks must be made
/// again: an unchanged text (same hash) that is already embedded needs no work.
pub async fn update(tx: &mut TenantTx, id: uuid::Uuid, s: &NewSource<'_>) -> Result<(Source, bool)> {
    let row =
        sqlx::query!(r#"select content_hash, status from knowledge_sources where id = $1 for update"#, id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(Error::NotFound)?;
    let unchanged = row.content_hash.as_deref() == Some(s.content_hash) && row.status != "failed";
    let source = sqlx::query_as!(
        Source,
        r#"update knowledge_sources
           set kind = $2, title = $3, format = $4, content = $5, content_hash = $6,
               status = case when $7 then status else 'pending' end,
               error = case when $7 then error else null end, updated_at = now()
           where id = $1
           returning id, kind, title, format, status, error, chunks_total, chunks_done, embedding_model,
                     product_id, created_at, updated_at"#,
        id,
        s.kind,
        s.title,
        s.format,
        s.content,
        s.content_hash,
        unchanged
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((source, !unchanged))
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Source>> {
    let rows = sqlx::query_as!(
        Source,
        r#"select id, kind, title, format, status, error, chunks_total, chunks_done, embedding_model,
                  product_id, created_at, updated_at
           from knowledge_sources order by created_at desc"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

pub async fn get(tx: &mut TenantTx, id: uuid::Uuid) -> Result<Source> {
    sqlx::query_as!(
        Source,
        r#"select id, kind, title, format, status, error, chunks_total, chunks_done, embedding_model,
                  product_id, created_at, updated_at
           from knowledge_sources where id = $1"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)
}

/// Deletes a source; its chunks go with it (foreign key cascade).
pub async fn delete(tx: &mut TenantTx, id: uuid::Uuid) -> Result<()> {
    let done = sqlx::query!("delete from knowledge_sources where id = $1", id).execute(tx.conn()).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// What the embedding job reads, under a lock: `None` when the source is gone or not waiting.
pub struct ToEmbed {
    pub format: String,
    pub content: String,
    pub content_hash: Option<Vec<u8>>,
}

/// A source `embedding` with no progress for this long was left by a run that died: the next
/// job starts it over. A fresher one is being embedded by another job right now, and two runs of
/// one source would delete each other's chunks.
pub const EMBEDDING_STALE_SECS: f64 = 300.0;

pub async fn lock_for_embedding(tx: &mut TenantTx, id: uuid::Uuid) -> Result<Option<ToEmbed>> {
    let row = sqlx::query_as!(
        ToEmbed,
        "select format, content, content_hash from knowledge_sources
         where id = $1 and (status = 'pending'
                            or (status = 'embedding' and updated_at < now() - make_interval(secs => $2)))
         for update",
        id,
        EMBEDDING_STALE_SECS
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row)
}

/// Locks a source being embedded, if it still is, from the same content: `false` when it was
/// deleted or edited meanwhile.
pub async fn still_embedding(tx: &mut TenantTx, id: uuid::Uuid, content_hash: Option<&[u8]>) -> Result<bool> {
    let found = sqlx::query_scalar!(
        r#"select 1 as "one!" from knowledge_sources
           where id = $1 and status = 'embedding' and content_hash is not distinct from $2 for update"#,
        id,
        content_hash
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.is_some())
}

/// Starts (or starts over) a source's embedding: its old chunks go, the new count is recorded.
pub async fn begin_embedding(tx: &mut TenantTx, id: uuid::Uuid, total: i32, model: &str) -> Result<()> {
    sqlx::query!("delete from knowledge_chunks where source_id = $1", id).execute(tx.conn()).await?;
    sqlx::query!(
        "update knowledge_sources set status = 'embedding', chunks_total = $2, chunks_done = 0,
                embedding_model = $3, error = null, updated_at = now()
         where id = $1",
        id,
        total,
        model
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Stores chunks `first..` of a source with their embeddings and counts them as done.
pub async fn add_chunks(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    first: i32,
    chunks: &[(String, Vec<f32>)],
    model: &str,
) -> Result<()> {
    let merchant = tx.merchant();
    for (i, (content, embedding)) in chunks.iter().enumerate() {
        sqlx::query!(
            "insert into knowledge_chunks (merchant_id, source_id, ordinal, content, embedding, embedding_model)
             values ($1, $2, $3, $4, $5, $6)",
            merchant.0,
            id,
            first + i as i32,
            content,
            Vector::from(embedding.clone()) as _,
            model
        )
        .execute(tx.conn())
        .await?;
    }
    sqlx::query!(
        "update knowledge_sources set chunks_done = chunks_done + $2, updated_at = now() where id = $1",
        id,
        chunks.len() as i32
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn finish_embedding(tx: &mut TenantTx, id: uuid::Uuid, error: Option<&str>) -> Result<()> {
    sqlx::query!(
        "update knowledge_sources set status = case when $2::text is null then 'ready' else 'failed' end,
                error = $2, embedded_at = case when $2::text is null then now() else embedded_at end,
                updated_at = now()
         where id = $1",
        id,
        error
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub chunk_id: uuid::Uuid,
    pub source_id: uuid::Uuid,
    pub source_title: String,
    pub source_kind: String,
    pub content: String,
    /// Cosine similarity, 1 for the same direction.
    pub score: f64,
}

/// The `k` chunks nearest to `query` among those embedded by `model`, best first.
///
/// HNSW with a filter can return fewer than `k` rows (the index finds the nearest chunks of every
/// merchant, then row-level security and the filter drop the others'): `iterative_scan` keeps
/// scanning until `k` rows pass (pgvector 0.8), and `relaxed_order` lets it; the rows are sorted
/// again here.
pub async fn search(tx: &mut TenantTx, query: &[f32], model: &str, k: i64) -> Result<Vec<Hit>> {
    let mut hits: Vec<Hit> = candidates(tx, query, model, k).await?.into_iter().map(|c| c.hit).collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(hits)
}

/// Marks a waiting source as looked at now; returns its content hash (part of its job id).
pub async fn touch(tx: &mut TenantTx, id: uuid::Uuid) -> Result<Vec<u8>> {
    let hash = sqlx::query_scalar!(
        "update knowledge_sources set updated_at = now() where id = $1 returning content_hash",
        id
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(hash.unwrap_or_default())
}

/// Sources whose embedding job Redis may have lost, across merchants (SECURITY DEFINER look-up).
pub async fn waiting(
    pool: &sqlx::PgPool,
    before: DateTime<Utc>,
    limit: i32,
) -> Result<Vec<(crate::ids::MerchantId, uuid::Uuid)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: crate::ids::MerchantId", source_id as "source_id!"
           from revive_private.sources_to_embed($1, $2)"#,
        before,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.source_id)).collect())
}

/// The catalog's prices in minor units: what a reply may quote.
pub async fn catalog_prices(tx: &mut TenantTx) -> Result<Vec<i64>> {
    let rows =
        sqlx::query_scalar!(r#"select price_cents as "p!" from products where price_cents is not null"#)
            .fetch_all(tx.conn())
            .await?;
    Ok(rows)
}

/// The catalog's product names: what a reply may quote as a product.
pub async fn catalog_names(tx: &mut TenantTx) -> Result<Vec<String>> {
    let rows = sqlx::query_scalar!("select title from products").fetch_all(tx.conn()).await?;
    Ok(rows)
}

/// The catalog's product links: what a reply may share.
pub async fn catalog_urls(tx: &mut TenantTx) -> Result<Vec<String>> {
    let rows = sqlx::query_scalar!(r#"select url as "u!" from products where url is not null"#)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows)
}

/// A chunk found by [`candidates`], with what re-ranking needs.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub hit: Hit,
    pub embedding: Vec<f32>,
    /// The catalog product a product source describes.
    pub product_id: Option<uuid::Uuid>,
}

/// The nearest chunks as [`search`] finds them (same index, same filter, HNSW order), with each
/// chunk's vector and product, for re-ranking (`knowledge::rerank`).
pub async fn candidates(tx: &mut TenantTx, query: &[f32], model: &str, k: i64) -> Result<Vec<Candidate>> {
    sqlx::raw_sql("set local hnsw.iterative_scan = relaxed_order; set local hnsw.ef_search = 100")
        .execute(tx.conn())
        .await?;
    let merchant = tx.merchant();
    let rows = sqlx::query!(
        r#"select c.id as chunk_id, c.source_id, s.title as source_title, s.kind as source_kind, c.content,
                  (1 - (c.embedding <=> $1))::float8 as "score!", c.embedding as "embedding: Vector", s.product_id
           from knowledge_chunks c join knowledge_sources s on s.id = c.source_id
           where c.merchant_id = $2 and c.embedding_model = $3
           order by c.embedding <=> $1 limit $4"#,
        Vector::from(query.to_vec()) as _,
        merchant.0,
        model,
        k
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            hit: Hit {
                chunk_id: r.chunk_id,
                source_id: r.source_id,
                source_title: r.source_title,
                source_kind: r.source_kind,
                content: r.content,
                score: r.score,
            },
            embedding: r.embedding.to_vec(),
            product_id: r.product_id,
        })
        .collect())
}

/// The catalog products the customer has bought (line items matched by product).
pub async fn purchased_products(
    tx: &mut TenantTx,
    customer: crate::ids::CustomerId,
) -> Result<Vec<uuid::Uuid>> {
    let rows = sqlx::query_scalar!(
        r#"select distinct p.id as "id!" from orders o
           join order_line_items li on li.order_id = o.id
           join products p on p.id = li.product_id
                           or (li.product_id is null and p.external_id = li.external_product_id)
           where o.customer_id = $1"#,
        customer.0
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

/// Ready sources whose chunks were made by another model than `model`, across merchants
/// (SECURITY DEFINER look-up): the embedding model changed and they must be embedded again.
pub async fn of_other_model(
    pool: &sqlx::PgPool,
    model: &str,
    limit: i32,
) -> Result<Vec<(crate::ids::MerchantId, uuid::Uuid)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: crate::ids::MerchantId", source_id as "source_id!"
           from revive_private.sources_of_other_model($1, $2)"#,
        model,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.source_id)).collect())
}

/// Puts a ready source made by another model back to `pending`; returns its content hash, or
/// `None` when it changed meanwhile (edited, deleted, or already re-embedded).
pub async fn mark_for_reembedding(tx: &mut TenantTx, id: uuid::Uuid, model: &str) -> Result<Option<Vec<u8>>> {
    let hash = sqlx::query_scalar!(
        "update knowledge_sources set status = 'pending', updated_at = now()
         where id = $1 and status = 'ready' and embedding_model is distinct from $2
         returning content_hash",
        id,
        model
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(hash.map(Option::unwrap_or_default))
}
