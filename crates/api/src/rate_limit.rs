//! Rate limits with governor: per client IP on public routes, per API key and per merchant on
//! authenticated ones. Limits are settings; a refusal is a 429 with `Retry-After`.
//!
//! The counters live in this process. With N API processes behind a balancer each enforces the
//! limit on its share of the traffic; docs/architecture.md says so.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use revive_shared::config::RateLimits;
use revive_shared::ids::{ApiKeyId, MerchantId};

use crate::error::ApiError;
use crate::state::AppState;

pub struct Limiters {
    pub per_ip: DefaultKeyedRateLimiter<IpAddr>,
    pub per_api_key: DefaultKeyedRateLimiter<ApiKeyId>,
    pub per_merchant: DefaultKeyedRateLimiter<MerchantId>,
}

impl Limiters {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            per_ip: RateLimiter::keyed(Quota::per_minute(non_zero(limits.per_ip_per_minute))),
            per_api_key: RateLimiter::keyed(Quota::per_hour(non_zero(limits.per_api_key_per_hour))),
            per_merchant: RateLimiter::keyed(Quota::per_hour(non_zero(limits.per_merchant_per_hour))),
        }
    }

    /// Drops the state of keys that are back at full capacity, so memory stays bounded.
    pub fn retain_recent(&self) {
        self.per_ip.retain_recent();
        self.per_api_key.retain_recent();
        self.per_merchant.retain_recent();
    }
}

fn non_zero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// Takes one token for `key`, or says how long to wait.
pub fn check<K: Clone + Hash + Eq>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        // Round up: a client that waits the advertised time must find a token.
        ApiError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 }
    })
}

/// The answer to a webhook with a bad or missing signature: 401, counted, and paid for from the
/// sender's per-IP budget so guessing signatures is as slow as any other public call.
pub fn unsigned_webhook(limiters: &Limiters, peer: &SocketAddr, source: &'static str) -> ApiError {
    metrics::counter!("revive_webhooks_total", "source" => source, "outcome" => "unauthorized").increment(1);
    match check(&limiters.per_ip, &peer.ip()) {
        Ok(()) => ApiError::Unauthorized,
        Err(limited) => limited,
    }
}

/// Middleware for public routes: limits by the connecting peer's IP.
pub async fn per_ip(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match check(&state.limiters.per_ip, &peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// Periodically forgets idle keys.
pub fn spawn_janitor(limiters: std::sync::Arc<Limiters>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiters.retain_recent();
        }
    });
}
