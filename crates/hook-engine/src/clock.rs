//! Wall-clock time behind a trait, so cron computations can run on tokio's virtual time in tests.

use chrono::{DateTime, Utc};

/// The source of "now" for computing the next cron fire time.
pub trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A wall clock driven by tokio's clock: it starts at `origin` and advances exactly as
/// `tokio::time::Instant` does, so with `tokio::time::pause` tests decide when time passes.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: DateTime<Utc>,
    started: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `origin` now.
    pub fn starting_at(origin: DateTime<Utc>) -> Self {
        Self {
            origin,
            started: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().duration_since(self.started);
        self.origin + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}
