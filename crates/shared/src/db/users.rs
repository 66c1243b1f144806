use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::TenantTx;
use crate::ids::{MerchantId, UserId};
use crate::role::Role;
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// What log-in needs to know about an email, found before the tenant is known.
pub struct LoginCandidate {
    pub user_id: UserId,
    pub merchant_id: MerchantId,
    pub password_hash: String,
    pub role: Role,
}

/// A row as stored; `role` is checked into [`Role`] by `TryFrom`.
struct UserRow {
    id: UserId,
    email: String,
    role: String,
    display_name: Option<String>,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(row: UserRow) -> Result<Self> {
        Ok(User {
            id: row.id,
            email: row.email,
            role: row.role.parse()?,
            display_name: row.display_name,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        })
    }
}

pub async fn create(
    tx: &mut TenantTx,
    email: &str,
    password_hash: &str,
    role: Role,
    display_name: Option<&str>,
) -> Result<User> {
    let merchant = tx.merchant();
    sqlx::query_as!(
        UserRow,
        r#"insert into merchant_users (merchant_id, email, password_hash, role, display_name)
           values ($1, lower($2), $3, $4, $5)
           returning id as "id: UserId", email, role, display_name, created_at, last_login_at"#,
        merchant.0,
        email,
        password_hash,
        role.as_str(),
        display_name
    )
    .fetch_one(tx.conn())
    .await
    .map_err(|e| Error::on_unique_violation(e, "email already registered"))?
    .try_into()
}

pub async fn get(tx: &mut TenantTx, id: UserId) -> Result<User> {
    sqlx::query_as!(
        UserRow,
        r#"select id as "id: UserId", email, role, display_name, created_at, last_login_at
           from merchant_users where id = $1 and disabled_at is null"#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?
    .try_into()
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<User>> {
    sqlx::query_as!(
        UserRow,
        r#"select id as "id: UserId", email, role, display_name, created_at, last_login_at
           from merchant_users where disabled_at is null order by created_at"#
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(User::try_from)
    .collect()
}

/// Changes a member's role. Returns `NotFound` for ids outside the tenant.
pub async fn set_role(tx: &mut TenantTx, id: UserId, role: Role) -> Result<()> {
    let done = sqlx::query!(
        "update merchant_users set role = $2 where id = $1 and disabled_at is null",
        id.0,
        role.as_str()
    )
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Removes a member and ends their sessions.
pub async fn delete(tx: &mut TenantTx, id: UserId) -> Result<()> {
    let done = sqlx::query!("delete from merchant_users where id = $1", id.0).execute(tx.conn()).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Counts the owners and locks their rows until the transaction ends, so two owners demoting
/// each other at the same moment cannot leave the merchant with none.
pub async fn count_owners(tx: &mut TenantTx) -> Result<i64> {
    let n = sqlx::query_scalar!(
        r#"select count(*) as "n!" from (
               select id from merchant_users where role = 'owner' and disabled_at is null for update
           ) owners"#
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(n)
}

pub async fn record_login(tx: &mut TenantTx, id: UserId) -> Result<()> {
    sqlx::query!("update merchant_users set last_login_at = now() where id = $1", id.0)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Finds a log-in candidate by email through `auth_user_by_email` (SECURITY DEFINER).
pub async fn find_for_login(pool: &PgPool, email: &str) -> Result<Option<LoginCandidate>> {
    let row = sqlx::query!(
        r#"select user_id as "user_id!: UserId", merchant_id as "merchant_id!: MerchantId",
                  password_hash as "password_hash!", role as "role!"
           from revive_private.auth_user_by_email($1)"#,
        email
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(LoginCandidate {
            user_id: r.user_id,
            merchant_id: r.merchant_id,
            password_hash: r.password_hash,
            role: r.role.parse()?,
        })
    })
    .transpose()
}
