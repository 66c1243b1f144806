//! Database access. Every tenant query runs inside a [`TenantTx`], which sets `app.merchant_id`
//! before anything else; row-level security then limits the transaction to that merchant, so a
//! forgotten `where merchant_id = ...` returns nothing rather than someone else's rows.
//!
//! The few look-ups that must run before the tenant is known (log-in by email, session and API key
//! by hash) call narrow `SECURITY DEFINER` functions and take the bare pool.

pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod conversations;
pub mod customers;
pub mod events;
pub mod imports;
pub mod integrations;
pub mod knowledge;
pub mod merchants;
pub mod message_status;
pub mod orders;
pub mod privacy;
pub mod products;
pub mod retention;
pub mod scheduled;
pub mod sending;
pub mod sessions;
pub mod templates;
pub mod users;
pub mod whatsapp_accounts;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::Result;
use crate::ids::MerchantId;

/// The migrations in `supabase/migrations`, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../supabase/migrations");

/// The application's connection pool (as the application role).
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    pub async fn connect(url: &SecretString, max_connections: u32) -> Result<Self> {
        let options: PgConnectOptions = url.expose_secret().parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.application_name("revive"))
            .await?;
        Ok(Self { pool })
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The bare pool, for `SECURITY DEFINER` look-ups only.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Starts a transaction scoped to `merchant`.
    pub async fn begin(&self, merchant: MerchantId) -> Result<TenantTx> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!("select set_config('app.merchant_id', $1, true)", merchant.to_string())
            .fetch_one(&mut *tx)
            .await?;
        Ok(TenantTx { tx, merchant })
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query!("select 1 as one").fetch_one(&self.pool).await?;
        Ok(())
    }
}

/// Applies pending migrations as the owner role. Safe to run from several processes at once:
/// sqlx takes an advisory lock.
pub async fn migrate(owner_url: &SecretString) -> Result<()> {
    let options: PgConnectOptions = owner_url.expose_secret().parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.application_name("revive-migrate"))
        .await?;
    MIGRATOR.run(&pool).await?;
    pool.close().await;
    Ok(())
}

/// A transaction with the tenant set. Query functions take it as their first argument.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    merchant: MerchantId,
}

impl TenantTx {
    pub fn merchant(&self) -> MerchantId {
        self.merchant
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
