use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::TenantTx;
use crate::crypto::{ApiKeyHash, NewApiKey, Scope};
use crate::ids::{ApiKeyId, MerchantId, UserId};
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub display_prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The key behind a presented `X-Api-Key`, found before the tenant is known.
#[derive(Debug, Clone)]
pub struct KeyPrincipal {
    pub key_id: ApiKeyId,
    pub merchant_id: MerchantId,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyPrincipal {
    /// Revoked and expired keys are refused the same way as unknown ones.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

pub async fn create(
    tx: &mut TenantTx,
    key: &NewApiKey,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
    created_by: Option<UserId>,
) -> Result<ApiKey> {
    let merchant = tx.merchant();
    let scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let key = sqlx::query_as!(
        ApiKey,
        r#"insert into api_keys (merchant_id, name, display_prefix, key_hash, scopes, expires_at, created_by)
           values ($1, $2, $3, $4, $5, $6, $7)
           returning id as "id: ApiKeyId", name, display_prefix, scopes, created_at, expires_at,
                     revoked_at, last_used_at"#,
        merchant.0,
        name,
        key.display_prefix,
        &key.hash.0[..],
        &scopes,
        expires_at,
        created_by.map(|u| u.0)
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(key)
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<ApiKey>> {
    let keys = sqlx::query_as!(
        ApiKey,
        r#"select id as "id: ApiKeyId", name, display_prefix, scopes, created_at, expires_at,
                  revoked_at, last_used_at
           from api_keys order by created_at desc"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(keys)
}

/// Revokes a key. Revoking twice is fine; an id outside the tenant is `NotFound`.
pub async fn revoke(tx: &mut TenantTx, id: ApiKeyId) -> Result<()> {
    let found = sqlx::query_scalar!(
        r#"update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1
           returning id as "id: ApiKeyId""#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

pub async fn record_use(tx: &mut TenantTx, id: ApiKeyId) -> Result<()> {
    // Once a minute is precise enough and saves a write per request under load.
    sqlx::query!(
        "update api_keys set last_used_at = now()
         where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')",
        id.0
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Finds a key by hash through `auth_api_key_by_hash` (SECURITY DEFINER).
pub async fn find_by_hash(pool: &PgPool, hash: &ApiKeyHash) -> Result<Option<KeyPrincipal>> {
    let row = sqlx::query!(
        r#"select key_id as "key_id!: ApiKeyId", merchant_id as "merchant_id!: MerchantId",
                  scopes as "scopes!", expires_at, revoked_at
           from revive_private.auth_api_key_by_hash($1)"#,
        &hash.0[..]
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| KeyPrincipal {
        key_id: r.key_id,
        merchant_id: r.merchant_id,
        // A scope this build does not know (say, after a downgrade) grants nothing.
        scopes: r.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
    }))
}
