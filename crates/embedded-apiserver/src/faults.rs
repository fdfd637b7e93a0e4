//! Fault injection for reliability tests: broken watches, lost history, failing requests, latency.
//!
//! The same faults are reachable over HTTP for the binary: `POST /_embedded/faults` with one of
//! `{"action":"closeWatches"}`, `{"action":"forgetHistory"}`,
//! `{"action":"failNext","resource":"configmaps","group":"","count":2,"code":500}`,
//! `{"action":"latency","millis":100}` or `{"action":"clear"}`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// A rule failing the next requests for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FailRule {
    plural: String,
    group: Option<String>,
    remaining: u32,
    code: u16,
}

/// Handle to inject faults into a running cluster; cheap to clone.
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").finish_non_exhaustive()
    }
}

struct Inner {
    store: Arc<Store>,
    /// Parent of the per-generation watch tokens, so cluster shutdown ends watches too.
    parent: CancellationToken,
    watches: Mutex<CancellationToken>,
    rules: Mutex<Vec<FailRule>>,
    latency: Mutex<Duration>,
}

impl Faults {
    pub(crate) fn new(store: Arc<Store>, parent: CancellationToken) -> Self {
        let watches = Mutex::new(parent.child_token());
        Self {
            inner: Arc::new(Inner {
                store,
                parent,
                watches,
                rules: Mutex::new(Vec::new()),
                latency: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// Ends every open watch stream; clients see the connection finish and re-watch.
    pub fn close_watches(&self) {
        let mut guard = self
            .inner
            .watches
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        guard.cancel();
        *guard = self.inner.parent.child_token();
    }

    /// Forgets the watch history: the next watch from an older resourceVersion gets 410 Gone.
    pub fn forget_history(&self) {
        self.inner.store.forget_history();
    }

    /// Fails the next `count` requests for `plural` (any group when `group` is `None`) with `code`.
    pub fn fail_next(&self, plural: &str, group: Option<&str>, count: u32, code: u16) {
        let mut rules = self
            .inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rules.push(FailRule {
            plural: plural.to_owned(),
            group: group.map(str::to_owned),
            remaining: count,
            code,
        });
    }

    /// Delays every request by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        *self
            .inner
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = latency;
    }

    /// Removes every failure rule and the latency.
    pub fn clear(&self) {
        self.inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.set_latency(Duration::ZERO);
    }

    /// The latency to add to the current request.
    pub(crate) fn latency(&self) -> Duration {
        *self
            .inner
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The status code a request for `group`/`plural` must fail with, consuming one failure.
    pub(crate) fn take_failure(&self, group: &str, plural: &str) -> Option<u16> {
        let mut rules = self
            .inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let idx = rules.iter().position(|r| {
            r.plural == plural && r.group.as_deref().is_none_or(|g| g == group) && r.remaining > 0
        })?;
        let rule = rules.get_mut(idx)?;
        rule.remaining -= 1;
        let code = rule.code;
        if rule.remaining == 0 {
            rules.remove(idx);
        }
        Some(code)
    }

    /// The token that ends when watches are to be closed.
    pub(crate) fn watch_token(&self) -> CancellationToken {
        self.inner
            .watches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults() -> Faults {
        Faults::new(Arc::new(Store::new(10)), CancellationToken::new())
    }

    #[test]
    fn failures_are_consumed_one_request_at_a_time() {
        let f = faults();
        f.fail_next("configmaps", None, 2, 503);
        assert_eq!(f.take_failure("", "secrets"), None);
        assert_eq!(f.take_failure("", "configmaps"), Some(503));
        assert_eq!(f.take_failure("", "configmaps"), Some(503));
        assert_eq!(f.take_failure("", "configmaps"), None);
    }

    #[test]
    fn group_restricted_failures_skip_other_groups() {
        let f = faults();
        f.fail_next("events", Some("events.k8s.io"), 1, 500);
        assert_eq!(f.take_failure("", "events"), None);
        assert_eq!(f.take_failure("events.k8s.io", "events"), Some(500));
    }

    #[test]
    fn closing_watches_cancels_the_old_token_and_issues_a_new_one() {
        let f = faults();
        let old = f.watch_token();
        f.close_watches();
        assert!(old.is_cancelled());
        assert!(!f.watch_token().is_cancelled());
    }
}
