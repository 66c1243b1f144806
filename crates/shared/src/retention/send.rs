//! What to do with a due retention message: cancel, skip, move, or send which text. Every
//! outcome carries the reason that goes into the message's "why" trail.

use chrono::{DateTime, Duration, Utc};

use super::timing;
use crate::db::retention::RetentionSettings;
use crate::db::scheduled::MARKETING_FLOWS;
use crate::db::sending::{FlowTemplate, Recent, SendContext};

/// Built-in texts for flows the merchant has no template for (sandbox only: Meta sends only
/// approved templates).
pub fn default_body(flow: &str) -> &'static str {
    match flow {
        "checkin" => {
            "Hi {{first_name}}, your order {{order_number}} from {{store}} arrived a few days ago. How is {{product}} working for you? Reply here with any question."
        }
        "review" => {
            "Hi {{first_name}}, would you share a short review of {{product}}? It helps {{store}} a lot. Thank you!"
        }
        "replenishment" => {
            "Hi {{first_name}}, running low on {{product}}? Reply here and {{store}} will help you reorder."
        }
        _ => {
            "Hi {{first_name}}, thanks again for your order from {{store}}. Reply here if we can help with anything."
        }
    }
}

/// What a template's `{{variables}}` are filled with for one customer.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub first_name: Option<String>,
    pub name: Option<String>,
    pub order_number: Option<String>,
    pub product: Option<String>,
    pub store: String,
}

impl Values {
    fn get(&self, name: &str) -> String {
        match name {
            "first_name" => {
                self.first_name.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "there".into())
            }
            "name" => self.name.clone().unwrap_or_else(|| "there".into()),
            "order_number" => self.order_number.clone().unwrap_or_default(),
            "product" => self.product.clone().unwrap_or_else(|| "your order".into()),
            "store" => self.store.clone(),
            _ => String::new(),
        }
    }
}

/// Fills `{{variables}}`; returns the text and the values in order (Meta's body parameters).
pub fn render(body: &str, ctx: &SendContext) -> (String, Vec<String>) {
    render_values(
        body,
        &Values {
            first_name: ctx.first_name.clone(),
            name: ctx.customer_name.clone(),
            order_number: ctx.order_number.clone(),
            product: ctx.product.clone(),
            store: ctx.merchant_name.clone(),
        },
    )
}

/// As [`render`], from values gathered elsewhere (an agent's template reply).
pub fn render_values(body: &str, values: &Values) -> (String, Vec<String>) {
    let value = |name: &str| values.get(name);
    let mut text = String::with_capacity(body.len() + 32);
    let mut params = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start + 2..].find("}}") else { break };
        let v = value(rest[start + 2..start + 2 + end].trim());
        text.push_str(&rest[..start]);
        text.push_str(&v);
        params.push(v);
        rest = &rest[start + 2 + end + 2..];
    }
    text.push_str(rest);
    (text, params)
}

pub enum Decision {
    /// Nothing should be sent about this order any more.
    Cancel(String),
    /// This message will not be sent (consent, cap); the order's other messages may be.
    Skip(String),
    /// Not now; at this time.
    Move(DateTime<Utc>, String),
    /// Send it.
    Send,
}

/// A retention message this late is not sent: after an outage, or for orders imported long
/// after their delivery (a CSV of last year's orders must not message last year's customers).
pub const MAX_LATENESS: Duration = Duration::hours(48);

