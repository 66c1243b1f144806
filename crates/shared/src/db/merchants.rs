use chrono::{DateTime, Utc};
use serde::Serialize;

use super::TenantTx;
use crate::Result;
use crate::ids::MerchantId;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

/// Creates the transaction's own merchant (its id is the tenant the transaction was begun for),
/// with default retention settings.
pub async fn create(tx: &mut TenantTx, name: &str) -> Result<Merchant> {
    let id = tx.merchant();
    let m = sqlx::query_as!(
        Merchant,
        r#"insert into merchants (id, name) values ($1, $2)
           returning id as "id: MerchantId", name, timezone, created_at"#,
        id.0,
        name
    )
    .fetch_one(tx.conn())
    .await?;
    sqlx::query!("insert into retention_settings (merchant_id) values ($1)", id.0).execute(tx.conn()).await?;
    Ok(m)
}

pub async fn get(tx: &mut TenantTx) -> Result<Merchant> {
    let id = tx.merchant();
    sqlx::query_as!(
        Merchant,
        r#"select id as "id: MerchantId", name, timezone, created_at from merchants where id = $1"#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(crate::Error::NotFound)
}
