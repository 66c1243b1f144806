//! Revive's background jobs over apalis-redis: the queues both binaries push to, the job
//! handlers, and the runner that `revive-workers` (and `revive-api` in single-machine mode)
//! starts.
//!
//! Postgres is the source of truth; Redis only holds the work to do. Every job's effects are
//! recorded in Postgres and a sweeper puts back whatever Redis may have lost.

pub mod converse;
pub mod embed_source;
pub mod process_event;
pub mod queue;
pub mod runner;
pub mod send_message;
pub mod sweeper;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use revive_shared::clock::Clock;
use revive_shared::config::Config;
use revive_shared::db::Db;

pub use queue::Queues;

/// What every job handler needs.
#[derive(Clone)]
pub struct Deps {
    pub config: Arc<Config>,
    pub db: Db,
    pub queues: Queues,
    /// System time in production; tests move it forward.
    pub clock: Clock,
    /// For the Meta Graph API (with time-outs).
    pub http: reqwest::Client,
    /// The model providers: hosted when `OPENAI_API_KEY` is set, local otherwise.
    pub ai: revive_shared::providers::Ai,
    /// Token buckets per WhatsApp phone number.
    throttles: Arc<Mutex<HashMap<String, Arc<governor::DefaultDirectRateLimiter>>>>,
}

impl Deps {
    pub fn new(
        config: Arc<Config>,
        db: Db,
        queues: Queues,
        clock: Clock,
        ai: revive_shared::providers::Ai,
    ) -> Self {
        Deps {
            ai,
            config,
            db,
            queues,
            clock,
            http: revive_shared::whatsapp::Meta::http_client(),
            throttles: Default::default(),
        }
    }
}
