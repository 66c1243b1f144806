//! The sweeper: Postgres is the source of truth, so every event that should have a job but may
//! not (stored while Redis was down, or queued into a Redis that has since lost its memory) is
//! pushed again. Pushing is idempotent per event (see `queue`), so sweeping from several
//! processes at once is safe. It also runs the periodic upkeep that belongs to no request:
//! promoting due jobs, vacuuming finished ones, and purging message bodies past a merchant's
//! retention period.

use std::time::Duration;

use revive_shared::db::audit::{self, Actor};
use revive_shared::db::{events, privacy};
use revive_shared::ids::MerchantId;
use revive_shared::jobs::ProcessEvent;

use crate::Deps;

/// A pending event younger than this is left to the request that stored it, which is about to
/// push its job.
const PENDING_GRACE: Duration = Duration::from_secs(2);
const BATCH: i32 = 500;
/// apalis keeps every finished task's data and metadata forever (STACK.md pitfall 6); tasks
/// finished longer ago than this are removed.
const KEEP_FINISHED: Duration = Duration::from_secs(3600);
const VACUUM_EVERY: Duration = Duration::from_secs(600);

/// Sweeps until `shutdown` resolves.
pub async fn run(deps: Deps, shutdown: impl std::future::Future<Output = ()>) {
    let every = Duration::from_secs(deps.config.jobs.sweep_interval_secs);
    tokio::pin!(shutdown);
    let mut last_vacuum = tokio::time::Instant::now();
    let mut sweeps: u64 = 0;
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
        if last_vacuum.elapsed() >= VACUUM_EVERY {
            last_vacuum = tokio::time::Instant::now();
            vacuum(deps.queues.events.clone(), crate::queue::PROCESS_EVENT).await;
            vacuum(deps.queues.messages.clone(), crate::queue::SEND_MESSAGE).await;
            vacuum(deps.queues.knowledge.clone(), crate::queue::EMBED_SOURCE).await;
            vacuum(deps.queues.turns.clone(), crate::queue::CONVERSE).await;
        }
        // Keeps apalis-redis's own promotion small enough to work (see `queue`).
        if let Err(e) = deps.queues.promote_due().await {
            tracing::warn!(error = %e, "promoting due jobs failed");
        }
        match sweep_once(&deps).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "sweeper re-queued events"),
            // Redis or Postgres down: try again next round; nothing is lost meanwhile.
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
        if let Err(e) = dispatch_due(&deps).await {
            tracing::warn!(error = %e, "dispatching due messages failed");
        }
        if let Err(e) = requeue_embeddings(&deps).await {
            tracing::warn!(error = %e, "re-queueing knowledge sources failed");
        }
        if deps.config.ai.reembed
            && let Err(e) = reembed(&deps).await
        {
            tracing::warn!(error = %e, "queueing re-embeddings failed");
        }
        if let Err(e) = requeue_turns(&deps).await {
            tracing::warn!(error = %e, "re-queueing conversation turns failed");
        }
        // Retention is counted in days: every twelfth sweep (a minute at the default interval)
        // is soon enough, and spares every worker process a query per merchant each sweep.
        sweeps += 1;
        if sweeps % PURGE_EVERY_SWEEPS == 1
            && let Err(e) = purge_message_bodies(&deps).await
        {
            tracing::warn!(error = %e, "purging old message bodies failed");
        }
    }
}

