//! Storing events and queueing their jobs: the one path every source (webhook, events API, CSV
//! import) takes, so "stored, then queued, else swept later" holds for all of them.

use std::time::Duration;

use revive_shared::db::audit::{self, Actor};
use revive_shared::db::events::{self, Inserted, NewEvent};
use revive_shared::db::integrations;
use revive_shared::ids::{IntegrationId, MerchantId};
use revive_shared::jobs::ProcessEvent;

use crate::error::ApiResult;
use crate::state::AppState;

/// How long a request waits for Redis before leaving its events to the sweeper. Shopify gives
/// a webhook 5 seconds in all.
const PUSH_WITHIN: Duration = Duration::from_millis(1500);

/// Stores `events` for `merchant` in one transaction and returns those that were new (the rest
/// were already stored). Their jobs are pushed right after the commit. `integration` has its
/// last-event time refreshed. `actor`, when given, gets one audit line for the call (a CSV
/// import's chunks pass none: the upload itself is audited).
pub async fn store(
    state: &AppState,
    merchant: MerchantId,
    integration: Option<IntegrationId>,
    events: &[NewEvent],
    actor: Option<&Actor>,
) -> ApiResult<Vec<Inserted>> {
    let mut tx = state.db.begin(merchant).await?;
    let inserted = events::insert_many(&mut tx, &state.config.cipher, events).await?;
    if let (Some(id), false) = (integration, inserted.is_empty()) {
        integrations::touch_last_event(&mut tx, id).await?;
    }
    // One line per call, in the same transaction: a delivery that stored nothing new (a
    // duplicate) changed nothing.
    if let (Some(actor), false) = (actor, inserted.is_empty()) {
        let target = integration.map(|id| ("integration", id.to_string()));
        let types: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e.normalized.event.event_type.as_str()).collect();
        let details = serde_json::json!({"stored": inserted.len(), "types": types});
        audit::record(&mut tx, actor, "events.store", target, details).await?;
    }
    tx.commit().await?;
    enqueue(state, merchant, &inserted).await?;
    Ok(inserted)
}

/// Pushes the jobs of freshly stored events and marks them queued. With Redis down the events
/// stay `pending` (the answer is still a success: they are stored) and the sweeper pushes them
/// once Redis is back.
pub async fn enqueue(state: &AppState, merchant: MerchantId, inserted: &[Inserted]) -> ApiResult<()> {
    let ids: Vec<_> = inserted.iter().filter(|e| e.needs_job).map(|e| e.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let jobs: Vec<_> = ids.iter().map(|&event_id| ProcessEvent { merchant_id: merchant, event_id }).collect();
    match state.queues.push_events(&jobs, PUSH_WITHIN).await {
        Ok(()) => {
            let mut tx = state.db.begin(merchant).await?;
            events::mark_queued(&mut tx, &ids).await?;
            tx.commit().await?;
        }
        Err(e) => {
            metrics::counter!("revive_enqueue_deferred_total").increment(jobs.len() as u64);
            tracing::warn!(error = %e, events = jobs.len(), "queue unavailable; events left pending for the sweeper");
        }
    }
    Ok(())
}
