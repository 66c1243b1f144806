//! Everything `revive-api` and `revive-workers` share: configuration, domain types, tenant-scoped
//! database access and crypto. No HTTP framework and no queue library in here.

pub mod ai;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod crypto;
pub mod db;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod knowledge;
pub mod metrics_buckets;
pub mod normalize;
pub mod phone;
pub mod providers;
pub mod redact;
pub mod retention;
pub mod role;
pub mod shutdown;
pub mod whatsapp;

pub use error::{Error, Result};
