//! What the retention flows did over a date range, per flow (T+3 check-in, T+14 follow-ups) and
//! per day: the messages' fates, the replies and opt-outs that followed them, the repeat orders
//! attributed to them, and the control group's own repeat orders (lift, not just attribution).
//!
//! Definitions (dates are UTC days):
//! - a schedule counts on the day it was due; `scheduled` excludes the control group, which is
//!   `held_out`; `sent` / `delivered` / `read` / `failed` are by the latest message sent for it
//!   (a schedule that failed or went to the dead-letter queue without a message is `failed`);
//! - `replied`: the customer wrote within 48 hours after the message; `opted_out`: the customer
//!   withdrew a consent within 7 days after it;
//! - an order placed in the range is attributed to the latest flow message sent to its customer
//!   in the attribution window before it (one message gets the credit, never two);
//! - `held_out_converted`: control-group schedules whose customer ordered in the attribution
//!   window after the (unsent) due time. Compare `held_out_converted / held_out` with
//!   `attributed_orders / sent` for the lift.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::TenantTx;
use crate::Result;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    pub scheduled: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub replied: i64,
    pub opted_out: i64,
    pub failed: i64,
    pub held_out: i64,
    pub held_out_converted: i64,
    pub attributed_orders: i64,
    pub attributed_revenue_cents: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.scheduled += o.scheduled;
        self.sent += o.sent;
        self.delivered += o.delivered;
        self.read += o.read;
        self.replied += o.replied;
        self.opted_out += o.opted_out;
        self.failed += o.failed;
        self.held_out += o.held_out;
        self.held_out_converted += o.held_out_converted;
        self.attributed_orders += o.attributed_orders;
        self.attributed_revenue_cents += o.attributed_revenue_cents;
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlowCounts {
    /// checkin, review, replenishment or upsell.
    pub flow: String,
    /// t3 (the check-in) or t14 (the follow-up).
    pub stage: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub attribution_window_days: i32,
    pub holdout_percent: i32,
    pub totals: Counts,
    pub flows: Vec<FlowCounts>,
    /// Every day of the range, oldest first (days without activity are zeros).
    pub daily: Vec<Day>,
}

fn stage(flow: &str) -> &'static str {
    if flow == "checkin" { "t3" } else { "t14" }
}

/// The report for the days `from` to `to`, both included.
pub async fn report(tx: &mut TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Report> {
    let settings = super::retention::get(tx).await?;
    let start: DateTime<Utc> = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end: DateTime<Utc> = (to + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc();
    let window = f64::from(settings.attribution_window_days);

    let fates = sqlx::query!(
        r#"with s as (
             select s.id, s.flow, s.customer_id, s.held_out, s.status, s.due_at,
                    (s.due_at at time zone 'UTC')::date as day, m.status as message_status, m.created_at as sent_at
             from scheduled_messages s
             left join lateral (select status, created_at from messages
                                where scheduled_message_id = s.id order by created_at desc limit 1) m on true
             where s.due_at >= $1 and s.due_at < $2)
           select flow as "flow!", day as "day!",
             count(*) filter (where not held_out) as "scheduled!",
             count(*) filter (where held_out) as "held_out!",
             count(*) filter (where message_status in ('sent', 'delivered', 'read')) as "sent!",
             count(*) filter (where message_status in ('delivered', 'read')) as "delivered!",
             count(*) filter (where message_status = 'read') as "read!",
             count(*) filter (where message_status = 'failed'
                              or (message_status is null and status in ('failed', 'dead'))) as "failed!",
             count(*) filter (where message_status in ('sent', 'delivered', 'read') and exists (
                 select 1 from messages i where i.customer_id = s.customer_id and i.direction = 'inbound'
                   and i.created_at > s.sent_at and i.created_at <= s.sent_at + interval '48 hours')) as "replied!",
             count(*) filter (where message_status in ('sent', 'delivered', 'read') and exists (
                 select 1 from customer_consent_events e where e.customer_id = s.customer_id and not e.granted
                   and e.occurred_at > s.sent_at and e.occurred_at <= s.sent_at + interval '7 days')) as "opted_out!",
             count(*) filter (where held_out and exists (
                 select 1 from orders o where o.customer_id = s.customer_id and o.placed_at > s.due_at
                   and o.placed_at <= s.due_at + make_interval(days => $3::float8::int))) as "held_out_converted!"
           from s group by flow, day"#,
        start,
        end,
        window
    )
    .fetch_all(tx.conn())
    .await?;

    let attributed = sqlx::query!(
        r#"select (o.placed_at at time zone 'UTC')::date as "day!", a.flow as "flow!", count(*) as "orders!",
                  coalesce(sum(o.total_cents), 0)::int8 as "revenue!"
           from orders o
           join lateral (
             select s.flow from messages m join scheduled_messages s on s.id = m.scheduled_message_id
             where m.customer_id = o.customer_id and m.status in ('sent', 'delivered', 'read')
               and m.created_at < o.placed_at and m.created_at >= o.placed_at - make_interval(days => $3::float8::int)
             order by m.created_at desc limit 1) a on true
           where o.placed_at >= $1 and o.placed_at < $2
           group by 1, 2"#,
        start,
        end,
        window
    )
    .fetch_all(tx.conn())
    .await?;

    let mut cells: BTreeMap<(String, NaiveDate), Counts> = BTreeMap::new();
    for r in fates {
        let c = cells.entry((r.flow, r.day)).or_default();
        *c += Counts {
            scheduled: r.scheduled,
            sent: r.sent,
            delivered: r.delivered,
            read: r.read,
            replied: r.replied,
            opted_out: r.opted_out,
            failed: r.failed,
            held_out: r.held_out,
            held_out_converted: r.held_out_converted,
            ..Counts::default()
        };
    }
    for r in attributed {
        let c = cells.entry((r.flow, r.day)).or_default();
        c.attributed_orders += r.orders;
        c.attributed_revenue_cents += r.revenue;
    }

    let mut flows: BTreeMap<String, Counts> = BTreeMap::new();
    for flow in ["checkin", settings.followup_flow.as_str()] {
        flows.entry(flow.to_owned()).or_default();
    }
    let mut days: BTreeMap<NaiveDate, Counts> =
        from.iter_days().take_while(|d| *d <= to).map(|d| (d, Counts::default())).collect();
    let mut totals = Counts::default();
    for ((flow, day), c) in cells {
        *flows.entry(flow).or_default() += c;
        *days.entry(day).or_default() += c;
        totals += c;
    }
    Ok(Report {
        from,
        to,
        attribution_window_days: settings.attribution_window_days,
        holdout_percent: settings.holdout_percent,
        totals,
        flows: flows
            .into_iter()
            .map(|(flow, counts)| FlowCounts { stage: stage(&flow), flow, counts })
            .collect(),
        daily: days.into_iter().map(|(date, counts)| Day { date, counts }).collect(),
    })
}
