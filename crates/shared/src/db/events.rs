//! `external_events`: every inbound store event, normalized, stored before anything acts on it.
//!
//! Life of an event: `pending` (stored) → `queued` (its `process_event` job is in Redis) →
//! `processed` / `rejected` / `failed`. Topics Revive does not act on, and events for a paused
//! integration, are stored as `ignored` and never queued.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::TenantTx;
use crate::crypto::FieldCipher;
use crate::ids::{EventId, ImportId, IntegrationId, MerchantId};
use crate::normalize::{EventType, Normalized};
use crate::{Error, Result};

/// An event ready to be stored.
pub struct NewEvent {
    pub integration_id: Option<IntegrationId>,
    pub import_id: Option<ImportId>,
    /// The dedupe key within (merchant, source).
    pub external_id: String,
    pub shopify_webhook_id: Option<String>,
    pub shopify_event_id: Option<String>,
    pub triggered_at: Option<DateTime<Utc>>,
    pub normalized: Normalized,
    /// The body as received; stored encrypted only.
    pub raw: Option<Vec<u8>>,
    /// Store as `ignored` (a paused integration) whatever the type.
    pub ignore: bool,
}

impl NewEvent {
    pub fn content_hash(&self) -> [u8; 32] {
        self.normalized.content_hash()
    }

    /// False for events stored as `ignored`: a topic Revive does not act on, or a paused
    /// integration.
    pub fn needs_job_type(&self) -> bool {
        !self.ignore && self.normalized.event.event_type != EventType::Ignored
    }

    /// `pending`, `rejected` (unreadable, nothing to process) or `ignored`.
    pub fn initial_status(&self) -> &'static str {
        match (self.needs_job_type(), &self.normalized.rejection) {
            (true, _) => "pending",
            // A body that could not be read at all has nothing to process: final at once.
            (false, Some(_)) if !self.ignore => "rejected",
            (false, _) => "ignored",
        }
    }
}

/// Associated data for an event's encrypted columns.
fn context(merchant: MerchantId, column: &str) -> String {
    format!("external_events.{column}:{merchant}")
}

/// A stored event that needs its job.
#[derive(Debug, Clone)]
pub struct Inserted {
    pub id: EventId,
    pub external_id: String,
    pub needs_job: bool,
}

