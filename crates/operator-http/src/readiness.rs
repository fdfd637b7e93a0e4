//! What `/readyz` answers: the [`ReadinessProbe`] an operator hands to the server, and
//! shell-operator's [`Readiness`], set as its startup progresses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::StatusCode;

/// Decides `/readyz`: the status code and the body. Each operator has its own answer
/// (shell-operator: hooks loaded, onStartup and Synchronization done; addon-operator: the first
/// converge done, with upstream's texts).
pub trait ReadinessProbe: Send + Sync {
    /// The answer now.
    fn probe(&self) -> (StatusCode, String);
}

/// Whether leader election is on (`--ha`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaMode {
    /// One instance, always the one that runs hooks.
    Disabled,
    /// Only the holder of the lease is ready.
    Enabled,
}

/// Why the operator is not ready; the text is the `/readyz` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    /// Hook discovery and configuration have not finished.
    #[error("hooks are not loaded yet")]
    HooksNotLoaded,
    /// onStartup hooks have not all run.
    #[error("onStartup hooks have not finished")]
    StartupPending,
    /// Some kubernetes binding has not finished its Synchronization.
    #[error("kubernetes bindings are not synchronized yet")]
    SynchronizationPending,
    /// HA is on and this instance does not hold the lease.
    #[error("not the leader")]
    NotLeader,
}

#[derive(Debug, Default)]
struct Flags {
    hooks_loaded: AtomicBool,
    startup_done: AtomicBool,
    synchronized: AtomicBool,
    leader: AtomicBool,
}

/// Cheap to clone; every clone sees the same state.
#[derive(Debug, Clone)]
pub struct Readiness {
    ha: HaMode,
    flags: Arc<Flags>,
}

impl Readiness {
    /// Nothing done yet.
    pub fn new(ha: HaMode) -> Self {
        Self {
            ha,
            flags: Arc::default(),
        }
    }

    /// Hooks were discovered and their configs loaded.
    pub fn mark_hooks_loaded(&self) {
        self.flags.hooks_loaded.store(true, Ordering::Release);
    }

    /// Every onStartup hook has run.
    pub fn mark_startup_done(&self) {
        self.flags.startup_done.store(true, Ordering::Release);
    }

    /// Every Synchronization task has finished.
    pub fn mark_synchronized(&self) {
        self.flags.synchronized.store(true, Ordering::Release);
    }

    /// This instance acquired the lease.
    pub fn became_leader(&self) {
        self.flags.leader.store(true, Ordering::Release);
    }

    /// This instance lost or released the lease.
    pub fn lost_leadership(&self) {
        self.flags.leader.store(false, Ordering::Release);
    }

    /// `Ok` when ready; otherwise the first missing step.
    pub fn check(&self) -> Result<(), NotReady> {
        let f = &self.flags;
        if self.ha == HaMode::Enabled && !f.leader.load(Ordering::Acquire) {
            return Err(NotReady::NotLeader);
        }
        if !f.hooks_loaded.load(Ordering::Acquire) {
            return Err(NotReady::HooksNotLoaded);
        }
        if !f.startup_done.load(Ordering::Acquire) {
            return Err(NotReady::StartupPending);
        }
        if !f.synchronized.load(Ordering::Acquire) {
            return Err(NotReady::SynchronizationPending);
        }
        Ok(())
    }
}

impl ReadinessProbe for Readiness {
    /// `200 ready`, or `503` with the first missing step.
    fn probe(&self) -> (StatusCode, String) {
        match self.check() {
            Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
            Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_after_hooks_startup_and_synchronization() {
        let r = Readiness::new(HaMode::Disabled);
        assert_eq!(r.check(), Err(NotReady::HooksNotLoaded));
        r.mark_hooks_loaded();
        assert_eq!(r.check(), Err(NotReady::StartupPending));
        r.mark_startup_done();
        assert_eq!(r.check(), Err(NotReady::SynchronizationPending));
        r.clone().mark_synchronized();
        assert_eq!(r.check(), Ok(()));
    }

    #[test]
    fn with_ha_only_the_leader_is_ready() {
        let r = Readiness::new(HaMode::Enabled);
        r.mark_hooks_loaded();
        r.mark_startup_done();
        r.mark_synchronized();
        assert_eq!(r.check(), Err(NotReady::NotLeader));
        r.became_leader();
        assert_eq!(r.check(), Ok(()));
        r.lost_leadership();
        assert_eq!(r.check(), Err(NotReady::NotLeader));
    }
}
