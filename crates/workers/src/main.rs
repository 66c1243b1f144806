//! `revive-workers`: the background job processes.
//!
//! The order, scheduling and conversation workers arrive with their issues (see docs/
//! architecture.md). Today this binary checks its configuration and its connections, reports
//! ready, and waits for SIGTERM, so deployments can already run it as a separate process.

use std::process::ExitCode;

use anyhow::Context;
use revive_shared::config::{Config, LogFormat};
use revive_shared::db::Db;
use secrecy::ExposeSecret;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("revive-workers: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt().json().with_env_filter(filter).init(),
        LogFormat::Pretty => tracing_subscriber::fmt().with_env_filter(filter).init(),
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("revive-workers: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let db = Db::connect(&config.database_url, config.database_max_connections)
        .await
        .context("connecting to Postgres (DATABASE_URL)")?;
    db.ping().await?;
    let redis = redis::Client::open(config.redis_url.expose_secret())
        .context("REDIS_URL is not a valid Redis URL")?;
    let mut conn =
        redis.get_multiplexed_async_connection().await.context("connecting to Redis (REDIS_URL)")?;
    let _: String = redis::cmd("PING").query_async(&mut conn).await?;
    tracing::info!("revive-workers ready (no job types registered yet)");
    revive_shared::shutdown::signal().await;
    tracing::info!("revive-workers stopping");
    Ok(())
}
