//! The payloads of background jobs. Plain data: the queue library lives in `revive-workers`,
//! which both binaries use to push and run them.

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, MerchantId};

/// Apply one stored external event (the order worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessEvent {
    pub merchant_id: MerchantId,
    pub event_id: EventId,
}

/// Send one due scheduled message (the sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    pub merchant_id: MerchantId,
    pub scheduled_id: uuid::Uuid,
}

/// Answer a customer: one conversation turn, for every message that arrived since the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Converse {
    pub merchant_id: MerchantId,
    pub conversation_id: uuid::Uuid,
    /// The inbound message that asked for this turn (or nil, from the sweeper).
    pub message_id: uuid::Uuid,
}

impl Converse {
    /// One job per inbound message: a message arriving while its predecessor's job waits gets
    /// a job of its own, and whichever runs after the quiet period answers both.
    pub fn task_id(&self) -> String {
        format!("turn-{}-{}", self.conversation_id, self.message_id)
    }
}

/// Cut one knowledge source into chunks and embed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedSource {
    pub merchant_id: MerchantId,
    pub source_id: uuid::Uuid,
}

impl EmbedSource {
    /// The job's id: a source's content hash is part of it, so an edited source gets a fresh job
    /// while the same content pushed twice is stored once.
    pub fn task_id(&self, content_hash: &[u8]) -> String {
        let hash: String = content_hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("embed-{}-{hash}", self.source_id)
    }
}

impl SendMessage {
    /// One id per message and due time: a message moved to another time (quiet hours, a retry,
    /// send-now, replay) gets a fresh job, and the same due time pushed twice is stored once.
    /// Microseconds, Postgres's own precision: with whole seconds a replay within a second of the
    /// failed attempt reused its id, and the queue's idempotency key silently dropped the job.
    pub fn task_id(&self, due_at: chrono::DateTime<chrono::Utc>) -> String {
        format!("send-{}-{}", self.scheduled_id, due_at.timestamp_micros())
    }
}

impl ProcessEvent {
    /// The job's id in the queue. One event has one job id, so pushing it twice stores it once.
    pub fn task_id(&self) -> String {
        format!("event-{}", self.event_id)
    }
}
