//! The one shared state every handler receives.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use redis::aio::ConnectionManager;
use revive_shared::config::Config;
use revive_shared::db::Db;
use revive_workers::Queues;

use crate::rate_limit::Limiters;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub redis: ConnectionManager,
    pub limiters: Arc<Limiters>,
    pub metrics: PrometheusHandle,
    pub queues: Queues,
    pub clock: revive_shared::clock::Clock,
    /// For the Meta Graph API (agents' replies), with time-outs.
    pub http: reqwest::Client,
    /// The model providers (knowledge search embeds the question with the same model).
    pub ai: revive_shared::providers::Ai,
    /// Live updates for the dashboards' event streams.
    pub live: crate::live::Live,
}
