//! `process_event`, the order worker: apply one stored external event to customers, the consent
//! ledger, orders and their schedules (`shared::retention::apply`), and record its outcome. The
//! job is idempotent: [`events::claim`] only takes an event that is still waiting, inside the same
//! transaction as its effects, so a duplicate or retried job changes nothing.

use apalis::prelude::{AbortError, Attempt, BoxDynError, Data};
use revive_shared::db::events::{self, Outcome};
use revive_shared::jobs::{EmbedSource, ProcessEvent};
use revive_shared::retention::apply::{self, Keys};

use crate::Deps;

/// Runs before an event with a permanent error (stored data that cannot be read) is marked
/// failed and its job sent to the dead set. apalis itself re-schedules failures up to a
/// hard-coded 25 times (STACK.md pitfall 3), so the limit is ours. Transient errors (Postgres
/// unreachable) are never given up on here: apalis retries them, and should its 25 runs end, the
/// event is still `queued` and the sweeper pushes it again. (Transient failures are not
/// counted in the event's `attempts` either: the database they would be written to is the one
/// that failed.)
pub const MAX_ATTEMPTS: usize = 8;

#[tracing::instrument(skip_all, fields(merchant_id = %job.merchant_id, event_id = %job.event_id), err)]
pub async fn handle(job: ProcessEvent, attempt: Attempt, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let e = match run(&job, &deps).await {
        Ok(outcome) => {
            metrics::counter!("revive_jobs_total", "queue" => "process_event", "outcome" => outcome)
                .increment(1);
            return Ok(());
        }
        Err(e) => e,
    };
    if is_transient(&e) {
        metrics::counter!("revive_jobs_total", "queue" => "process_event", "outcome" => "retry").increment(1);
        return Err(e.into());
    }
    // The run's own count rolled back with it.
    count_failed(&job, &deps).await;
    // apalis counts the current run in `attempt` before calling the handler.
    if attempt.current() >= MAX_ATTEMPTS {
        tracing::error!(error = %e, attempts = attempt.current(), "event failed for good");
        give_up(&job, &deps, &e.to_string()).await?;
        metrics::counter!("revive_jobs_total", "queue" => "process_event", "outcome" => "dead").increment(1);
        return Err(AbortError::new(e).into());
    }
    metrics::counter!("revive_jobs_total", "queue" => "process_event", "outcome" => "retry").increment(1);
    Err(e.into())
}

/// Records a failed run in the event's `attempts` (what the dashboard shows). A failure to
/// record it is only logged: the run failed, and its retry is what matters.
async fn count_failed(job: &ProcessEvent, deps: &Deps) {
    let counted = async {
        let mut tx = deps.db.begin(job.merchant_id).await?;
        events::count_attempt(&mut tx, job.event_id).await?;
        tx.commit().await
    };
    if let Err(e) = counted.await {
        tracing::warn!(error = %e, "could not count a failed attempt");
    }
}

/// Errors that say nothing about the event itself.
fn is_transient(e: &revive_shared::Error) -> bool {
    use revive_shared::Error as E;
    matches!(
        e,
        E::Database(
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)
        )
    )
}

async fn run(job: &ProcessEvent, deps: &Deps) -> revive_shared::Result<&'static str> {
    // One transaction per run: the claim counts the attempt (a failed run counts it in
    // `handle`), so a successful run costs one commit, not two (see docs/performance.md).
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let Some(claimed) = events::claim(&mut tx, job.event_id).await? else {
        return Ok("duplicate");
    };
    let keys = Keys { cipher: &deps.config.cipher, blind_index: &deps.config.blind_index };
    let applied = apply::apply(&mut tx, &keys, job.event_id, &claimed).await?;
    // A rejection found at normalization stays the reason; otherwise the worker's note is.
    let reason = if claimed.rejection.is_some() { None } else { applied.note.as_deref() };
    events::finish(&mut tx, job.event_id, applied.outcome, reason).await?;
    tx.commit().await?;
    if let Some((source_id, hash)) = &applied.embed {
        // A push Redis does not take is made up by the sweeper (sources waiting too long).
        let embed = EmbedSource { merchant_id: job.merchant_id, source_id: *source_id };
        if let Err(e) = deps.queues.push_embed(embed, hash, std::time::Duration::from_secs(2)).await {
            tracing::warn!(error = %e, "could not queue a product's embedding; the sweeper will");
        }
    }
    Ok(if applied.outcome == Outcome::Processed { "processed" } else { "rejected" })
}

async fn give_up(job: &ProcessEvent, deps: &Deps, why: &str) -> revive_shared::Result<()> {
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let reason = format!("processing failed {MAX_ATTEMPTS} times: {why}");
    events::finish(&mut tx, job.event_id, Outcome::Failed, Some(&reason)).await?;
    tx.commit().await
}
