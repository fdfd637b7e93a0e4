//! `cargo xtask bench engine`: hook-run overhead against a bare spawn, combining of an event storm,
//! and queue operation cost at 1,000 and 100,000 queued tasks.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use benchmarks::Summary;
use hook_exec::{HookRunSpec, run_hook};
use task_queue::{
    MergeReason, QueueSet, QueueSetConfig, QueueTask, TaskContext, TaskHandler, TaskOutcome,
    TaskQueue,
};
use tokio_util::sync::CancellationToken;

const RUNS: usize = 300;
const STORM_EVENTS: usize = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("# bench engine");
    run_overhead().await?;
    event_storm().await?;
    queue_operations();
    Ok(())
}

/// A no-op hook run through `run_hook` (context file written, six env paths, output files read and
/// removed) against spawning and waiting for the same executable with piped output.
async fn run_overhead() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let hook = dir.path().join("noop.sh");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n")?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp)?;
    let mut spec = HookRunSpec::new(hook.clone(), tmp, "noop.sh");
    spec.binding_context = format!(
        "[{{\"binding\":\"pods\",\"type\":\"Event\",\"watchEvent\":\"Added\",\"object\":{}}}]\n",
        "{\"metadata\":{\"name\":\"x\"}}"
    )
    .into_bytes();
    let cancel = CancellationToken::new();

    let mut bare = Vec::with_capacity(RUNS);
    let mut hooked = Vec::with_capacity(RUNS);
    for i in 0..RUNS + 20 {
        let start = Instant::now();
        tokio::process::Command::new(&hook)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .await?;
        let bare_time = start.elapsed();
        let start = Instant::now();
        let out = run_hook(&spec, &cancel).await?;
        let hook_time = start.elapsed();
        anyhow::ensure!(out.exit.success(), "no-op hook failed");
        if i >= 20 {
            bare.push(bare_time);
            hooked.push(hook_time);
        }
    }
    let bare = Summary::of(&bare).ok_or_else(|| anyhow::anyhow!("no samples"))?;
    let hooked = Summary::of(&hooked).ok_or_else(|| anyhow::anyhow!("no samples"))?;
    println!("hook run overhead (no-op hook, {RUNS} runs, interleaved):");
    println!("  bare spawn+wait: {bare}");
    println!("  run_hook:        {hooked}");
    println!(
        "  ratio of medians: {:.2}x (goal <= 1.5x)",
        hooked.p50.as_secs_f64() / bare.p50.as_secs_f64()
    );
    Ok(())
}

/// One hook's events: combinable with each other, counted on merge.
#[derive(Debug)]
struct Event {
    hook: &'static str,
    events: usize,
}

impl QueueTask for Event {
    type Key = &'static str;
    fn combine_key(&self) -> Option<Self::Key> {
        Some(self.hook)
    }
    fn merge(&mut self, later: Vec<Self>, _reason: MergeReason) {
        self.events += later.iter().map(|e| e.events).sum::<usize>();
    }
    fn describe(&self) -> String {
        format!("HookRun:{}", self.hook)
    }
}

struct SlowHook {
    runs: Arc<AtomicUsize>,
    events: Arc<AtomicUsize>,
}

impl TaskHandler<Event> for SlowHook {
    async fn handle(&self, task: &mut Event, _ctx: &mut TaskContext<Event>) -> TaskOutcome {
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.events.fetch_add(task.events, Ordering::SeqCst);
        TaskOutcome::Success
    }
}

/// 10,000 events for one slow (50 ms) hook, arriving in bursts of 100 every 10 ms.
async fn event_storm() -> anyhow::Result<()> {
    let runs = Arc::new(AtomicUsize::new(0));
    let events = Arc::new(AtomicUsize::new(0));
    let handler = SlowHook {
        runs: runs.clone(),
        events: events.clone(),
    };
    let cancel = CancellationToken::new();
    let set = QueueSet::new(handler, QueueSetConfig::default(), cancel.clone());
    set.start();
    let start = Instant::now();
    for _ in 0..STORM_EVENTS / 100 {
        for _ in 0..100 {
            set.push_tail(
                task_queue::MAIN_QUEUE,
                Event {
                    hook: "slow.sh",
                    events: 1,
                },
            )?;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while events.load(Ordering::SeqCst) < STORM_EVENTS {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = start.elapsed();
    cancel.cancel();
    set.shutdown().await;
    println!("event storm ({STORM_EVENTS} events for one 50 ms hook, bursts of 100 every 10 ms):");
    println!(
        "  hook runs: {} (every event delivered: {}), all handled after {:.2?}",
        runs.load(Ordering::SeqCst),
        events.load(Ordering::SeqCst),
        elapsed
    );
    Ok(())
}

#[derive(Debug)]
struct Plain(usize);

impl QueueTask for Plain {
    type Key = usize;
    fn combine_key(&self) -> Option<usize> {
        Some(self.0)
    }
    fn merge(&mut self, _later: Vec<Self>, _reason: MergeReason) {}
    fn describe(&self) -> String {
        self.0.to_string()
    }
}

/// Push then pop n tasks with distinct keys; nanoseconds per operation.
fn queue_operations() {
    println!("queue operations (distinct hooks, push n then pop n):");
    for n in [1_000usize, 100_000] {
        let mut queue = TaskQueue::new();
        let start = Instant::now();
        for i in 0..n {
            queue.push_back(Plain(i));
        }
        let pushed = start.elapsed();
        let start = Instant::now();
        let mut popped = 0;
        while queue.pop_combined().is_some() {
            popped += 1;
        }
        let popped_time = start.elapsed();
        println!(
            "  n={n:>7}: push {:.0} ns/op, pop+combine-check {:.0} ns/op ({popped} popped)",
            pushed.as_nanos() as f64 / n as f64,
            popped_time.as_nanos() as f64 / n as f64
        );
    }
}
