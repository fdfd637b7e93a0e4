//! Read-only views of the queues for the debug socket and metrics.

/// One queue as listed by `queue list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSnapshot {
    /// Queue name (`main` first in listings).
    pub name: String,
    /// Queued tasks plus the task in progress, if any.
    pub length: usize,
    /// Status text, e.g. `run first task` or `sleep after fail for 6s`.
    pub status: String,
    /// Tasks head first; the task in progress (if any) is the first one.
    pub tasks: Vec<TaskSnapshot>,
}

/// One task in a [`QueueSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSnapshot {
    /// The task's [`crate::QueueTask::describe`], plus `:failures N:<error>` after failures.
    pub description: String,
    /// How many attempts failed so far.
    pub failure_count: u32,
    /// Whether the task is being handled (or waiting for its retry) right now.
    pub in_progress: bool,
}

/// The cheap per-queue length sample for `tasks_queue_length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLength {
    /// Queue name.
    pub name: String,
    /// Queued tasks plus the task in progress, if any.
    pub length: usize,
}
