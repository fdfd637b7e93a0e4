//! The wrapper a queue stores around each task: failure count and enqueue time.

use tokio::time::Instant;

use crate::task::{MergeReason, QueueTask};

/// A task plus the bookkeeping the queue keeps for it.
pub(crate) struct Queued<T> {
    pub(crate) task: T,
    pub(crate) failures: u32,
    pub(crate) last_error: Option<String>,
    pub(crate) enqueued_at: Instant,
}

impl<T: QueueTask> Queued<T> {
    pub(crate) fn new(task: T) -> Self {
        Self {
            task,
            failures: 0,
            last_error: None,
            enqueued_at: Instant::now(),
        }
    }

    /// Upstream's description with `:failures N:<msg>` once the task failed.
    pub(crate) fn describe(&self) -> String {
        let base = self.task.describe();
        match (&self.last_error, self.failures) {
            (Some(err), n) if n > 0 => format!("{base}:failures {n}:{err}"),
            _ => base,
        }
    }
}

impl<T: QueueTask> QueueTask for Queued<T> {
    type Key = T::Key;

    fn combine_key(&self) -> Option<Self::Key> {
        self.task.combine_key()
    }

    fn combines_followers(&self) -> bool {
        self.task.combines_followers()
    }

    /// The merged task keeps the head's failure count and enqueue time (the earliest).
    fn merge(&mut self, later: Vec<Self>, reason: MergeReason) {
        let later = later.into_iter().map(|q| q.task).collect();
        self.task.merge(later, reason);
    }

    fn describe(&self) -> String {
        Queued::describe(self)
    }
}
