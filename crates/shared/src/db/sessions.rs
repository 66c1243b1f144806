use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::TenantTx;
use crate::Result;
use crate::ids::{MerchantId, SessionId, UserId};
use crate::role::Role;

/// A live session found by its token hash.
#[derive(Debug, Clone)]
pub struct SessionPrincipal {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub merchant_id: MerchantId,
    pub role: Role,
}

pub async fn create(
    tx: &mut TenantTx,
    user: UserId,
    token_hash: &[u8; 32],
    expires_at: DateTime<Utc>,
) -> Result<SessionId> {
    let merchant = tx.merchant();
    let id = sqlx::query_scalar!(
        r#"insert into sessions (merchant_id, user_id, token_hash, expires_at)
           values ($1, $2, $3, $4) returning id as "id: SessionId""#,
        merchant.0,
        user.0,
        &token_hash[..],
        expires_at
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Finds a live session through `auth_session_by_token_hash` (SECURITY DEFINER).
pub async fn find_live(pool: &PgPool, token_hash: &[u8; 32]) -> Result<Option<SessionPrincipal>> {
    let row = sqlx::query!(
        r#"select session_id as "session_id!: SessionId", user_id as "user_id!: UserId",
                  merchant_id as "merchant_id!: MerchantId", role as "role!"
           from revive_private.auth_session_by_token_hash($1)"#,
        &token_hash[..]
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(SessionPrincipal {
            session_id: r.session_id,
            user_id: r.user_id,
            merchant_id: r.merchant_id,
            role: r.role.parse()?,
        })
    })
    .transpose()
}

pub async fn revoke(tx: &mut TenantTx, id: SessionId) -> Result<()> {
    sqlx::query!("update sessions set revoked_at = now() where id = $1 and revoked_at is null", id.0)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Ends every session of a user (role change, removal, password change).
pub async fn revoke_all_for_user(tx: &mut TenantTx, user: UserId) -> Result<()> {
    sqlx::query!("update sessions set revoked_at = now() where user_id = $1 and revoked_at is null", user.0)
        .execute(tx.conn())
        .await?;
    Ok(())
}
