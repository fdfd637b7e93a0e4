//! `QueueSet`: named queues (`main` plus any others) that run in parallel, each strictly
//! sequential, driven by the owner's [`TaskHandler`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::backoff::RetryBackoff;
use crate::envelope::Queued;
use crate::handler::{DynHandler, TaskHandler};
use crate::list::{Compaction, DEFAULT_COMPACTION_THRESHOLD, TaskQueue};
use crate::snapshot::{QueueLength, QueueSnapshot, TaskSnapshot};
use crate::task::QueueTask;
use crate::worker;

/// The queue that always exists.
pub const MAIN_QUEUE: &str = "main";

/// Upstream's `DelayOnRepeat`.
pub const DEFAULT_REPEAT_DELAY: Duration = Duration::from_millis(25);

/// Tunables of a [`QueueSet`].
#[derive(Debug, Clone)]
pub struct QueueSetConfig {
    /// Delay before retrying a failed task.
    pub retry_backoff: RetryBackoff,
    /// Delay before running a task again after [`crate::TaskOutcome::Repeat`].
    pub repeat_delay: Duration,
    /// Tasks of one key in one queue that trigger emergency compaction.
    pub compaction_threshold: usize,
}

impl Default for QueueSetConfig {
    fn default() -> Self {
        Self {
            retry_backoff: RetryBackoff::default(),
            repeat_delay: DEFAULT_REPEAT_DELAY,
            compaction_threshold: DEFAULT_COMPACTION_THRESHOLD,
        }
    }
}

/// A low-level queue operation, timed for `tasks_queue_action_duration_seconds{queue_action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueAction {
    /// A task was queued at the head.
    AddFirst,
    /// A task was queued at the tail (including an emergency compaction it triggered).
    AddLast,
    /// The head task was taken, combined with the tasks behind it.
    RemoveFirst,
}

impl QueueAction {
    /// Upstream's label value.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueAction::AddFirst => "AddFirst",
            QueueAction::AddLast => "AddLast",
            QueueAction::RemoveFirst => "RemoveFirst",
        }
    }
}

/// Notified about queue events that feed metrics (no metrics crate here).
pub trait QueueObserver<T: QueueTask>: Send + Sync + 'static {
    /// `action` on `queue` held the queue's lock for `took`.
    fn on_action(&self, queue: &str, action: QueueAction, took: std::time::Duration) {
        let _ = (queue, action, took);
    }

    /// An emergency compaction merged `compaction.merged` tasks of one key in `queue`
    /// (`tasks_queue_compaction_operations_total`).
    fn on_compaction(&self, queue: &str, compaction: &Compaction<T::Key>) {
        let _ = (queue, compaction);
    }
}

/// Why a task could not be queued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    /// The queue set was stopped; no new work is accepted.
    #[error("queue set is stopped, task for queue '{queue}' dropped")]
    Stopped {
        /// The queue the task was meant for.
        queue: String,
    },
}

/// Named task queues; cheap to clone (all clones share the queues).
pub struct QueueSet<T: QueueTask> {
    pub(crate) inner: Arc<Inner<T>>,
}

impl<T: QueueTask> Clone for QueueSet<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

pub(crate) struct Inner<T: QueueTask> {
    pub(crate) handler: Arc<dyn DynHandler<T>>,
    pub(crate) config: QueueSetConfig,
    pub(crate) cancel: CancellationToken,
    pub(crate) tracker: TaskTracker,
    queues: Mutex<Registry<T>>,
    observer: Mutex<Option<Arc<dyn QueueObserver<T>>>>,
}

struct Registry<T: QueueTask> {
    queues: BTreeMap<String, Arc<QueueShared<T>>>,
    runtime: Option<Handle>,
}

/// One queue's state, shared by its worker and the producers.
pub(crate) struct QueueShared<T: QueueTask> {
    pub(crate) name: Arc<str>,
    pub(crate) state: Mutex<QueueState<T>>,
    pub(crate) wake: Notify,
}

