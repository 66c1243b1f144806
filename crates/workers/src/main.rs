//! `revive-workers`: the background job processes. Run as many as you like against one
//! Postgres and one Redis; each registers its workers under names unique to the process.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use revive_shared::config::{Config, LogFormat};
use revive_shared::db::Db;
use revive_workers::{Deps, Queues};
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
    // Jobs, sends, turns and model calls by outcome: the same names the API's `/metrics` shows
    // for its in-process workers.
    if let Some(addr) = config.worker_metrics_addr {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                revive_shared::metrics_buckets::SECONDS,
            )
            .context("metric buckets")?
            .install()
            .context("serving metrics (WORKER_METRICS_ADDR)")?;
        tracing::info!(%addr, "metrics at /metrics");
    }
    let db = Db::connect(&config.database_url, config.database_max_connections)
        .await
        .context("connecting to Postgres (DATABASE_URL)")?;
    db.ping().await?;
    let redis = revive_workers::queue::connect(config.redis_url.expose_secret()).await?;
    let queues = Queues::new(redis, &config.jobs.queue_prefix);
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let ai =
        revive_shared::providers::Ai::from_settings(&config.ai).context("setting up the model provider")?;
    let deps = Deps::new(Arc::new(config), db, queues, revive_shared::clock::Clock::system(), ai);
    tracing::info!("revive-workers running");
    revive_workers::runner::run(deps, grace, revive_shared::shutdown::signal()).await?;
    tracing::info!("revive-workers stopped");
    Ok(())
}
