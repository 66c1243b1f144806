//! Retention settings: timing, flows, quiet hours, caps (read: viewer; write: admin).

use axum::Json;
use axum::extract::State;
use chrono::NaiveTime;
use revive_shared::db::audit;
use revive_shared::db::retention::{self, RetentionSettings};
use revive_shared::db::scheduled::FLOWS;
use revive_shared::role::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{SessionUser, ValidJson};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

/// A partial change: fields left out keep their value.
#[derive(Deserialize, Validate, ToSchema)]
pub struct SettingsChange {
    #[validate(range(min = 1, max = 2160, message = "must be 1 to 2160 hours (90 days)"))]
    pub checkin_offset_hours: Option<i32>,
    #[validate(range(min = 1, max = 4320, message = "must be 1 to 4320 hours (180 days)"))]
    pub followup_offset_hours: Option<i32>,
    /// review, replenishment or upsell.
    #[validate(custom(function = "known_followup"))]
    pub followup_flow: Option<String>,
    /// Any of checkin, review, replenishment, upsell.
    #[validate(custom(function = "known_flows"))]
    pub enabled_flows: Option<Vec<String>>,
    #[validate(range(min = 0, max = 60, message = "must be 0 to 60 days"))]
    pub transit_estimate_days: Option<i32>,
    /// `HH:MM` in the customer's time zone.
    #[validate(custom(function = "clock_time"))]
    pub quiet_hours_start: Option<String>,
    #[validate(custom(function = "clock_time"))]
    pub quiet_hours_end: Option<String>,
    #[validate(range(min = 0, max = 50, message = "must be 0 to 50"))]
    pub frequency_cap_per_week: Option<i32>,
    /// 0 to 100; send `null` for none. Left out keeps the current value.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub max_discount_percent: Option<Option<i32>>,
    #[validate(range(min = 1, max = 90, message = "must be 1 to 90 days"))]
    pub attribution_window_days: Option<i32>,
    /// Percent of customers per flow held out as a control group (0 to 50).
    #[validate(range(min = 0, max = 50, message = "must be 0 to 50"))]
    pub holdout_percent: Option<i32>,
    /// Delete message bodies after this many days; send `null` to keep them.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub message_retention_days: Option<Option<i32>>,
}

/// Tells a field left out (`None`) from one set to null (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
        Option::<i32>::deserialize(d).map(Some)
    }
}

fn known_followup(f: &str) -> Result<(), ValidationError> {
    if matches!(f, "review" | "replenishment" | "upsell") {
        Ok(())
    } else {
        Err(ValidationError::new("flow").with_message("must be review, replenishment or upsell".into()))
    }
}

fn known_flows(list: &[String]) -> Result<(), ValidationError> {
    if list.iter().all(|f| FLOWS.contains(&f.as_str())) {
        Ok(())
    } else {
        Err(ValidationError::new("flows")
            .with_message("may only hold checkin, review, replenishment, upsell".into()))
    }
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .ok()
}

fn clock_time(s: &str) -> Result<(), ValidationError> {
    parse_time(s).map(|_| ()).ok_or_else(|| ValidationError::new("time").with_message("must be HH:MM".into()))
}

/// The merchant's retention settings.
#[utoipa::path(get, path = "/api/v1/settings/retention", tag = "retention", security(("session" = [])),
    responses((status = 200, body = RetentionSettings), (status = 401, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    session: SessionUser,
) -> ApiResult<Json<RetentionSettings>> {
    session.require(Role::Viewer)?;
    let mut tx = state.db.begin(session.merchant_id).await?;
    let settings = retention::get(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(settings))
}

/// Change some settings. New timings apply to orders delivered from now on.
#[utoipa::path(patch, path = "/api/v1/settings/retention", tag = "retention", security(("session" = [])),
    request_body = SettingsChange,
    responses((status = 200, body = RetentionSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_settings(
    State(state): State<AppState>,
    session: SessionUser,
    ValidJson(change): ValidJson<SettingsChange>,
) -> ApiResult<Json<RetentionSettings>> {
    session.require(Role::Admin)?;
    if let Some(Some(d)) = change.max_discount_percent
        && !(0..=100).contains(&d)
    {
        return Err(ApiError::field("max_discount_percent", "must be 0 to 100, or null for none"));
    }
    if let Some(Some(d)) = change.message_retention_days
        && !(1..=3650).contains(&d)
    {
        return Err(ApiError::field("message_retention_days", "must be 1 to 3650 days, or null to keep"));
    }
    let mut tx = state.db.begin(session.merchant_id).await?;
    let mut s = retention::get(&mut tx).await?;
    if let Some(v) = change.checkin_offset_hours {
        s.checkin_offset_hours = v;
    }
    if let Some(v) = change.followup_offset_hours {
        s.followup_offset_hours = v;
    }
    if let Some(v) = change.followup_flow {
        s.followup_flow = v;
    }
    if let Some(mut v) = change.enabled_flows {
        v.sort();
        v.dedup();
        s.enabled_flows = v;
    }
    if let Some(v) = change.transit_estimate_days {
        s.transit_estimate_days = v;
    }
    if let Some(v) = change.quiet_hours_start.as_deref().and_then(parse_time) {
        s.quiet_hours_start = v;
    }
    if let Some(v) = change.quiet_hours_end.as_deref().and_then(parse_time) {
        s.quiet_hours_end = v;
    }
    if let Some(v) = change.frequency_cap_per_week {
        s.frequency_cap_per_week = v;
    }
    if let Some(v) = change.max_discount_percent {
        s.max_discount_percent = v;
    }
    if let Some(v) = change.attribution_window_days {
        s.attribution_window_days = v;
    }
    if let Some(v) = change.holdout_percent {
        s.holdout_percent = v;
    }
    if let Some(v) = change.message_retention_days {
        s.message_retention_days = v;
    }
    if s.followup_offset_hours <= s.checkin_offset_hours {
        return Err(ApiError::field("followup_offset_hours", "must be later than checkin_offset_hours"));
    }
    let saved = retention::put(&mut tx, &s).await?;
    audit::record(&mut tx, &session.actor(), "settings.retention.update", None, json!(saved)).await?;
    tx.commit().await?;
    Ok(Json(saved))
}
