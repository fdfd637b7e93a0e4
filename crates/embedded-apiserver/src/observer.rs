//! Commit observers: a library user learns the instant each change is committed, for measuring
//! what happens after it (watch delivery, informer latency) from the right starting point.

use std::fmt;

pub use crate::store::EventKind as ChangeKind;

/// One committed change: the object got `resource_version` and is about to be published to
/// watches.
#[derive(Debug, Clone, Copy)]
pub struct Commit<'a> {
    /// The cluster-wide resourceVersion of the change.
    pub resource_version: u64,
    /// Created, changed or removed.
    pub kind: ChangeKind,
    /// API group of the resource (empty for core).
    pub group: &'a str,
    /// Plural resource name (`configmaps`).
    pub resource: &'a str,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: &'a str,
    /// Object name.
    pub name: &'a str,
}

/// Told about every committed change, set with [`crate::EmbeddedConfig::commit_observer`].
///
/// [`CommitObserver::committed`] runs under the store's write lock, after the change got its
/// resourceVersion and before any watch can see it, so a timestamp taken there precedes every
/// delivery. Keep it short (record and return) and never call back into the cluster from it:
/// a request waiting for the lock would deadlock. A cluster without an observer pays one branch
/// per change.
pub trait CommitObserver: fmt::Debug + Send + Sync + 'static {
    /// Called once per committed change, in resourceVersion order.
    fn committed(&self, commit: &Commit<'_>);
}
