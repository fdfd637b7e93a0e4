//! QueueSet behaviour under virtual time: ordering, combining, retries, follow-ups, storms,
//! shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use task_queue::{
    Compaction, Jitter, MergeReason, QueueAction, QueueError, QueueObserver, QueueSet,
    QueueSetConfig, QueueTask, RetryBackoff, TaskContext, TaskHandler, TaskOutcome,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A task holding the ids it was merged from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    key: Option<u32>,
    ids: Vec<u32>,
}

fn item(key: u32, id: u32) -> Item {
    Item {
        key: Some(key),
        ids: vec![id],
    }
}

fn lone(id: u32) -> Item {
    Item {
        key: None,
        ids: vec![id],
    }
}

impl QueueTask for Item {
    type Key = u32;
    fn combine_key(&self) -> Option<u32> {
        self.key
    }
    fn merge(&mut self, later: Vec<Self>, _reason: MergeReason) {
        for t in later {
            self.ids.extend(t.ids);
        }
    }
    fn describe(&self) -> String {
        format!("Item:{:?}:{:?}", self.key, self.ids)
    }
}

/// One handler call as seen by the test.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    queue: String,
    ids: Vec<u32>,
    failures: u32,
    at: Duration,
}

type Script = dyn Fn(&Item, &mut TaskContext<Item>) -> TaskOutcome + Send + Sync;

/// Records calls, takes `run_time` of virtual time per task, then answers with `script`.
struct Recorder {
    origin: Instant,
    calls: Arc<Mutex<Vec<Call>>>,
    run_time: Duration,
    script: Box<Script>,
}

impl TaskHandler<Item> for Recorder {
    async fn handle(&self, task: &mut Item, ctx: &mut TaskContext<Item>) -> TaskOutcome {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Call {
                queue: ctx.queue_name().to_string(),
                ids: task.ids.clone(),
                failures: ctx.failure_count(),
                at: self.origin.elapsed(),
            });
        tokio::time::sleep(self.run_time).await;
        (self.script)(task, ctx)
    }
}

