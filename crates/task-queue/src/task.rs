//! The contract a queued value fulfils: a combine key, a merge rule and a description.

use std::fmt::Debug;
use std::hash::Hash;

/// Why [`QueueTask::merge`] is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeReason {
    /// The task reached the head of its queue and the tasks right behind it share its key
    /// (upstream "combine binding contexts"); `later` holds them in queue order.
    Combine,
    /// More than the compaction threshold of tasks with this key piled up in one queue; all of
    /// them (adjacent or not) are merged into the first one. `later` holds them in queue order.
    EmergencyCompaction,
}

/// A value that can sit in a [`crate::TaskQueue`].
///
/// The queue knows nothing about hooks: the owner decides which tasks may be merged
/// (`combine_key`) and how (`merge`).
pub trait QueueTask: Send + 'static {
    /// Tasks with equal keys may be merged (upstream: same hook name and task type `HookRun`).
    type Key: Eq + Hash + Clone + Debug + Send + Sync + 'static;

    /// The key under which this task can be merged with its neighbours; `None` means the task
    /// is never merged into another one nor counted for emergency compaction.
    fn combine_key(&self) -> Option<Self::Key>;

    /// Whether this task, when it is at the head of the queue, collects the following tasks with
    /// the same key. Upstream answers `false` for an ungrouped kubernetes Synchronization (it can
    /// still be absorbed by an earlier head of the same key).
    fn combines_followers(&self) -> bool {
        true
    }

    /// Merges `later` (tasks that were behind `self` in the queue, in queue order) into `self`.
    fn merge(&mut self, later: Vec<Self>, reason: MergeReason)
    where
        Self: Sized;

    /// A one-line description for the debug socket, e.g. `HookRun:main:kubernetes:pods-hook.sh:pods`.
    fn describe(&self) -> String;
}
