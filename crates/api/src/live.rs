//! Live updates: Postgres announces every new or changed message, conversation state and audit
//! entry on the `revive_live` channel (triggers, so the workers' writes count too); one listener
//! per API process turns them into [`LiveEvent`]s on a broadcast channel, and each dashboard's
//! event stream (`routes::live`) keeps only its own merchant's.
//!
//! Notifications are not durable: while the listener reconnects (Postgres restarted) some are
//! missed, so every stream is then told to `resync` (refetch what it shows).

use std::time::Duration;

use revive_shared::ids::MerchantId;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

const CHANNEL: &str = "revive_live";
/// Events kept for a slow stream before it is told to resync instead.
const BACKLOG: usize = 1024;

#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// `None`: for every merchant (a resync after a lost connection).
    pub merchant: Option<MerchantId>,
    /// `message`, `conversation`, `activity` or `resync`.
    pub event: String,
    /// JSON.
    pub data: String,
}

/// The payload the triggers write.
#[derive(Deserialize)]
struct Notice {
    merchant_id: uuid::Uuid,
    event: String,
    data: serde_json::Value,
}

#[derive(Clone)]
pub struct Live {
    events: broadcast::Sender<LiveEvent>,
    closing: watch::Receiver<bool>,
    close: std::sync::Arc<watch::Sender<bool>>,
}

impl Live {
    /// Starts listening before the server takes requests (so nothing written after start-up is
    /// missed), then keeps listening in a task that reconnects by itself.
    pub async fn start(database_url: SecretString) -> Self {
        let (events, _) = broadcast::channel(BACKLOG);
        let (close, closing) = watch::channel(false);
        let first = match connect(&database_url).await {
            Ok(listener) => Some(listener),
            Err(e) => {
                tracing::warn!(error = %e, "live updates: cannot listen yet; retrying in the background");
                None
            }
        };
        tokio::spawn(listen(database_url, first, events.clone(), closing.clone()));
        Live { events, closing, close: std::sync::Arc::new(close) }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.events.subscribe()
    }

    /// Resolves when the server is shutting down: streams end so the shutdown is not held up.
    pub fn closing(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        let mut closing = self.closing.clone();
        async move {
            let _ = closing.wait_for(|c| *c).await;
        }
    }

    pub fn close(&self) {
        let _ = self.close.send(true);
    }
}

async fn connect(url: &SecretString) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url.expose_secret()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn listen(
    url: SecretString,
    mut first: Option<PgListener>,
    events: broadcast::Sender<LiveEvent>,
    closing: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if *closing.borrow() {
            return;
        }
        let mut listener = match first.take() {
            Some(l) => l,
            None => match connect(&url).await {
                Ok(l) => {
                    // Anything may have happened while we were not listening.
                    let _ =
                        events.send(LiveEvent { merchant: None, event: "resync".into(), data: "{}".into() });
                    l
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: cannot listen to Postgres; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(200);
        // `Ok(None)` or an error: the connection was lost; the outer loop reconnects.
        while let Ok(Some(notification)) = listener.try_recv().await {
            match serde_json::from_str::<Notice>(notification.payload()) {
                Ok(n) => {
                    // No subscriber is not an error: nobody has the dashboard open.
                    let _ = events.send(LiveEvent {
                        merchant: Some(MerchantId(n.merchant_id)),
                        event: n.event,
                        data: n.data.to_string(),
                    });
                }
                Err(e) => tracing::warn!(error = %e, "live updates: unreadable notification"),
            }
        }
        tracing::warn!("live updates: lost the Postgres connection; reconnecting");
    }
}