/// Inserts events, skipping those whose (source, external id) is already stored. Returns the
/// ones inserted; the caller compares the rest with [`content_hashes`].
pub async fn insert_many(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    events: &[NewEvent],
) -> Result<Vec<Inserted>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let merchant = tx.merchant();
    let (phone_ctx, email_ctx, raw_ctx) =
        (context(merchant, "phone"), context(merchant, "email"), context(merchant, "raw"));
    let n = events.len();
    let mut cols = Columns::with_capacity(n);
    for e in events {
        let norm = &e.normalized;
        cols.integration_id.push(e.integration_id.map(|i| i.0));
        cols.import_id.push(e.import_id.map(|i| i.0));
        cols.source.push(norm.event.source.as_str().to_owned());
        cols.topic.push(norm.event.topic.clone());
        cols.event_type.push(norm.event.event_type.as_str().to_owned());
        cols.external_id.push(e.external_id.clone());
        cols.webhook_id.push(e.shopify_webhook_id.clone());
        cols.shopify_event_id.push(e.shopify_event_id.clone());
        cols.triggered_at.push(e.triggered_at);
        cols.occurred_at.push(norm.event.occurred_at);
        cols.status.push(e.initial_status().to_owned());
        cols.reason.push(norm.rejection.clone());
        cols.normalized.push(serde_json::to_value(&norm.event).map_err(|e| Error::Invalid(e.to_string()))?);
        cols.phone_enc.push(
            norm.contact.phone.as_ref().map(|p| cipher.encrypt_str(p.expose(), &phone_ctx)).transpose()?,
        );
        cols.email_enc
            .push(norm.contact.email.as_ref().map(|m| cipher.encrypt_str(m, &email_ctx)).transpose()?);
        cols.raw_enc.push(e.raw.as_ref().map(|r| cipher.encrypt(r, &raw_ctx)).transpose()?);
        cols.content_hash.push(e.content_hash().to_vec());
    }
    let rows = sqlx::query!(
        r#"insert into external_events
             (merchant_id, integration_id, import_id, source, topic, event_type, external_id,
              shopify_webhook_id, shopify_event_id, triggered_at, occurred_at, status, reason,
              normalized, phone_enc, email_enc, raw_enc, content_hash)
           select $1, * from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                                    $7::text[], $8::text[], $9::text[], $10::timestamptz[],
                                    $11::timestamptz[], $12::text[], $13::text[], $14::jsonb[],
                                    $15::bytea[], $16::bytea[], $17::bytea[], $18::bytea[])
           on conflict (merchant_id, source, external_id) do nothing
           returning id as "id: EventId", external_id, status"#,
        merchant.0,
        &cols.integration_id as &[Option<uuid::Uuid>],
        &cols.import_id as &[Option<uuid::Uuid>],
        &cols.source,
        &cols.topic,
        &cols.event_type,
        &cols.external_id,
        &cols.webhook_id as &[Option<String>],
        &cols.shopify_event_id as &[Option<String>],
        &cols.triggered_at as &[Option<DateTime<Utc>>],
        &cols.occurred_at as &[Option<DateTime<Utc>>],
        &cols.status,
        &cols.reason as &[Option<String>],
        &cols.normalized,
        &cols.phone_enc as &[Option<Vec<u8>>],
        &cols.email_enc as &[Option<Vec<u8>>],
        &cols.raw_enc as &[Option<Vec<u8>>],
        &cols.content_hash,
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Inserted { id: r.id, external_id: r.external_id, needs_job: r.status == "pending" })
        .collect())
}

/// Column-wise arrays for `unnest`: one round trip for a whole batch.
struct Columns {
    integration_id: Vec<Option<uuid::Uuid>>,
    import_id: Vec<Option<uuid::Uuid>>,
    source: Vec<String>,
    topic: Vec<String>,
    event_type: Vec<String>,
    external_id: Vec<String>,
    webhook_id: Vec<Option<String>>,
    shopify_event_id: Vec<Option<String>>,
    triggered_at: Vec<Option<DateTime<Utc>>>,
    occurred_at: Vec<Option<DateTime<Utc>>>,
    status: Vec<String>,
    reason: Vec<Option<String>>,
    normalized: Vec<Value>,
    phone_enc: Vec<Option<Vec<u8>>>,
    email_enc: Vec<Option<Vec<u8>>>,
    raw_enc: Vec<Option<Vec<u8>>>,
    content_hash: Vec<Vec<u8>>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            integration_id: Vec::with_capacity(n),
            import_id: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            topic: Vec::with_capacity(n),
            event_type: Vec::with_capacity(n),
            external_id: Vec::with_capacity(n),
            webhook_id: Vec::with_capacity(n),
            shopify_event_id: Vec::with_capacity(n),
            triggered_at: Vec::with_capacity(n),
            occurred_at: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            reason: Vec::with_capacity(n),
            normalized: Vec::with_capacity(n),
            phone_enc: Vec::with_capacity(n),
            email_enc: Vec::with_capacity(n),
            raw_enc: Vec::with_capacity(n),
            content_hash: Vec::with_capacity(n),
        }
    }
}

/// The stored content hash for each of `external_ids` that exists.
pub async fn content_hashes(
    tx: &mut TenantTx,
    source: &str,
    external_ids: &[String],
) -> Result<Vec<(String, EventId, Option<Vec<u8>>)>> {
    let rows = sqlx::query!(
        r#"select external_id, id as "id: EventId", content_hash from external_events
           where source = $1 and external_id = any($2)"#,
        source,
        external_ids
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.external_id, r.id, r.content_hash)).collect())
}