pub(crate) struct QueueState<T: QueueTask> {
    pub(crate) tasks: TaskQueue<Queued<T>>,
    pub(crate) in_progress: Option<TaskSnapshot>,
    pub(crate) status: String,
}

impl<T: QueueTask> QueueShared<T> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, QueueState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: QueueTask> QueueSet<T> {
    /// A stopped set with an empty `main` queue. Tasks may be queued before [`QueueSet::start`].
    /// Cancelling `cancel` stops intake and lets each queue finish its running task.
    pub fn new<H: TaskHandler<T>>(
        handler: H,
        config: QueueSetConfig,
        cancel: CancellationToken,
    ) -> Self {
        let set = Self {
            inner: Arc::new(Inner {
                handler: Arc::new(handler),
                config,
                cancel,
                tracker: TaskTracker::new(),
                queues: Mutex::new(Registry {
                    queues: BTreeMap::new(),
                    runtime: None,
                }),
                observer: Mutex::new(None),
            }),
        };
        set.ensure_queue(MAIN_QUEUE);
        set
    }

    /// Installs the metrics observer.
    pub fn set_observer(&self, observer: Arc<dyn QueueObserver<T>>) {
        *self
            .inner
            .observer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(observer);
    }

    /// Starts one worker per queue (and for every queue created later). Must be called inside a
    /// tokio runtime; calling it again does nothing.
    pub fn start(&self) {
        let Ok(runtime) = Handle::try_current() else {
            tracing::error!("task queues started outside a tokio runtime; nothing will run");
            return;
        };
        let mut registry = self.registry();
        if registry.runtime.is_some() {
            return;
        }
        for queue in registry.queues.values() {
            self.spawn_worker(queue.clone(), &runtime);
        }
        registry.runtime = Some(runtime);
    }

    /// Creates the queue `name` if it does not exist (its worker starts with the set).
    pub fn ensure_queue(&self, name: &str) {
        self.queue(name);
    }

    /// Queues `task` at the tail of `queue` (created if missing). May trigger emergency
    /// compaction of the task's key.
    pub fn push_tail(&self, queue: &str, task: T) -> Result<(), QueueError> {
        self.push(queue, task, End::Tail)
    }

    /// Queues `task` at the head of `queue` (created if missing): it runs next, after the task in
    /// progress.
    pub fn push_head(&self, queue: &str, task: T) -> Result<(), QueueError> {
        self.push(queue, task, End::Head)
    }

    /// Names of all queues, `main` first then alphabetically.
    pub fn queue_names(&self) -> Vec<String> {
        self.ordered().iter().map(|q| q.name.to_string()).collect()
    }

    /// Queued tasks plus the one in progress, for one queue (0 if it does not exist).
    pub fn len(&self, queue: &str) -> usize {
        let q = self.registry().queues.get(queue).cloned();
        q.map_or(0, |q| queue_len(&q.lock()))
    }

    /// Lengths of all queues (cheap; for the `tasks_queue_length` gauge).
    pub fn lengths(&self) -> Vec<QueueLength> {
        self.ordered()
            .iter()
            .map(|q| QueueLength {
                name: q.name.to_string(),
                length: queue_len(&q.lock()),
            })
            .collect()
    }

    /// Full listing of every queue with task descriptions (debug socket). Describes every task,
    /// so it costs O(total tasks).
    pub fn snapshot(&self) -> Vec<QueueSnapshot> {
        self.ordered().iter().map(|q| snapshot_of(q)).collect()
    }

    /// Listing of one queue.
    pub fn queue_snapshot(&self, queue: &str) -> Option<QueueSnapshot> {
        let q = self.registry().queues.get(queue).cloned()?;
        Some(snapshot_of(&q))
    }

    /// The token that stops intake.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    /// Stops intake (cancels the token), lets every queue finish its task in progress (a task
    /// waiting for its retry is not run again), and waits for all workers to exit.
    pub async fn shutdown(&self) {
        self.inner.cancel.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }

    pub(crate) fn set_status(&self, queue: &str, status: String) {
        if let Some(q) = self.registry().queues.get(queue).cloned() {
            q.lock().status = status;
        }
    }

    fn observer(&self) -> Option<Arc<dyn QueueObserver<T>>> {
        self.inner
            .observer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn observe_action(&self, queue: &str, action: QueueAction, took: Duration) {
        if let Some(o) = self.observer() {
            o.on_action(queue, action, took);
        }
    }

    pub(crate) fn observe_compaction(&self, queue: &str, compaction: &Compaction<T::Key>) {
        tracing::warn!(
            queue,
            key = ?compaction.key,
            merged = compaction.merged,
            "emergency compaction of queued tasks"
        );
        if let Some(o) = self.observer() {
            o.on_compaction(queue, compaction);
        }
    }

    fn push(&self, queue: &str, task: T, end: End) -> Result<(), QueueError> {
        if self.inner.cancel.is_cancelled() {
            return Err(QueueError::Stopped {
                queue: queue.to_string(),
            });
        }
        let q = self.queue(queue);
        let started = std::time::Instant::now();
        let compaction = {
            let mut state = q.lock();
            match end {
                End::Head => {
                    state.tasks.push_front(Queued::new(task));
                    None
                }
                End::Tail => state.tasks.push_back(Queued::new(task)),
            }
        };
        let action = match end {
            End::Head => QueueAction::AddFirst,
            End::Tail => QueueAction::AddLast,
        };
        self.observe_action(queue, action, started.elapsed());
        q.wake.notify_one();
        if let Some(c) = compaction {
            self.observe_compaction(queue, &c);
        }
        Ok(())
    }

    fn registry(&self) -> MutexGuard<'_, Registry<T>> {
        self.inner
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn queue(&self, name: &str) -> Arc<QueueShared<T>> {
        let mut registry = self.registry();
        if let Some(q) = registry.queues.get(name) {
            return q.clone();
        }
        let q = Arc::new(QueueShared {
            name: Arc::from(name),
            state: Mutex::new(QueueState {
                tasks: TaskQueue::with_compaction_threshold(self.inner.config.compaction_threshold),
                in_progress: None,
                status: String::new(),
            }),
            wake: Notify::new(),
        });
        registry.queues.insert(name.to_string(), q.clone());
        if let Some(runtime) = &registry.runtime {
            self.spawn_worker(q.clone(), runtime);
        }
        q
    }

    fn spawn_worker(&self, queue: Arc<QueueShared<T>>, runtime: &Handle) {
        let set = self.clone();
        self.inner
            .tracker
            .spawn_on(worker::run(set, queue), runtime);
    }

    fn ordered(&self) -> Vec<Arc<QueueShared<T>>> {
        let registry = self.registry();
        let main = registry.queues.get(MAIN_QUEUE).cloned();
        main.into_iter()
            .chain(
                registry
                    .queues
                    .iter()
                    .filter(|(name, _)| name.as_str() != MAIN_QUEUE)
                    .map(|(_, q)| q.clone()),
            )
            .collect()
    }
}

#[derive(Clone, Copy)]
enum End {
    Head,
    Tail,
}

fn queue_len<T: QueueTask>(state: &QueueState<T>) -> usize {
    state.tasks.len() + usize::from(state.in_progress.is_some())
}

fn snapshot_of<T: QueueTask>(q: &QueueShared<T>) -> QueueSnapshot {
    let state = q.lock();
    let tasks = state
        .in_progress
        .iter()
        .cloned()
        .chain(state.tasks.iter().map(|t| TaskSnapshot {
            description: t.describe(),
            failure_count: t.failures,
            in_progress: false,
        }))
        .collect();
    QueueSnapshot {
        name: q.name.to_string(),
        length: queue_len(&state),
        status: state.status.clone(),
        tasks,
    }
}
