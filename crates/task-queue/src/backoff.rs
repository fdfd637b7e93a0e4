//! Retry delays for failed tasks: upstream's exponential backoff (5 s, then 5 s + 2^(n-1) s plus
//! up to 999 ms of jitter, truncated to 100 ms, capped at 32 s).

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// How the delay before the next attempt of a failed task is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBackoff {
    /// Delay after the first failure (upstream 5 s).
    pub initial: Duration,
    /// Upper bound for every delay (upstream 32 s).
    pub max: Duration,
    /// Whether to add upstream's random 0–999 ms.
    pub jitter: Jitter,
}

/// Random addition to each delay after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Add a random 0–999 ms like upstream (spreads retries of many queues).
    Random,
    /// Deterministic delays (tests, benchmarks).
    None,
}

/// Upstream stops doubling after log2(32) = 5 rounds.
const EXPONENTIAL_ROUNDS: u32 = 5;

impl Default for RetryBackoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(32),
            jitter: Jitter::Random,
        }
    }
}

impl RetryBackoff {
    /// The delay before the next attempt of a task that has failed `failures` times (1 for the
    /// first failure). Roughly 5, 6, 7, 9, 13, 21, 32, 32… seconds.
    pub fn delay(&self, failures: u32) -> Duration {
        let jitter = match self.jitter {
            Jitter::Random => Duration::from_millis(random_below(1000)),
            Jitter::None => Duration::ZERO,
        };
        self.delay_with_jitter(failures, jitter)
    }

    /// [`RetryBackoff::delay`] with a given jitter (0–999 ms), for reproducible schedules.
    pub fn delay_with_jitter(&self, failures: u32, jitter: Duration) -> Duration {
        let retry = failures.saturating_sub(1);
        if retry == 0 {
            return self.initial.min(self.max);
        }
        let delta = if retry <= EXPONENTIAL_ROUNDS {
            Duration::from_secs(1u64 << (retry - 1))
        } else {
            self.max
        };
        let delay = self.initial.saturating_add(delta).saturating_add(jitter);
        let truncated =
            Duration::from_millis(delay.as_millis().saturating_sub(delay.as_millis() % 100) as u64);
        truncated.min(self.max)
    }
}

/// A cheap random number below `bound`, from std's randomly seeded hasher (jitter needs no
/// cryptographic quality, and this avoids a dependency).
pub fn random_below(bound: u64) -> u64 {
    let seed = RandomState::new().hash_one(std::time::SystemTime::now());
    seed % bound.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact() -> RetryBackoff {
        RetryBackoff {
            jitter: Jitter::None,
            ..RetryBackoff::default()
        }
    }

    #[test]
    fn delays_follow_the_upstream_schedule_and_cap_at_32_seconds() {
        let b = exact();
        let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![5, 6, 7, 9, 13, 21, 32, 32, 32]);
    }

    #[test]
    fn jitter_is_added_and_truncated_to_100_ms() {
        let b = exact();
        assert_eq!(
            b.delay_with_jitter(2, Duration::from_millis(999)),
            Duration::from_millis(6900)
        );
        assert_eq!(
            b.delay_with_jitter(1, Duration::from_millis(999)),
            Duration::from_secs(5)
        );
        assert_eq!(
            b.delay_with_jitter(6, Duration::from_millis(999)),
            Duration::from_secs(21) + Duration::from_millis(900)
        );
        assert_eq!(
            b.delay_with_jitter(7, Duration::from_millis(999)),
            Duration::from_secs(32)
        );
    }

    #[test]
    fn random_jitter_stays_below_one_second() {
        let b = RetryBackoff::default();
        for n in 2..6 {
            let base = exact().delay(n);
            let d = b.delay(n);
            assert!(
                d >= base && d < base + Duration::from_secs(1),
                "{d:?} vs {base:?}"
            );
        }
    }

    #[test]
    fn huge_failure_counts_do_not_overflow() {
        assert_eq!(exact().delay(u32::MAX), Duration::from_secs(32));
    }
}
