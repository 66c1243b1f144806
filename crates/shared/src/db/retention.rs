//! A merchant's retention settings (created with the merchant, defaults in the schema).

use chrono::NaiveTime;

use super::TenantTx;
use crate::{Error, Result};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RetentionSettings {
    /// Hours after delivery for the check-in (default 72: T+3 days).
    pub checkin_offset_hours: i32,
    /// Hours after delivery for the follow-up (default 336: T+14 days).
    pub followup_offset_hours: i32,
    /// review, replenishment or upsell: what the T+14 message is.
    pub followup_flow: String,
    pub enabled_flows: Vec<String>,
    /// Days after fulfilment to assume delivery when no delivery event arrives.
    pub transit_estimate_days: i32,
    /// No message is sent between these local times of the customer (wrapping midnight).
    #[schema(value_type = String, example = "21:00:00")]
    pub quiet_hours_start: NaiveTime,
    #[schema(value_type = String, example = "09:00:00")]
    pub quiet_hours_end: NaiveTime,
    /// Retention messages per customer per rolling week.
    pub frequency_cap_per_week: i32,
    /// The largest discount the AI may mention; none when null.
    pub max_discount_percent: Option<i32>,
    /// Days after a message in which a repeat order counts as its result.
    pub attribution_window_days: i32,
    /// Percent of customers (0 to 50) hashed into each flow's control group: they get no
    /// message, so analytics can compare their repeat orders with the messaged customers'.
    pub holdout_percent: i32,
    /// Message bodies older than this many days are deleted; never when null.
    pub message_retention_days: Option<i32>,
}

pub async fn get(tx: &mut TenantTx) -> Result<RetentionSettings> {
    sqlx::query_as!(
        RetentionSettings,
        "select checkin_offset_hours, followup_offset_hours, followup_flow, enabled_flows,
                transit_estimate_days, quiet_hours_start, quiet_hours_end, frequency_cap_per_week,
                max_discount_percent, attribution_window_days, holdout_percent, message_retention_days
         from retention_settings"
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)
}

/// Replaces the settings with `s` (the API merges a partial change into the current ones first).
pub async fn put(tx: &mut TenantTx, s: &RetentionSettings) -> Result<RetentionSettings> {
    sqlx::query_as!(
        RetentionSettings,
        "update retention_settings set
           checkin_offset_hours = $1, followup_offset_hours = $2, followup_flow = $3, enabled_flows = $4,
           transit_estimate_days = $5, quiet_hours_start = $6, quiet_hours_end = $7,
           frequency_cap_per_week = $8, max_discount_percent = $9, attribution_window_days = $10,
           holdout_percent = $11, message_retention_days = $12, updated_at = now()
         returning checkin_offset_hours, followup_offset_hours, followup_flow, enabled_flows,
                   transit_estimate_days, quiet_hours_start, quiet_hours_end, frequency_cap_per_week,
                   max_discount_percent, attribution_window_days, holdout_percent, message_retention_days",
        s.checkin_offset_hours,
        s.followup_offset_hours,
        s.followup_flow,
        &s.enabled_flows,
        s.transit_estimate_days,
        s.quiet_hours_start,
        s.quiet_hours_end,
        s.frequency_cap_per_week,
        s.max_discount_percent,
        s.attribution_window_days,
        s.holdout_percent,
        s.message_retention_days
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)
}
