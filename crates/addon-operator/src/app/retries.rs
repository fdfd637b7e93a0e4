//! Failed module steps and when to retry them: upstream's task backoff per module, so one
//! failing module waits while the others go on.

use std::collections::BTreeMap;
use std::time::Duration;

use task_queue::RetryBackoff;
use tokio::time::Instant;

/// Which step of a module failed and is to be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// ModuleRun of an enabled module.
    Run,
    /// ModuleDelete of a disabled module.
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failure {
    step: Step,
    failures: u32,
    retry_at: Instant,
}

/// Failed module steps and when to retry them.
#[derive(Debug, Default)]
pub struct Retries {
    failing: BTreeMap<String, Failure>,
}

impl Retries {
    /// Records a failure of `step` for `module` at `now`; the delay until the retry grows with
    /// consecutive failures of the same step.
    pub fn fail(
        &mut self,
        module: &str,
        step: Step,
        now: Instant,
        backoff: &RetryBackoff,
    ) -> Duration {
        let failures = self
            .failing
            .get(module)
            .filter(|f| f.step == step)
            .map_or(1, |f| f.failures + 1);
        let delay = backoff.delay(failures);
        self.failing.insert(
            module.to_owned(),
            Failure {
                step,
                failures,
                retry_at: now + delay,
            },
        );
        delay
    }

    /// Forgets `module`'s failure.
    pub fn succeed(&mut self, module: &str) {
        self.failing.remove(module);
    }

    /// When the next retry is due.
    pub fn next(&self) -> Option<Instant> {
        self.failing.values().map(|f| f.retry_at).min()
    }

    /// The steps due at `now`, in module-name order.
    pub fn due(&self, now: Instant) -> Vec<(String, Step)> {
        self.failing
            .iter()
            .filter(|(_, f)| f.retry_at <= now)
            .map(|(m, f)| (m.clone(), f.step))
            .collect()
    }

    /// Whether a retry of `module` is scheduled.
    pub fn contains(&self, module: &str) -> bool {
        self.failing.contains_key(module)
    }

    /// How many steps are failing.
    pub fn len(&self) -> usize {
        self.failing.len()
    }

    /// No step is failing.
    pub fn is_empty(&self) -> bool {
        self.failing.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use task_queue::Jitter;

    use super::*;

    fn backoff() -> RetryBackoff {
        RetryBackoff {
            jitter: Jitter::None,
            ..RetryBackoff::default()
        }
    }

    #[test]
    fn retries_back_off_per_module_and_cap_at_32_seconds() {
        let start = Instant::now();
        let mut r = Retries::default();
        let delays: Vec<u64> = (0..8)
            .map(|_| r.fail("a", Step::Run, start, &backoff()).as_secs())
            .collect();
        assert_eq!(delays, [5, 6, 7, 9, 13, 21, 32, 32]);
        assert_eq!(r.fail("b", Step::Run, start, &backoff()).as_secs(), 5);
        assert_eq!(r.next(), Some(start + Duration::from_secs(5)));
        assert_eq!(
            r.due(start + Duration::from_secs(5)),
            [("b".to_owned(), Step::Run)]
        );
        assert_eq!(r.due(start + Duration::from_secs(32)).len(), 2);
    }

    #[test]
    fn a_success_or_another_step_resets_the_count() {
        let start = Instant::now();
        let mut r = Retries::default();
        r.fail("a", Step::Run, start, &backoff());
        r.fail("a", Step::Run, start, &backoff());
        assert_eq!(r.fail("a", Step::Delete, start, &backoff()).as_secs(), 5);
        r.succeed("a");
        assert!(r.is_empty());
        assert_eq!(r.fail("a", Step::Run, start, &backoff()).as_secs(), 5);
    }
}
