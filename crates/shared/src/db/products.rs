//! `products`: the merchant's catalog (from Shopify's product webhooks or the products API).
//! Each product has one knowledge source of kind `product` whose text is made from it, so a
//! customer's question about it is answered from the catalog, and its price and link are what
//! the guardrails let a reply quote.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::TenantTx;
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: uuid::Uuid,
    /// The store's product id.
    pub external_id: String,
    pub title: String,
    pub description: Option<String>,
    pub url: Option<String>,
    /// In the currency's minor units.
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    pub tags: Vec<String>,
    /// The knowledge source made from it, and that source's embedding status.
    pub source_id: Option<uuid::Uuid>,
    pub source_status: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product as a store describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub external_id: String,
    pub title: String,
    /// Plain text (HTML and Markdown are turned into text before).
    pub description: Option<String>,
    pub url: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    pub tags: Vec<String>,
}

impl NewProduct {
    /// The text its knowledge source holds: what a customer may ask about it.
    pub fn knowledge_text(&self) -> String {
        let mut out = format!("{}.", self.title.trim().trim_end_matches('.'));
        if let Some(d) = self.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            out.push(' ');
            out.push_str(d);
        }
        if let Some(cents) = self.price_cents {
            let amount = format!("{}.{:02}", cents / 100, (cents % 100).abs());
            match &self.currency {
                Some(currency) => out.push_str(&format!(" Price: {amount} {currency}.")),
                None => out.push_str(&format!(" Price: {amount}.")),
            }
        }
        if let Some(url) = &self.url {
            out.push_str(&format!(" Link: {url}"));
        }
        if !self.tags.is_empty() {
            out.push_str(&format!(" Tags: {}.", self.tags.join(", ")));
        }
        out.trim_end().to_owned()
    }
}

/// What [`save`] did.
#[derive(Debug)]
pub struct Saved {
    pub product_id: uuid::Uuid,
    pub created: bool,
    pub source_id: uuid::Uuid,
    /// Set when the source's text changed and must be embedded (the job's content hash).
    pub embed: Option<Vec<u8>>,
}

/// Creates or updates a product by its external id, and its knowledge source with it. An
/// unchanged product does no embedding work (the source's content hash is compared).
pub async fn save(tx: &mut TenantTx, p: &NewProduct) -> Result<Saved> {
    let merchant = tx.merchant();
    let row = sqlx::query!(
        r#"insert into products (merchant_id, external_id, title, description, url, price_cents, currency, tags)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (merchant_id, external_id) do update set
             title = excluded.title, description = excluded.description, url = excluded.url,
             price_cents = excluded.price_cents, currency = excluded.currency, tags = excluded.tags,
             updated_at = now()
           returning id, (xmax = 0) as "created!""#,
        merchant.0,
        p.external_id,
        p.title,
        p.description,
        p.url,
        p.price_cents,
        p.currency,
        &p.tags
    )
    .fetch_one(tx.conn())
    .await?;
    let text = p.knowledge_text();
    let hash = crate::ai::chunk::content_hash(&text).to_vec();
    let existing = sqlx::query!(
        "select id, content_hash, status from knowledge_sources where product_id = $1 for update",
        row.id
    )
    .fetch_optional(tx.conn())
    .await?;
    let (source_id, changed) = match existing {
        Some(s) => {
            let unchanged = s.content_hash.as_deref() == Some(hash.as_slice()) && s.status != "failed";
            sqlx::query!(
                "update knowledge_sources set title = $2, content = $3, content_hash = $4,
                    status = case when $5 then status else 'pending' end,
                    error = case when $5 then error else null end, updated_at = now()
                 where id = $1",
                s.id,
                p.title,
                text,
                hash,
                unchanged
            )
            .execute(tx.conn())
            .await?;
            (s.id, !unchanged)
        }
        None => {
            let id = sqlx::query_scalar!(
                "insert into knowledge_sources (merchant_id, kind, title, format, content, content_hash, product_id)
                 values ($1, 'product', $2, 'text', $3, $4, $5) returning id",
                merchant.0,
                p.title,
                text,
                hash,
                row.id
            )
            .fetch_one(tx.conn())
            .await?;
            (id, true)
        }
    };
    Ok(Saved { product_id: row.id, created: row.created, source_id, embed: changed.then_some(hash) })
}

/// The catalog, newest change first.
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<Product>> {
    let rows = sqlx::query_as!(
        Product,
        r#"select p.id, p.external_id, p.title, p.description, p.url, p.price_cents, p.currency, p.tags,
                  s.id as "source_id?", s.status as "source_status?", p.created_at, p.updated_at
           from products p left join knowledge_sources s on s.product_id = p.id
           order by p.updated_at desc, p.id limit $1"#,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

/// Deletes a product; its knowledge source and chunks go with it (foreign keys).
pub async fn delete(tx: &mut TenantTx, id: uuid::Uuid) -> Result<()> {
    let done = sqlx::query!("delete from products where id = $1", id).execute(tx.conn()).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Deletes a product by the store's id (Shopify's `products/delete`); `false` when unknown.
pub async fn delete_external(tx: &mut TenantTx, external_id: &str) -> Result<bool> {
    let done =
        sqlx::query!("delete from products where external_id = $1", external_id).execute(tx.conn()).await?;
    Ok(done.rows_affected() > 0)
}

/// The merchant's Shopify store domain, for product links (`https://{domain}/products/{handle}`).
pub async fn shop_domain(tx: &mut TenantTx) -> Result<Option<String>> {
    let domain = sqlx::query_scalar!(
        "select shop_domain from integrations where kind = 'shopify' and shop_domain is not null
         order by created_at limit 1"
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(domain.flatten())
}