/// Records that these events' jobs are in the queue.
pub async fn mark_queued(tx: &mut TenantTx, ids: &[EventId]) -> Result<()> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
    sqlx::query!(
        "update external_events set status = 'queued', enqueued_at = now()
         where id = any($1) and status in ('pending', 'queued')",
        &ids
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An event taken up by its job.
pub struct Claimed {
    pub normalized: Value,
    /// Set when normalization already found the event unusable.
    pub rejection: Option<String>,
    pub attempts: i32,
    pub received_at: DateTime<Utc>,
    pub phone_enc: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
}

impl Claimed {
    /// The event's phone number, decrypted.
    pub fn phone(
        &self,
        cipher: &FieldCipher,
        merchant: MerchantId,
    ) -> Result<Option<crate::phone::PhoneE164>> {
        let Some(enc) = &self.phone_enc else { return Ok(None) };
        let raw = cipher.decrypt_string(enc, &context(merchant, "phone"))?;
        crate::phone::PhoneE164::parse(&raw, None).map(Some).map_err(|e| Error::Corrupt(e.to_string()))
    }

    pub fn email(&self, cipher: &FieldCipher, merchant: MerchantId) -> Result<Option<String>> {
        self.email_enc
            .as_ref()
            .map(|enc| cipher.decrypt_string(enc, &context(merchant, "email")))
            .transpose()
            .map_err(Into::into)
    }
}

/// Counts a failed run of an event's job, in a transaction of its own (a successful run is
/// counted by [`claim`]). `None` when the event is already settled.
pub async fn count_attempt(tx: &mut TenantTx, id: EventId) -> Result<Option<i32>> {
    let attempts = sqlx::query_scalar!(
        "update external_events set attempts = attempts + 1
         where id = $1 and status in ('pending', 'queued') returning attempts",
        id.0
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(attempts)
}

/// Takes an event up for processing and counts the attempt, locking its row until the
/// transaction ends; `None` when it is already settled, so two runs of one job never both apply
/// it. The count rolls back with a failed run: the caller records those with
/// [`count_attempt`].
pub async fn claim(tx: &mut TenantTx, id: EventId) -> Result<Option<Claimed>> {
    let row = sqlx::query!(
        r#"update external_events set attempts = attempts + 1
           where id = $1 and status in ('pending', 'queued') and normalized is not null
           returning normalized as "normalized!", reason, attempts, received_at, phone_enc, email_enc"#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| Claimed {
        normalized: r.normalized,
        rejection: r.reason,
        attempts: r.attempts,
        received_at: r.received_at,
        phone_enc: r.phone_enc,
        email_enc: r.email_enc,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Processed,
    Rejected,
    Failed,
}

/// Records the order an event was applied to.
pub async fn set_order(tx: &mut TenantTx, id: EventId, order: uuid::Uuid) -> Result<()> {
    sqlx::query!("update external_events set order_id = $2 where id = $1", id.0, order)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn finish(tx: &mut TenantTx, id: EventId, outcome: Outcome, reason: Option<&str>) -> Result<()> {
    let status = match outcome {
        Outcome::Processed => "processed",
        Outcome::Rejected => "rejected",
        Outcome::Failed => "failed",
    };
    sqlx::query!(
        "update external_events set status = $2, reason = coalesce($3, reason), processed_at = now()
         where id = $1",
        id.0,
        status,
        reason
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Events waiting for the queue, across merchants (SECURITY DEFINER look-up).
pub async fn to_enqueue(
    pool: &sqlx::PgPool,
    pending_for: std::time::Duration,
    queued_for: std::time::Duration,
    limit: i32,
) -> Result<Vec<(MerchantId, EventId)>> {
    let interval = |d: std::time::Duration| sqlx::postgres::types::PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    };
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: MerchantId", event_id as "event_id!: EventId"
           from revive_private.events_to_enqueue($1, $2, $3)"#,
        interval(pending_for),
        interval(queued_for),
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.event_id)).collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventSummary {
    pub id: EventId,
    pub source: String,
    pub topic: String,
    pub event_type: String,
    pub external_id: String,
    /// pending, queued, processed, rejected, ignored or failed.
    pub status: String,
    /// Why it was rejected, ignored or failed.
    pub reason: Option<String>,
    pub integration_id: Option<IntegrationId>,
    pub import_id: Option<ImportId>,
    pub attempts: i32,
    pub occurred_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub source: Option<String>,
    pub event_type: Option<String>,
    pub status: Option<String>,
    /// Keyset cursor: events received before this one.
    pub before: Option<EventId>,
    pub limit: i64,
}

/// Newest first, filtered.
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<EventSummary>> {
    let rows = sqlx::query_as!(
        EventSummary,
        r#"select id as "id: EventId", source, topic, event_type, external_id, status, reason,
                  integration_id as "integration_id: IntegrationId", import_id as "import_id: ImportId",
                  attempts, occurred_at, received_at, processed_at
           from external_events
           where ($1::text is null or source = $1)
             and ($2::text is null or event_type = $2)
             and ($3::text is null or status = $3)
             and ($4::uuid is null or (received_at, id) <
                  (select c.received_at, c.id from external_events c where c.id = $4))
           order by received_at desc, id desc
           limit $5"#,
        f.source,
        f.event_type,
        f.status,
        f.before.map(|b| b.0),
        f.limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventDetail {
    #[serde(flatten)]
    pub summary: EventSummary,
    pub shopify_webhook_id: Option<String>,
    pub shopify_event_id: Option<String>,
    pub triggered_at: Option<DateTime<Utc>>,
    pub enqueued_at: Option<DateTime<Utc>>,
    /// The normalized event (no phone number or email in it).
    pub normalized: Option<Value>,
}

pub async fn get(tx: &mut TenantTx, id: EventId) -> Result<EventDetail> {
    let r = sqlx::query!(
        r#"select id as "id: EventId", source, topic, event_type, external_id, status, reason,
                  integration_id as "integration_id: IntegrationId", import_id as "import_id: ImportId",
                  attempts, occurred_at, received_at, processed_at, shopify_webhook_id,
                  shopify_event_id, triggered_at, enqueued_at, normalized
           from external_events where id = $1"#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?;
    Ok(EventDetail {
        summary: EventSummary {
            id: r.id,
            source: r.source,
            topic: r.topic,
            event_type: r.event_type,
            external_id: r.external_id,
            status: r.status,
            reason: r.reason,
            integration_id: r.integration_id,
            import_id: r.import_id,
            attempts: r.attempts,
            occurred_at: r.occurred_at,
            received_at: r.received_at,
            processed_at: r.processed_at,
        },
        shopify_webhook_id: r.shopify_webhook_id,
        shopify_event_id: r.shopify_event_id,
        triggered_at: r.triggered_at,
        enqueued_at: r.enqueued_at,
        normalized: r.normalized,
    })
}

/// One merchant's store events still to be applied by the order worker, and those it gave up on.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct QueueStats {
    /// Stored and not yet processed (queued or waiting for the sweeper).
    pub pending: i64,
    /// Retries exhausted: the event is kept with its reason and can be sent again.
    pub failed: i64,
    /// Seconds the oldest unprocessed event has waited; 0 when none waits.
    pub oldest_pending_secs: i64,
}

pub async fn queue_stats(tx: &mut TenantTx) -> Result<QueueStats> {
    let s = sqlx::query_as!(
        QueueStats,
        r#"select count(*) filter (where status in ('pending', 'queued')) as "pending!",
                  count(*) filter (where status = 'failed') as "failed!",
                  coalesce(extract(epoch from now() - min(received_at) filter (where status in ('pending', 'queued'))),
                           0)::bigint as "oldest_pending_secs!"
           from external_events
           where status in ('pending', 'queued', 'failed')"#
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(s)
}
