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
use revive_shared::clock::Clock;
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

use revive_workers::Queues;

use crate::rate_limit::{self, Limiters};
use crate::state::AppState;
use crate::{routes, seed, telemetry};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    workers: Option<Workers>,
}

/// The job workers, when they run inside the API process (single-machine mode).
struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Workers {
    fn start(state: &AppState) -> Self {
        let deps = revive_workers::Deps::new(
            state.config.clone(),
            state.db.clone(),
            state.queues.clone(),
            state.clock.clone(),
            state.ai.clone(),
        );
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let handle = tokio::spawn(revive_workers::runner::run(deps, grace, async move {
            let _ = stopped.wait_for(|s| *s).await;
        }));
        Workers { stop, handle }
    }
}

impl Application {
    /// Migrates (when configured), connects, seeds the demo merchant (when configured) and
    /// builds the router. Serving starts with [`Application::serve`].
    pub async fn build(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        Self::build_with_clock(config, listener, Clock::system()).await
    }

    /// As [`Application::build`], with the clock the jobs decide by (tests move it forward).
    pub async fn build_with_clock(
        config: Config,
        listener: TcpListener,
        clock: Clock,
    ) -> anyhow::Result<Self> {
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
        let redis = revive_workers::queue::connect(config.redis_url.expose_secret()).await?;
        let queues = Queues::new(redis.clone(), &config.jobs.queue_prefix);
        tokio::task::spawn_blocking(password::warm_up).await?;

        let ai = revive_shared::providers::Ai::from_settings(&config.ai)
            .context("setting up the model provider")?;
        let live = crate::live::Live::start(config.database_url.clone()).await;
        let limiters = Arc::new(Limiters::new(&config.rate_limits));
        rate_limit::spawn_janitor(limiters.clone());
        let state = AppState {
            config: Arc::new(config),
            db,
            redis,
            limiters,
            metrics: telemetry::metrics_handle(),
            queues,
            clock,
            http: revive_shared::whatsapp::Meta::http_client(),
            ai,
            live,
        };
        if let Some(demo) = &state.config.demo_seed {
            seed::demo_merchant(&state.db, demo).await.context("seeding the demo merchant")?;
        }
        let router = router(state.clone());
        let workers = state.config.jobs.run_in_api.then(|| Workers::start(&state));
        Ok(Self { listener, router, state, workers })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests and jobs finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        // Event streams never end by themselves: they are closed when the shutdown begins.
        let live = self.state.live.clone();
        let shutdown = async move {
            shutdown.await;
            live.close();
        };
        let served = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        if let Some(workers) = self.workers {
            let _ = workers.stop.send(true);
            match workers.handle.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = format!("{e:#}"), "workers stopped with an error"),
                Err(e) => tracing::error!(error = %e, "workers task failed"),
            }
        }
        served
    }
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