/// The checks made at send time, in order (SPEC "Retention flow"). `gap` is the least time
/// between two messages to one customer.
pub fn decide(
    ctx: &SendContext,
    settings: &RetentionSettings,
    recent: Recent,
    gap: Duration,
    now: DateTime<Utc>,
) -> Decision {
    if now - ctx.due_at > MAX_LATENESS {
        return Decision::Skip(format!(
            "due {} but not sent within {} hours of that; a retention message this late is not sent",
            ctx.due_at.to_rfc3339(),
            MAX_LATENESS.num_hours()
        ));
    }
    if ctx.order_closed {
        return Decision::Cancel("order cancelled or refunded".into());
    }
    if ctx.erased {
        return Decision::Cancel("customer erased".into());
    }
    let marketing = MARKETING_FLOWS.contains(&ctx.flow.as_str());
    if marketing && !ctx.consent_marketing {
        return Decision::Skip("no WhatsApp marketing consent".into());
    }
    if !marketing && !ctx.consent_utility {
        return Decision::Skip("no consent for order messages".into());
    }
    if recent.this_week >= i64::from(settings.frequency_cap_per_week) {
        return Decision::Skip(format!(
            "frequency cap: {} message(s) in the last 7 days, the cap is {}",
            recent.this_week, settings.frequency_cap_per_week
        ));
    }
    if let Some(last) = recent.last_at.filter(|last| now < *last + gap) {
        let at = last + gap;
        return Decision::Move(
            at,
            format!(
                "another message went to this customer at {}; keeping {} s between messages",
                last.to_rfc3339(),
                gap.num_seconds()
            ),
        );
    }
    let tz = timing::zone(ctx.customer_timezone.as_deref(), Some(&ctx.merchant_timezone));
    if let Some(at) = timing::after_quiet_hours(now, tz, settings.quiet_hours_start, settings.quiet_hours_end)
    {
        return Decision::Move(
            at,
            format!("quiet hours in {tz}: moved to {}", at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z")),
        );
    }
    Decision::Send
}

/// Which text and template name to send with, or why there is none.
pub struct Content {
    pub template_id: Option<uuid::Uuid>,
    pub body: String,
    pub language: String,
    pub meta_template_name: Option<String>,
}

pub fn content(flow: &str, template: Option<FlowTemplate>, locale: Option<&str>) -> Content {
    match template {
        Some(t) => Content {
            template_id: Some(t.id),
            body: t.body,
            language: t.language,
            meta_template_name: t.meta_template_name.filter(|_| t.approved),
        },
        None => Content {
            template_id: None,
            body: default_body(flow).to_owned(),
            language: locale.unwrap_or("en").to_owned(),
            meta_template_name: None,
        },
    }
}

/// Exponential backoff with jitter for retryable send failures: 30 s, 1 min, 2 min ... capped
/// at 1 h, each ±25 %.
pub fn backoff(attempt: i32) -> Duration {
    let base = 30i64 << attempt.clamp(0, 7);
    let capped = base.min(3600);
    let jitter = (crate::crypto::random_bytes::<1>()[0] as i64 - 128) * capped / 512;
    Duration::seconds(capped + jitter)
}

/// Send attempts before a message goes to the dead-letter state.
pub const MAX_SEND_ATTEMPTS: i32 = 6;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_variables_and_decide_keeps_the_cap_and_the_gap() {
        let ctx = SendContext {
            id: uuid::Uuid::nil(),
            flow: "checkin".into(),
            due_at: Utc::now(),
            attempts: 0,
            customer_id: crate::ids::CustomerId::new(),
            first_name: Some("Ayşe".into()),
            customer_name: Some("Ayşe Yılmaz".into()),
            customer_timezone: None,
            customer_locale: None,
            consent_utility: true,
            consent_marketing: false,
            erased: false,
            order_closed: false,
            order_number: Some("#1001".into()),
            product: Some("Lavender soap".into()),
            merchant_name: "Soap Co".into(),
            merchant_timezone: "UTC".into(),
            window_open: false,
        };
        let (text, params) =
            render("Hi {{first_name}}, {{ product }} from {{store}} ({{order_number}})", &ctx);
        assert_eq!(text, "Hi Ayşe, Lavender soap from Soap Co (#1001)");
        assert_eq!(params, vec!["Ayşe", "Lavender soap", "Soap Co", "#1001"]);
        let settings = RetentionSettings {
            checkin_offset_hours: 72,
            followup_offset_hours: 336,
            followup_flow: "review".into(),
            enabled_flows: vec!["checkin".into()],
            transit_estimate_days: 5,
            quiet_hours_start: chrono::NaiveTime::MIN,
            quiet_hours_end: chrono::NaiveTime::MIN,
            frequency_cap_per_week: 2,
            max_discount_percent: None,
            attribution_window_days: 7,
            holdout_percent: 0,
            message_retention_days: None,
        };
        let now = Utc::now();
        let ctx = SendContext { due_at: now, ..ctx };
        let gap = Duration::seconds(60);
        let recent = Recent { this_week: 1, last_at: Some(now - Duration::seconds(20)) };
        assert!(
            matches!(decide(&ctx, &settings, recent, gap, now), Decision::Move(at, _) if at == now + Duration::seconds(40))
        );
        let recent = Recent { this_week: 1, last_at: Some(now - Duration::seconds(61)) };
        assert!(matches!(decide(&ctx, &settings, recent, gap, now), Decision::Send));
        let recent = Recent { this_week: i64::from(settings.frequency_cap_per_week), last_at: None };
        assert!(
            matches!(decide(&ctx, &settings, recent, gap, now), Decision::Skip(why) if why.contains("frequency cap"))
        );
        for attempt in 0..10 {
            let d = backoff(attempt).num_seconds();
            assert!((22..=4500).contains(&d), "{attempt}: {d}");
        }
    }
}
