//! A token bucket per hook for `settings.executionMinInterval` / `executionBurst`.
//!
//! Same semantics as Go's `rate.NewLimiter(rate.Every(minInterval), burst)` with `Wait`: the
//! bucket starts full with `burst` tokens, one token is refilled every `min_interval`, and each
//! run takes one token (waiting for it when the bucket is empty). Implemented as GCRA (a
//! "theoretical arrival time"), which is exact with integer durations.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    /// The time at which the bucket would be full again; `None` until the first acquire.
    tat: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// One token every `min_interval`, at most `burst` at once. A zero interval means no limit;
    /// a zero burst is treated as 1 (upstream's `Wait` would fail forever instead).
    pub fn new(min_interval: Duration, burst: u32) -> Self {
        let burst = burst.max(1);
        Self {
            interval: min_interval,
            tolerance: min_interval.saturating_mul(burst - 1),
            tat: Mutex::new(None),
        }
    }

    /// A limiter that never waits (hooks without `settings`).
    pub fn unlimited() -> Self {
        Self::new(Duration::ZERO, 1)
    }

    /// Takes one token, waiting until one is available. Cancel-safe in the sense that dropping
    /// the future after the reservation keeps the token spent (like Go's `Wait` on cancel it is
    /// not returned).
    pub async fn acquire(&self) {
        let wait_until = self.reserve(Instant::now());
        if let Some(at) = wait_until {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Reserves a token at `now`; returns when it may be used if that is in the future.
    fn reserve(&self, now: Instant) -> Option<Instant> {
        if self.interval.is_zero() {
            return None;
        }
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let start = tat.map_or(now, |t| t.max(now));
        let allowed_at = start.checked_sub(self.tolerance).unwrap_or(now);
        *tat = Some(start + self.interval);
        (allowed_at > now).then_some(allowed_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn acquire_times(limiter: &RateLimiter, n: usize) -> Vec<Duration> {
        let origin = Instant::now();
        let mut times = Vec::new();
        for _ in 0..n {
            limiter.acquire().await;
            times.push(origin.elapsed());
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_allows_a_burst_then_one_run_per_interval() {
        let limiter = RateLimiter::new(Duration::from_secs(10), 3);
        let times = acquire_times(&limiter, 5).await;
        let secs: Vec<u64> = times.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![0, 0, 0, 10, 20]);
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_refill_while_idle_up_to_the_burst() {
        let limiter = RateLimiter::new(Duration::from_secs(5), 2);
        acquire_times(&limiter, 2).await;
        tokio::time::advance(Duration::from_secs(60)).await;
        let times = acquire_times(&limiter, 3).await;
        let secs: Vec<u64> = times.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![0, 0, 5]);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_interval_never_waits() {
        let limiter = RateLimiter::unlimited();
        let times = acquire_times(&limiter, 100).await;
        assert!(times.iter().all(|t| t.is_zero()));
    }

    #[tokio::test(start_paused = true)]
    async fn burst_zero_behaves_like_burst_one() {
        let limiter = RateLimiter::new(Duration::from_secs(2), 0);
        let times = acquire_times(&limiter, 3).await;
        let secs: Vec<u64> = times.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![0, 2, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_spaced_by_the_interval() {
        let limiter = std::sync::Arc::new(RateLimiter::new(Duration::from_secs(1), 1));
        let origin = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..4 {
            let l = limiter.clone();
            handles.push(tokio::spawn(async move {
                l.acquire().await;
                origin.elapsed().as_secs()
            }));
        }
        let mut secs = Vec::new();
        for h in handles {
            secs.push(h.await.unwrap_or(u64::MAX));
        }
        secs.sort_unstable();
        assert_eq!(secs, vec![0, 1, 2, 3]);
    }
}
