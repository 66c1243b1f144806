//! The time jobs decide by. Production uses the system clock; tests advance a clock of their own
//! to reach T+3 days without waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds added to the system time; only tests move it.
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Sets this clock (and every copy of it) to `at`; time then runs on from there.
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_secs.store((at - Utc::now()).num_seconds(), Ordering::Relaxed);
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}
