//! Building and serving the application.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::middleware;
use revive_shared::config::Config;
use revive_shared::crypto::password;
use revive_shared::db::{self, Db};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::rate_limit::{self, Limiters};
use crate::state::AppState;
use crate::{routes, seed, telemetry};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Migrates (when configured), connects, seeds the demo merchant (when configured) and
    /// builds the router. Serving starts with [`Application::serve`].
    pub async fn build(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        if config.run_migrations {
            let owner_url = config
                .database_owner_url
                .as_ref()
                .context("RUN_MIGRATIONS=true needs DATABASE_OWNER_URL (the role that owns the tables)")?;
            db::migrate(owner_url).await.context("applying migrations")?;
        }
        let db = Db::connect(&config.database_url, config.database_max_connections)
            .await
            .context("connecting to Postgres (DATABASE_URL)")?;
        let redis = connect_redis(config.redis_url.expose_secret()).await?;
        tokio::task::spawn_blocking(password::warm_up).await?;

        let limiters = Arc::new(Limiters::new(&config.rate_limits));
        rate_limit::spawn_janitor(limiters.clone());
        let state =
            AppState { config: Arc::new(config), db, redis, limiters, metrics: telemetry::metrics_handle() };
        if let Some(demo) = &state.config.demo_seed {
            seed::demo_merchant(&state.db, demo).await.context("seeding the demo merchant")?;
        }
        let router = router(state.clone());
        Ok(Self { listener, router, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await
    }
}

/// Redis with a response timeout longer than redis-rs's 500 ms default, which turns a busy
/// moment into errors (STACK.md, apalis pitfall 7).
async fn connect_redis(url: &str) -> anyhow::Result<redis::aio::ConnectionManager> {
    let client = redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    redis::aio::ConnectionManager::new_with_config(client, config)
        .await
        .context("connecting to Redis (REDIS_URL)")
}

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let middleware = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            HeaderName::from_static("x-api-key"),
        ]))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("");
            // The path only: query strings can carry tokens.
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(sentry::integrations::tower::NewSentryLayer::<axum::extract::Request>::new_from_top())
        .layer(sentry::integrations::tower::SentryHttpLayer::new().enable_transaction())
        .layer(middleware::from_fn(crate::error::json_error_bodies))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes));

    routes::router(&state)
        .layer(middleware::from_fn(telemetry::http_metrics))
        .layer(middleware)
        .with_state(state)
}
