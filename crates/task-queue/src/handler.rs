//! What the owner of a [`crate::QueueSet`] supplies: an async handler that runs one (possibly
//! combined) task and says what happens next.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::queue_set::QueueSet;
use crate::task::QueueTask;

/// The result of handling one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Done: the task is removed and its follow-ups are queued.
    Success,
    /// Failed and must be retried: the task stays at the head of its queue, its failure count is
    /// incremented and the next attempt waits the retry backoff (blocking only this queue).
    /// Follow-ups pushed during the failed attempt are dropped.
    Fail {
        /// The error, shown in the queue listing as `:failures N:<error>`.
        error: String,
    },
    /// Failed, but the task has `allowFailure: true`: logged, removed, follow-ups queued.
    FailAllowed {
        /// The error, logged as `Task failed, but allowed to fail`.
        error: String,
    },
    /// Leave the task at the head (after any head follow-ups) and run it again later without
    /// counting a failure (upstream status `Keep`).
    Keep,
    /// Run the same task again after a short delay (upstream `Repeat`, 25 ms), without counting a
    /// failure. Follow-ups are dropped.
    Repeat,
}

/// Runs tasks for a [`QueueSet`]. Called for one task at a time per queue; different queues
/// call it concurrently.
pub trait TaskHandler<T: QueueTask>: Send + Sync + 'static {
    /// Handles `task` (already combined with the tasks behind it). `ctx` describes the attempt
    /// and collects follow-up tasks.
    fn handle(
        &self,
        task: &mut T,
        ctx: &mut TaskContext<T>,
    ) -> impl Future<Output = TaskOutcome> + Send;
}

/// Object-safe form of [`TaskHandler`] so `QueueSet` is generic over the task type only.
pub(crate) trait DynHandler<T: QueueTask>: Send + Sync + 'static {
    fn handle_boxed<'a>(
        &'a self,
        task: &'a mut T,
        ctx: &'a mut TaskContext<T>,
    ) -> BoxFuture<'a, TaskOutcome>;
}

impl<T: QueueTask, H: TaskHandler<T>> DynHandler<T> for H {
    fn handle_boxed<'a>(
        &'a self,
        task: &'a mut T,
        ctx: &'a mut TaskContext<T>,
    ) -> BoxFuture<'a, TaskOutcome> {
        Box::pin(self.handle(task, ctx))
    }
}

/// Tasks a handler asks to queue once its task is done, in the order given.
#[derive(Debug)]
pub(crate) struct FollowUps<T> {
    pub(crate) head: Vec<T>,
    pub(crate) after: Vec<T>,
    pub(crate) tail: Vec<T>,
}

impl<T> Default for FollowUps<T> {
    fn default() -> Self {
        Self {
            head: Vec::new(),
            after: Vec::new(),
            tail: Vec::new(),
        }
    }
}

/// One attempt of one task, as seen by the handler.
pub struct TaskContext<T: QueueTask> {
    pub(crate) queue_name: Arc<str>,
    pub(crate) failure_count: u32,
    pub(crate) enqueued_at: Instant,
    pub(crate) started_at: Instant,
    pub(crate) follow_ups: FollowUps<T>,
    pub(crate) queue_set: QueueSet<T>,
    pub(crate) stopping: CancellationToken,
}

impl<T: QueueTask> TaskContext<T> {
    /// The queue this task runs in.
    pub fn queue_name(&self) -> &str {
        &self.queue_name
    }

    /// How many earlier attempts of this task failed (0 on the first attempt).
    pub fn failure_count(&self) -> u32 {
        self.failure_count
    }

    /// When the task (the head of a combined run) was queued.
    pub fn enqueued_at(&self) -> Instant {
        self.enqueued_at
    }

    /// Time between queueing and the start of this attempt (for `task_wait_in_queue_seconds`).
    pub fn wait_time(&self) -> Duration {
        self.started_at.saturating_duration_since(self.enqueued_at)
    }

    /// Queue `task` at the very head of this queue (before everything, including this task when
    /// the outcome is [`TaskOutcome::Keep`]).
    pub fn push_head(&mut self, task: T) {
        self.follow_ups.head.push(task);
    }

    /// Queue `task` right after this task (before the tasks that were already waiting).
    pub fn push_after(&mut self, task: T) {
        self.follow_ups.after.push(task);
    }

    /// Queue `task` at the tail of this queue.
    pub fn push_tail(&mut self, task: T) {
        self.follow_ups.tail.push(task);
    }

    /// The queue set, to queue tasks into other queues or read their state.
    pub fn queue_set(&self) -> &QueueSet<T> {
        &self.queue_set
    }

    /// Sets the status text of this queue shown by the debug socket (e.g. `waiting for ...`).
    pub fn set_status(&self, status: impl Into<String>) {
        self.queue_set.set_status(&self.queue_name, status.into());
    }

    /// Cancelled when the queue set stops taking work. A handler may finish its task anyway;
    /// forceful termination of hook processes is the owner's decision.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }
}