struct Harness {
    set: QueueSet<Item>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Harness {
    fn new(
        run_time: Duration,
        script: impl Fn(&Item, &mut TaskContext<Item>) -> TaskOutcome + Send + Sync + 'static,
    ) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let handler = Recorder {
            origin: Instant::now(),
            calls: calls.clone(),
            run_time,
            script: Box::new(script),
        };
        let config = QueueSetConfig {
            retry_backoff: RetryBackoff {
                jitter: Jitter::None,
                ..RetryBackoff::default()
            },
            ..QueueSetConfig::default()
        };
        let set = QueueSet::new(handler, config, CancellationToken::new());
        Self { set, calls }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn push(&self, queue: &str, task: Item) {
        assert_eq!(self.set.push_tail(queue, task), Ok(()));
    }

    /// Lets virtual time run until `cond` holds (bounded, so a broken queue fails the test).
    async fn wait_for(&self, cond: impl Fn(&[Call]) -> bool) {
        for _ in 0..100_000 {
            if cond(&self.calls()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            cond(&self.calls()),
            "condition never held: {:?}",
            self.calls()
        );
    }

    /// Lets virtual time run until every queue is empty.
    async fn idle(&self) {
        for _ in 0..100_000 {
            if self.set.lengths().iter().all(|l| l.length == 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            self.set.lengths().iter().map(|l| l.length).sum::<usize>(),
            0
        );
    }
}

fn ok(_: &Item, _: &mut TaskContext<Item>) -> TaskOutcome {
    TaskOutcome::Success
}

#[tokio::test(start_paused = true)]
async fn one_queue_runs_its_tasks_one_at_a_time_in_order() {
    let h = Harness::new(Duration::from_secs(1), ok);
    h.push("main", item(1, 1));
    h.push("main", item(2, 2));
    h.push("main", item(3, 3));
    h.set.start();
    h.idle().await;
    let calls = h.calls();
    let ids: Vec<u32> = calls.iter().map(|c| c.ids[0]).collect();
    let starts: Vec<u64> = calls.iter().map(|c| c.at.as_secs()).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(
        starts,
        vec![0, 1, 2],
        "each task starts after the previous one ended"
    );
}

#[tokio::test(start_paused = true)]
async fn consecutive_tasks_of_one_key_are_combined_when_the_head_starts() {
    let h = Harness::new(Duration::from_secs(1), ok);
    for (key, id) in [(1, 1), (1, 2), (2, 3), (1, 4)] {
        h.push("main", item(key, id));
    }
    h.set.start();
    h.idle().await;
    let runs: Vec<Vec<u32>> = h.calls().into_iter().map(|c| c.ids).collect();
    assert_eq!(runs, vec![vec![1, 2], vec![3], vec![4]]);
}

#[tokio::test(start_paused = true)]
async fn a_failing_task_is_retried_with_backoff_and_blocks_only_its_queue() {
    let h = Harness::new(Duration::ZERO, |t, ctx| {
        if t.key == Some(1) && ctx.failure_count() < 3 {
            TaskOutcome::Fail {
                error: "boom".to_string(),
            }
        } else {
            TaskOutcome::Success
        }
    });
    h.push("a", item(1, 1));
    h.push("a", item(2, 2));
    h.push("b", item(3, 3));
    h.set.start();
    h.wait_for(|c| c.iter().any(|c| c.queue == "a" && c.failures == 1))
        .await;
    let snapshot = h.set.queue_snapshot("a");
    assert_eq!(snapshot.as_ref().map(|s| s.length), Some(2));
    assert_eq!(
        snapshot.as_ref().map(|s| s.status.as_str()),
        Some("sleep after fail for 6s")
    );
    assert_eq!(
        snapshot.map(|s| s.tasks[0].description.clone()),
        Some("Item:Some(1):[1]:failures 2:boom".to_string())
    );
    h.idle().await;
    let calls = h.calls();
    let a: Vec<(Vec<u32>, u32, u64)> = calls
        .iter()
        .filter(|c| c.queue == "a")
        .map(|c| (c.ids.clone(), c.failures, c.at.as_secs()))
        .collect();
    assert_eq!(
        a,
        vec![
            (vec![1], 0, 0),
            (vec![1], 1, 5),
            (vec![1], 2, 11),
            (vec![1], 3, 18),
            (vec![2], 0, 18)
        ]
    );
    let b: Vec<u64> = calls
        .iter()
        .filter(|c| c.queue == "b")
        .map(|c| c.at.as_secs())
        .collect();
    assert_eq!(
        b,
        vec![0],
        "queue b is not blocked by the failing task in queue a"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retried_task_absorbs_tasks_queued_during_its_backoff() {
    let h = Harness::new(Duration::ZERO, |t, ctx| {
        if t.key == Some(1) && ctx.failure_count() == 0 {
            TaskOutcome::Fail {
                error: "first attempt".to_string(),
            }
        } else {
            TaskOutcome::Success
        }
    });
    h.push("main", item(1, 1));
    h.set.start();
    h.wait_for(|c| c.len() == 1).await;
    h.push("main", item(1, 2));
    h.push("main", item(1, 3));
    h.push("main", item(2, 4));
    h.idle().await;
    let runs: Vec<(Vec<u32>, u32)> = h.calls().into_iter().map(|c| (c.ids, c.failures)).collect();
    assert_eq!(runs, vec![(vec![1], 0), (vec![1, 2, 3], 1), (vec![4], 0)]);
}

#[tokio::test(start_paused = true)]
async fn an_allowed_failure_is_dropped_and_the_queue_moves_on() {
    let h = Harness::new(Duration::ZERO, |t, _| {
        if t.key == Some(1) {
            TaskOutcome::FailAllowed {
                error: "ignored".to_string(),
            }
        } else {
            TaskOutcome::Success
        }
    });
    h.push("main", item(1, 1));
    h.push("main", item(2, 2));
    h.set.start();
    h.idle().await;
    let runs: Vec<(Vec<u32>, Duration)> = h.calls().into_iter().map(|c| (c.ids, c.at)).collect();
    assert_eq!(
        runs,
        vec![(vec![1], Duration::ZERO), (vec![2], Duration::ZERO)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_counts_as_a_failure_and_is_retried() {
    let h = Harness::new(Duration::ZERO, |_, ctx| {
        if ctx.failure_count() == 0 {
            #[allow(clippy::panic, reason = "the test checks that panics are caught")]
            {
                panic!("handler bug");
            }
        }
        TaskOutcome::Success
    });
    h.push("main", item(1, 1));
    h.set.start();
    h.wait_for(|c| c.len() == 2).await;
    h.idle().await;
    let runs: Vec<(u32, u64)> = h
        .calls()
        .into_iter()
        .map(|c| (c.failures, c.at.as_secs()))
        .collect();
    assert_eq!(runs, vec![(0, 0), (1, 5)]);
}

#[tokio::test(start_paused = true)]
async fn repeat_runs_the_task_again_shortly_without_counting_a_failure() {
    let h = Harness::new(Duration::ZERO, |_, _| TaskOutcome::Repeat);
    h.push("main", item(1, 1));
    h.set.start();
    h.wait_for(|c| c.len() >= 3).await;
    let calls = h.calls();
    assert!(calls.iter().all(|c| c.failures == 0));
    assert_eq!(calls[2].at, Duration::from_millis(50));
    h.set.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_kept_task_runs_again_after_its_head_follow_ups() {
    let kept = Arc::new(AtomicBool::new(false));
    let h = Harness::new(Duration::ZERO, move |t, ctx| {
        if t.ids[0] == 1 && !kept.swap(true, Ordering::SeqCst) {
            ctx.push_head(lone(10));
            ctx.push_after(lone(11));
            ctx.push_tail(lone(12));
            return TaskOutcome::Keep;
        }
        TaskOutcome::Success
    });
    h.push("main", item(1, 1));
    h.push("main", lone(2));
    h.set.start();
    h.wait_for(|c| c.len() >= 6).await;
    h.idle().await;
    let order: Vec<u32> = h.calls().into_iter().map(|c| c.ids[0]).collect();
    assert_eq!(order, vec![1, 10, 1, 11, 2, 12]);
}

#[tokio::test(start_paused = true)]
async fn follow_ups_after_success_go_before_waiting_tasks_except_tail_ones() {
    let h = Harness::new(Duration::ZERO, |t, ctx| {
        if t.ids[0] == 1 {
            ctx.push_tail(lone(12));
            ctx.push_after(lone(11));
            ctx.push_head(lone(10));
        }
        TaskOutcome::Success
    });
    h.push("main", lone(1));
    h.push("main", lone(2));
    h.set.start();
    h.wait_for(|c| c.len() >= 5).await;
    let order: Vec<u32> = h.calls().into_iter().map(|c| c.ids[0]).collect();
    assert_eq!(order, vec![1, 10, 11, 2, 12]);
}

#[tokio::test(start_paused = true)]
async fn a_storm_against_a_slow_handler_is_combined_into_a_few_runs_without_loss() {
    let h = Harness::new(Duration::from_secs(1), ok);
    h.set.start();
    let mut max_len = 0;
    for id in 0..10_000 {
        h.push("main", item(1, id));
        max_len = max_len.max(h.set.len("main"));
        if id % 1_000 == 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    h.wait_for(|c| c.iter().map(|c| c.ids.len()).sum::<usize>() == 10_000)
        .await;
    let calls = h.calls();
    let delivered: Vec<u32> = calls.iter().flat_map(|c| c.ids.clone()).collect();
    assert_eq!(
        delivered,
        (0..10_000).collect::<Vec<u32>>(),
        "every event, once, in order"
    );
    assert!(calls.len() <= 25, "{} runs for 10,000 events", calls.len());
    assert!(max_len <= 102, "queue length stayed bounded: {max_len}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_the_running_task_and_refuses_new_work() {
    let h = Harness::new(Duration::from_secs(10), ok);
    h.push("main", item(1, 1));
    h.push("main", item(2, 2));
    h.set.start();
    h.wait_for(|c| c.len() == 1).await;
    let started = Instant::now();
    h.set.shutdown().await;
    let waited = started.elapsed();
    assert!(
        waited > Duration::from_secs(9) && waited <= Duration::from_secs(10),
        "waited for the running task: {waited:?}"
    );
    assert_eq!(h.calls().len(), 1, "the waiting task was not started");
    assert_eq!(h.set.len("main"), 1, "the waiting task stays queued");
    assert_eq!(
        h.set.push_tail("main", item(3, 3)),
        Err(QueueError::Stopped {
            queue: "main".to_string()
        })
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_interrupts_a_retry_backoff() {
    let h = Harness::new(Duration::ZERO, |_, _| TaskOutcome::Fail {
        error: "always".to_string(),
    });
    h.push("main", item(1, 1));
    h.set.start();
    h.wait_for(|c| c.len() == 1).await;
    let started = Instant::now();
    h.set.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(h.set.len("main"), 1, "the failed task stays queued");
}

#[derive(Default)]
struct Compactions(
    Mutex<HashMap<String, Vec<Compaction<u32>>>>,
    Mutex<Vec<(String, QueueAction)>>,
);

impl QueueObserver<Item> for Compactions {
    fn on_action(&self, queue: &str, action: QueueAction, _took: Duration) {
        self.1
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((queue.to_owned(), action));
    }

    fn on_compaction(&self, queue: &str, compaction: &Compaction<u32>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(queue.to_string())
            .or_default()
            .push(compaction.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn queues_are_listed_main_first_and_compactions_reported() {
    let h = Harness::new(Duration::ZERO, ok);
    let observer = Arc::new(Compactions::default());
    h.set.set_observer(observer.clone());
    h.set.ensure_queue("zeta");
    h.set.ensure_queue("alpha");
    for id in 0..101 {
        h.push("alpha", item(5, id));
    }
    assert_eq!(h.set.queue_names(), vec!["main", "alpha", "zeta"]);
    let lengths: Vec<usize> = h.set.lengths().into_iter().map(|l| l.length).collect();
    assert_eq!(lengths, vec![0, 1, 0]);
    let seen = observer.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(
        seen.get("alpha"),
        Some(&vec![Compaction {
            key: 5,
            merged: 100
        }])
    );
    let snap = h.set.snapshot();
    assert_eq!(snap[1].tasks.len(), 1);
    assert!(!snap[1].tasks[0].in_progress);
}

#[tokio::test(start_paused = true)]
async fn queues_created_after_start_get_a_worker() {
    let h = Harness::new(Duration::ZERO, ok);
    h.set.start();
    h.push("late", item(1, 1));
    h.wait_for(|c| c.len() == 1).await;
    assert_eq!(h.calls()[0].queue, "late");
}

#[tokio::test(start_paused = true)]
async fn the_handler_sees_how_long_the_task_waited() {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = waits.clone();
    let h = Harness::new(Duration::from_secs(2), move |_, ctx| {
        w.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ctx.wait_time().as_secs());
        TaskOutcome::Success
    });
    h.push("main", item(1, 1));
    h.push("main", item(2, 2));
    h.set.start();
    h.wait_for(|c| c.len() == 2).await;
    h.idle().await;
    // wait_time is measured at the start of the attempt.
    assert_eq!(*waits.lock().unwrap_or_else(|e| e.into_inner()), vec![0, 2]);
}

#[tokio::test(start_paused = true)]
async fn every_push_and_pop_is_reported_as_a_queue_action() {
    let h = Harness::new(Duration::ZERO, ok);
    let observer = Arc::new(Compactions::default());
    h.set.set_observer(observer.clone());
    h.push("main", item(1, 1));
    h.set.push_head("main", item(2, 2)).unwrap();
    h.set.start();
    h.wait_for(|c| c.len() == 2).await;
    let actions = observer.1.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let main = |a| ("main".to_owned(), a);
    assert_eq!(
        actions,
        vec![
            main(QueueAction::AddLast),
            main(QueueAction::AddFirst),
            main(QueueAction::RemoveFirst),
            main(QueueAction::RemoveFirst),
        ]
    );
}
