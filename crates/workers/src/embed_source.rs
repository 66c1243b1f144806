//! `embed_source`: cut one knowledge source into chunks, embed them and store them, recording
//! progress as it goes (`chunks_done` of `chunks_total`, readable by API).
//!
//! Idempotent: the job takes only a source still waiting (`pending` or `embedding`), and starting
//! over deletes whatever chunks an interrupted run stored, so a retried or duplicate job leaves
//! exactly one set of chunks.

use apalis::prelude::{BoxDynError, Data};
use revive_shared::db::knowledge;
use revive_shared::jobs::EmbedSource;

use crate::Deps;

/// Chunks stored per transaction: the progress the API shows moves in steps this size.
const BATCH: usize = 32;

#[tracing::instrument(skip_all, fields(merchant_id = %job.merchant_id, source_id = %job.source_id), err)]
pub async fn handle(job: EmbedSource, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let outcome = run(&job, &deps).await?;
    metrics::counter!("revive_jobs_total", "queue" => "embed_source", "outcome" => outcome).increment(1);
    Ok(())
}

async fn run(job: &EmbedSource, deps: &Deps) -> revive_shared::Result<&'static str> {
    let model = deps.ai.embedder.model();
    let mut tx = deps.db.begin(job.merchant_id).await?;
    let Some(source) = knowledge::lock_for_embedding(&mut tx, job.source_id).await? else {
        return Ok("duplicate");
    };
    let text = revive_shared::knowledge::plain_text(&source.format, &source.content);
    let chunks = revive_shared::knowledge::chunks(&text);
    if chunks.is_empty() {
        knowledge::finish_embedding(&mut tx, job.source_id, Some("the source has no text")).await?;
        tx.commit().await?;
        return Ok("empty");
    }
    knowledge::begin_embedding(&mut tx, job.source_id, chunks.len() as i32, model).await?;
    tx.commit().await?;

    for (n, batch) in chunks.chunks(BATCH).enumerate() {
        let vectors = deps.ai.embedder.embed(batch).await?;
        let pairs: Vec<(String, Vec<f32>)> = batch.iter().cloned().zip(vectors).collect();
        let mut tx = deps.db.begin(job.merchant_id).await?;
        // Deleted or edited meanwhile: stop; an edit has queued a job of its own.
        if !knowledge::still_embedding(&mut tx, job.source_id, source.content_hash.as_deref()).await? {
            return Ok("superseded");
        }
        knowledge::add_chunks(&mut tx, job.source_id, (n * BATCH) as i32, &pairs, model).await?;
        tx.commit().await?;
    }
    let mut tx = deps.db.begin(job.merchant_id).await?;
    if !knowledge::still_embedding(&mut tx, job.source_id, source.content_hash.as_deref()).await? {
        return Ok("superseded");
    }
    knowledge::finish_embedding(&mut tx, job.source_id, None).await?;
    tx.commit().await?;
    Ok("embedded")
}