async fn vacuum<S: apalis_core::backend::Vacuum>(mut storage: S, queue: &'static str)
where
    S::Error: std::fmt::Display,
{
    match storage.vacuum_before(KEEP_FINISHED).await {
        Ok(n) if n > 0 => tracing::info!(queue, tasks = n, "vacuumed finished jobs"),
        Ok(_) => {}
        Err(e) => tracing::warn!(queue, error = %e, "vacuum failed"),
    }
}

/// How recent an account's last status webhook must be for its statuses to count as flowing.
const STATUSES_FLOWING_WITHIN: chrono::Duration = chrono::Duration::hours(24);

/// Postgres is the timer of retention messages: every due `scheduled_messages` row is pushed as
/// a send job (a no-op while Redis holds that job), so a lost or flushed Redis loses nothing.
/// Returns how many were pushed.
pub async fn dispatch_due(deps: &Deps) -> anyhow::Result<usize> {
    let now = deps.clock.now();
    let due = revive_shared::db::sending::due(deps.db.pool(), now, BATCH).await?;
    let jobs: Vec<_> = due
        .iter()
        .map(|(merchant_id, scheduled_id, due_at)| {
            (
                revive_shared::jobs::SendMessage { merchant_id: *merchant_id, scheduled_id: *scheduled_id },
                *due_at,
            )
        })
        .collect();
    deps.queues.push_sends(&jobs, Duration::from_secs(5)).await?;
    for (merchant, order) in revive_shared::db::orders::presumed_delivered(deps.db.pool(), now, BATCH).await?
    {
        let mut tx = deps.db.begin(merchant).await?;
        revive_shared::retention::apply::schedule_presumed_delivery(&mut tx, order).await?;
        tx.commit().await?;
    }
    // Sends whose worker stopped between recording the intent and the outcome. A status
    // webhook confirms those WhatsApp accepted (`message_status`); what is still unconfirmed
    // after `send_stuck_secs` never reached WhatsApp, if its statuses are known to arrive.
    let stuck_for = Duration::from_secs(deps.config.jobs.send_stuck_secs);
    // Wall time, not the app clock: `updated_at` is written by Postgres's `now()`.
    let before = chrono::Utc::now() - stuck_for;
    for (merchant, id) in revive_shared::db::sending::stuck(deps.db.pool(), before, BATCH).await? {
        let mut tx = deps.db.begin(merchant).await?;
        let flowing =
            revive_shared::db::whatsapp_accounts::statuses_flowing(&mut tx, now, STATUSES_FLOWING_WITHIN)
                .await?;
        let settled =
            revive_shared::db::sending::reconcile_stuck(&mut tx, id, flowing, stuck_for, now).await?;
        match (settled, flowing) {
            (true, true) => {
                tracing::warn!(scheduled_id = %id, "unconfirmed send after a worker stopped; sending again")
            }
            (true, false) => {
                tracing::warn!(scheduled_id = %id, "send outcome unknown after a worker stopped; marked failed")
            }
            (false, _) => {}
        }
        tx.commit().await?;
    }
    Ok(jobs.len())
}

/// A knowledge source waiting this long for its embedding job is pushed again, in case Redis
/// lost the job (or its worker died mid-way; the job starts over).
const EMBED_RECHECK: chrono::Duration = chrono::Duration::minutes(10);

/// Pushes embedding jobs for sources that have waited too long. Idempotent like every push.
async fn requeue_embeddings(deps: &Deps) -> anyhow::Result<()> {
    let before = chrono::Utc::now() - EMBED_RECHECK;
    for (merchant_id, source_id) in
        revive_shared::db::knowledge::waiting(deps.db.pool(), before, BATCH).await?
    {
        let mut tx = deps.db.begin(merchant_id).await?;
        // Touch it, so the next sweep does not push it again before the job had a chance.
        let hash = revive_shared::db::knowledge::touch(&mut tx, source_id).await?;
        tx.commit().await?;
        let job = revive_shared::jobs::EmbedSource { merchant_id, source_id };
        deps.queues.push_embed(job, &hash, Duration::from_secs(5)).await?;
    }
    Ok(())
}

/// The embedding model changed (`AI_EMBEDDING_MODEL`, or a key set or removed): sources made by
/// another model are embedded again, a batch per sweep. Until a source's turn comes its chunks
/// are not found (queries compare like with like), so answers degrade to "not sure", never to
/// a wrong match.
async fn reembed(deps: &Deps) -> anyhow::Result<()> {
    let model = deps.ai.embedder.model();
    for (merchant_id, source_id) in
        revive_shared::db::knowledge::of_other_model(deps.db.pool(), model, BATCH).await?
    {
        let mut tx = deps.db.begin(merchant_id).await?;
        let hash = revive_shared::db::knowledge::mark_for_reembedding(&mut tx, source_id, model).await?;
        tx.commit().await?;
        let Some(hash) = hash else { continue };
        // The model goes into the task id: the same text embedded by a new model is new work.
        let id_hash = revive_shared::crypto::sha256(&[hash.as_slice(), model.as_bytes()].concat());
        let job = revive_shared::jobs::EmbedSource { merchant_id, source_id };
        deps.queues.push_embed(job, &id_hash, Duration::from_secs(5)).await?;
    }
    Ok(())
}

/// Inbound messages unanswered this long after arriving lost their turn's job (Redis lost it, or
/// it failed): the conversation gets a fresh one.
const TURN_RECHECK: chrono::Duration = chrono::Duration::seconds(30);

async fn requeue_turns(deps: &Deps) -> anyhow::Result<()> {
    let before = chrono::Utc::now() - TURN_RECHECK;
    let waiting = revive_shared::db::conversations::waiting(deps.db.pool(), before, BATCH).await?;
    // A fresh task id per minute: one push per conversation per minute at most.
    let minute = (chrono::Utc::now().timestamp() / 60) as u128;
    let jobs: Vec<_> = waiting
        .into_iter()
        .map(|(merchant_id, conversation_id)| revive_shared::jobs::Converse {
            merchant_id,
            conversation_id,
            message_id: uuid::Uuid::from_u128(minute),
        })
        .collect();
    deps.queues.push_turns(&jobs, Duration::ZERO, Duration::from_secs(5)).await?;
    Ok(())
}

/// Message bodies cleared per merchant per sweep: a merchant who just set a short retention
/// period has its backlog worked off over a few sweeps, each transaction short.
const PURGE_BATCH: i64 = 5_000;
/// The purge runs on the first sweep and every this many after.
const PURGE_EVERY_SWEEPS: u64 = 12;

/// Clears message bodies older than each merchant's retention period (a setting; unset keeps
/// them). Each purge is in the merchant's audit log, done by the sweeper. One merchant's failure
/// is logged and does not hold up the others.
pub async fn purge_message_bodies(deps: &Deps) -> anyhow::Result<u64> {
    let mut total = 0;
    for (merchant_id, days) in privacy::message_retention(deps.db.pool()).await? {
        match purge_merchant(deps, merchant_id, days).await {
            Ok(n) => total += n,
            Err(e) => {
                tracing::warn!(error = %e, %merchant_id, "purging a merchant's old message bodies failed")
            }
        }
    }
    Ok(total)
}

async fn purge_merchant(deps: &Deps, merchant_id: MerchantId, days: i32) -> revive_shared::Result<u64> {
    // Wall time, not the app clock: `created_at` is written by Postgres's `now()`.
    let before = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
    let mut tx = deps.db.begin(merchant_id).await?;
    let (bodies, summaries) = privacy::purge_message_bodies(&mut tx, before, PURGE_BATCH).await?;
    if bodies + summaries > 0 {
        let details =
            serde_json::json!({"messages": bodies, "summaries": summaries, "older_than_days": days});
        audit::record(&mut tx, &Actor::Worker("sweeper"), "messages.purge", None, details).await?;
    }
    tx.commit().await?;
    Ok(bodies)
}

/// One pass; returns how many events were pushed.
pub async fn sweep_once(deps: &Deps) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        // A queued event older than this is pushed again in case Redis lost it.
        let recheck = Duration::from_secs(deps.config.jobs.event_recheck_secs);
        let due = events::to_enqueue(deps.db.pool(), PENDING_GRACE, recheck, BATCH).await?;
        if due.is_empty() {
            return Ok(total);
        }
        let jobs: Vec<ProcessEvent> = due
            .iter()
            .map(|(merchant_id, event_id)| ProcessEvent { merchant_id: *merchant_id, event_id: *event_id })
            .collect();
        deps.queues.push_events(&jobs, Duration::from_secs(5)).await?;
        // Mark per merchant: each update runs under that merchant's row-level security.
        let mut by_merchant: std::collections::BTreeMap<_, Vec<_>> = Default::default();
        for (m, e) in &due {
            by_merchant.entry(m.0).or_default().push(*e);
        }
        for (merchant, ids) in by_merchant {
            let mut tx = deps.db.begin(merchant.into()).await?;
            events::mark_queued(&mut tx, &ids).await?;
            tx.commit().await?;
        }
        total += due.len();
        if due.len() < BATCH as usize {
            return Ok(total);
        }
    }
}
