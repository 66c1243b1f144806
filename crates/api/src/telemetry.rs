//! Logs (JSON with the request id), Sentry when `SENTRY_DSN` is set, and the Prometheus recorder.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use revive_shared::config::{Config, LogFormat};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

/// Keeps Sentry flushing until dropped at the end of `main`.
pub struct Guard(#[allow(dead_code)] Option<sentry::ClientInitGuard>);

pub fn init(config: &Config) -> Guard {
    let sentry = config.sentry_dsn.as_deref().and_then(|dsn| {
        // An unparseable DSN would make sentry panic; report it and run without Sentry instead.
        if dsn.parse::<sentry::types::Dsn>().is_err() {
            eprintln!("revive: SENTRY_DSN is not a valid DSN; Sentry disabled");
            return None;
        }
        Some(sentry::init(
            sentry::ClientOptions::new()
                .dsn(dsn)
                .release(sentry::release_name!().unwrap_or_default())
                .environment(config.app_env.clone())
                .traces_sample_rate(0.1)
                .send_default_pii(false),
        ))
    });

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let fmt_layer = match config.log_format {
        LogFormat::Json => {
            fmt::layer().json().flatten_event(true).with_current_span(true).with_span_list(false).boxed()
        }
        LogFormat::Pretty => fmt::layer().boxed(),
    };
    // Errors become Sentry events; nothing else leaves the process.
    let sentry_layer = sentry.as_ref().map(|_| {
        sentry::integrations::tracing::ErrorLayer::new()
            .with_filter(tracing_subscriber::filter::LevelFilter::ERROR)
    });
    // `try_init`: tests build several apps in one process and only the first installs.
    let _ = tracing_subscriber::registry().with(filter).with(fmt_layer).with(sentry_layer).try_init();
    Guard(sentry)
}

/// The process-wide Prometheus handle (installed once; later calls share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    revive_shared::metrics_buckets::SECONDS,
                )
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then our handle renders nothing.
            let _ = metrics::set_global_recorder(recorder);
            let upkeep = handle.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            handle
        })
        .clone()
}

/// Counts requests and their latency by route template (never the raw path, which holds ids).
pub async fn http_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}
