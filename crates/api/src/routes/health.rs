//! Liveness, readiness and metrics: outside /api, unauthenticated, not rate-limited (probes and
//! scrapers call them often). Put /metrics behind the network boundary in production.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// 200 when both Postgres and Redis answer within a second, else 503 naming which did not.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let limit = Duration::from_secs(1);
    let postgres = matches!(tokio::time::timeout(limit, state.db.ping()).await, Ok(Ok(())));
    let mut redis = state.redis.clone();
    let redis_ok = matches!(
        tokio::time::timeout(limit, redis::cmd("PING").query_async::<String>(&mut redis)).await,
        Ok(Ok(_))
    );
    let status = if postgres && redis_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (status, Json(json!({"postgres": word(postgres), "redis": word(redis_ok)})))
}

/// Prometheus text. Queue depths are read from Redis at scrape time, so they are right whichever
/// process runs the workers.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // With Redis down the gauges keep their last values; /readyz says what is wrong.
    if let Ok(Ok(all)) = tokio::time::timeout(Duration::from_secs(1), state.queues.stats()).await {
        for (queue, s) in all {
            metrics::gauge!("revive_queue_pending", "queue" => queue).set(s.pending as f64);
            metrics::gauge!("revive_queue_scheduled", "queue" => queue).set(s.scheduled as f64);
            metrics::gauge!("revive_queue_running", "queue" => queue).set(s.running as f64);
            metrics::gauge!("revive_queue_done", "queue" => queue).set(s.done as f64);
            metrics::gauge!("revive_queue_dead", "queue" => queue).set(s.dead as f64);
            metrics::gauge!("revive_queue_oldest_pending_seconds", "queue" => queue)
                .set(s.oldest_pending_secs as f64);
        }
    }
    state.metrics.render()
}
