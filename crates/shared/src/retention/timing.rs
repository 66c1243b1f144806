//! When a message may go out: quiet hours in the customer's time zone.

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// `None` when `now` is outside the quiet hours in `tz`; otherwise the first moment after them
/// (the end of the quiet window, in local time, turned back into UTC). The window wraps midnight
/// when `start > end` (21:00–09:00). A local end time that does not exist on that day (a DST gap)
/// moves to the first instant after the gap.
pub fn after_quiet_hours(
    now: DateTime<Utc>,
    tz: Tz,
    start: NaiveTime,
    end: NaiveTime,
) -> Option<DateTime<Utc>> {
    if start == end {
        return None;
    }
    let local = now.with_timezone(&tz);
    let t = local.time();
    let quiet = if start < end { t >= start && t < end } else { t >= start || t < end };
    if !quiet {
        return None;
    }
    // The window ends today if we are before `end` on the clock, else tomorrow.
    let day = if t < end { local.date_naive() } else { local.date_naive().checked_add_days(Days::new(1))? };
    let wanted = day.and_time(end);
    let resolved = tz.from_local_datetime(&wanted).earliest().or_else(|| {
        (1..=180).find_map(|m| tz.from_local_datetime(&(wanted + chrono::Duration::minutes(m))).earliest())
    })?;
    Some(resolved.with_timezone(&Utc))
}

/// The customer's zone, else the merchant's, else UTC. Unknown names fall through.
pub fn zone(customer: Option<&str>, merchant: Option<&str>) -> Tz {
    [customer, merchant].into_iter().flatten().find_map(|name| name.parse::<Tz>().ok()).unwrap_or(Tz::UTC)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_message_due_at_two_in_the_morning_waits_for_the_end_of_quiet_hours() {
        let istanbul: Tz = "Europe/Istanbul".parse().unwrap(); // UTC+3
        // 02:00 in Istanbul is 23:00 UTC the day before.
        let moved = after_quiet_hours(utc("2026-03-09T23:00:00Z"), istanbul, t(21, 0), t(9, 0));
        assert_eq!(moved, Some(utc("2026-03-10T06:00:00Z")), "09:00 local");
        // 22:00 local: the window ends tomorrow morning.
        let moved = after_quiet_hours(utc("2026-03-10T19:00:00Z"), istanbul, t(21, 0), t(9, 0));
        assert_eq!(moved, Some(utc("2026-03-11T06:00:00Z")));
        assert_eq!(
            after_quiet_hours(utc("2026-03-10T09:00:00Z"), istanbul, t(21, 0), t(9, 0)),
            None,
            "noon is fine"
        );
        // A window within one day.
        assert_eq!(
            after_quiet_hours(utc("2026-03-10T12:30:00Z"), Tz::UTC, t(12, 0), t(14, 0)),
            Some(utc("2026-03-10T14:00:00Z"))
        );
        assert_eq!(
            after_quiet_hours(utc("2026-03-10T12:30:00Z"), Tz::UTC, t(9, 0), t(9, 0)),
            None,
            "no window"
        );
    }

    #[test]
    fn an_end_time_inside_a_dst_gap_moves_past_the_gap() {
        // New York springs forward on 2026-03-08: 02:00–03:00 local does not exist.
        let ny: Tz = "America/New_York".parse().unwrap();
        let moved = after_quiet_hours(utc("2026-03-08T05:30:00Z"), ny, t(22, 0), t(2, 30)).unwrap();
        assert_eq!(moved, utc("2026-03-08T07:00:00Z"), "03:00 EDT, the first minute that exists");
    }

    #[test]
    fn zones_fall_back_in_order() {
        assert_eq!(zone(Some("Europe/Berlin"), Some("UTC")), Tz::Europe__Berlin);
        assert_eq!(zone(Some("Mars/Olympus"), Some("Asia/Tokyo")), Tz::Asia__Tokyo);
        assert_eq!(zone(None, None), Tz::UTC);
    }
}
