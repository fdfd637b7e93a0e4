//! The loop that drives one queue: take the head, combine, handle, then retry, keep or move on.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;

use crate::envelope::Queued;
use crate::handler::{FollowUps, TaskContext, TaskOutcome};
use crate::queue_set::{QueueAction, QueueSet, QueueShared};
use crate::snapshot::TaskSnapshot;
use crate::task::QueueTask;

/// Runs until the set is cancelled; a task in progress is always finished first.
pub(crate) async fn run<T: QueueTask>(set: QueueSet<T>, queue: Arc<QueueShared<T>>) {
    let cancel = set.inner.cancel.clone();
    loop {
        let started = std::time::Instant::now();
        let next = {
            let mut state = queue.lock();
            let next = state.tasks.pop_combined();
            state.status = if next.is_some() {
                "run first task".to_string()
            } else {
                String::new()
            };
            if let Some(task) = &next {
                state.in_progress = Some(in_progress(task));
            }
            next
        };
        if next.is_some() {
            set.observe_action(&queue.name, QueueAction::RemoveFirst, started.elapsed());
        }
        let Some(task) = next else {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = queue.wake.notified() => continue,
            }
        };
        if cancel.is_cancelled() {
            // Stopping: put the task back untouched (it was not started).
            let mut state = queue.lock();
            state.in_progress = None;
            state.tasks.push_front(task);
            return;
        }
        if drive(&set, &queue, task).await.is_break() {
            return;
        }
        // A handler that never awaits anything pending must not starve other queues.
        tokio::task::yield_now().await;
    }
}

/// Runs one task through all its attempts. Breaks when the set is stopping.
async fn drive<T: QueueTask>(
    set: &QueueSet<T>,
    queue: &Arc<QueueShared<T>>,
    mut task: Queued<T>,
) -> std::ops::ControlFlow<()> {
    use std::ops::ControlFlow::{Break, Continue};
    let cancel = set.inner.cancel.clone();
    loop {
        let mut ctx = TaskContext {
            queue_name: queue.name.clone(),
            failure_count: task.failures,
            enqueued_at: task.enqueued_at,
            started_at: Instant::now(),
            follow_ups: FollowUps::default(),
            queue_set: set.clone(),
            stopping: cancel.clone(),
        };
        let outcome = AssertUnwindSafe(set.inner.handler.handle_boxed(&mut task.task, &mut ctx))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| TaskOutcome::Fail {
                error: "task handler panicked".to_string(),
            });
        let follow_ups = ctx.follow_ups;
        let delay = match outcome {
            TaskOutcome::Success => {
                finish(set, queue, None, follow_ups);
                return Continue(());
            }
            TaskOutcome::FailAllowed { error } => {
                tracing::warn!(queue = %queue.name, task = %task.describe(), %error, "Task failed, but allowed to fail");
                finish(set, queue, None, follow_ups);
                return Continue(());
            }
            TaskOutcome::Keep => {
                finish(set, queue, Some(task), follow_ups);
                return Continue(());
            }
            TaskOutcome::Repeat => set.inner.config.repeat_delay,
            TaskOutcome::Fail { error } => {
                task.failures = task.failures.saturating_add(1);
                let delay = set.inner.config.retry_backoff.delay(task.failures);
                tracing::error!(
                    queue = %queue.name,
                    task = %task.task.describe(),
                    failures = task.failures,
                    retry_in = ?delay,
                    %error,
                    "task failed, retrying after backoff"
                );
                task.last_error = Some(error);
                let mut state = queue.lock();
                state.status = format!("sleep after fail for {}", format_delay(delay));
                state.in_progress = Some(in_progress(&task));
                delay
            }
        };
        tokio::select! {
            () = cancel.cancelled() => {
                let mut state = queue.lock();
                state.in_progress = None;
                state.tasks.push_front(task);
                return Break(());
            }
            () = tokio::time::sleep(delay) => {}
        }
        // A retried task is combined again, taking in tasks queued meanwhile.
        let mut state = queue.lock();
        state.tasks.absorb_followers(&mut task);
        state.status = "run first task".to_string();
        state.in_progress = Some(in_progress(&task));
    }
}

/// Removes the finished task from the listing and queues its follow-ups (and the task itself
/// for `Keep`) in upstream order: head tasks, the kept task, after tasks, the rest, tail tasks.
fn finish<T: QueueTask>(
    set: &QueueSet<T>,
    queue: &QueueShared<T>,
    kept: Option<Queued<T>>,
    follow_ups: FollowUps<T>,
) {
    let compactions = {
        let mut state = queue.lock();
        state.in_progress = None;
        state.status = String::new();
        for t in follow_ups.after.into_iter().rev() {
            state.tasks.push_front(Queued::new(t));
        }
        if let Some(t) = kept {
            state.tasks.push_front(t);
        }
        for t in follow_ups.head.into_iter().rev() {
            state.tasks.push_front(Queued::new(t));
        }
        follow_ups
            .tail
            .into_iter()
            .filter_map(|t| state.tasks.push_back(Queued::new(t)))
            .collect::<Vec<_>>()
    };
    for c in &compactions {
        set.observe_compaction(&queue.name, c);
    }
}

fn in_progress<T: QueueTask>(task: &Queued<T>) -> TaskSnapshot {
    TaskSnapshot {
        description: task.describe(),
        failure_count: task.failures,
        in_progress: true,
    }
}

fn format_delay(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}.{}s", ms / 1000, (ms % 1000) / 100)
    }
}
