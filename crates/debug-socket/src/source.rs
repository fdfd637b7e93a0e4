//! What the debug routes show, provided by the engine through [`DebugSource`].

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

/// The name of the main queue, listed first.
pub const MAIN_QUEUE: &str = "main";

/// The engine's view for the debug routes; the engine implements it, tests use a fake.
pub trait DebugSource: Send + Sync + 'static {
    /// Every queue, including `main` when it exists, in any order.
    fn queues(&self) -> impl Future<Output = Vec<QueueView>> + Send;
    /// Hook names in the engine's order (as `hook list` prints them).
    fn hook_names(&self) -> impl Future<Output = Vec<String>> + Send;
    /// Snapshots of one hook by binding; `None` for an unknown hook. A known hook without
    /// Kubernetes bindings gives an empty map.
    fn hook_snapshots(
        &self,
        hook: &str,
    ) -> impl Future<Output = Option<BTreeMap<String, BindingSnapshot>>> + Send;
}

/// One queue as the debug socket lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    /// Queue name.
    pub name: String,
    /// Queued tasks plus the one in progress.
    pub length: usize,
    /// Status text (`run first task`, `sleep after fail for 6s`, ...).
    pub status: String,
    /// Task descriptions, head first.
    pub tasks: Vec<String>,
}

impl From<&task_queue::QueueSnapshot> for QueueView {
    fn from(snapshot: &task_queue::QueueSnapshot) -> Self {
        QueueView {
            name: snapshot.name.clone(),
            length: snapshot.length,
            status: snapshot.status.clone(),
            tasks: snapshot
                .tasks
                .iter()
                .map(|t| t.description.clone())
                .collect(),
        }
    }
}

/// A binding's snapshot and cache counters, as `/hook/<name>/snapshots` shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BindingSnapshot {
    /// The objects (`{"object":..,"filterResult":..}` items) in the snapshot.
    pub snapshot: Vec<serde_json::Value>,
    /// Cache operation counters.
    pub operations: SnapshotOperations,
}

/// Counters since start and since the hook last ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotOperations {
    /// Since the operator started.
    pub since_start: CacheCounters,
    /// Since the last execution of the hook.
    pub since_last_execution: CacheCounters,
}

/// Object cache counters of one binding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CacheCounters {
    /// Objects in the cache.
    pub count: u64,
    /// Added events.
    pub added: u64,
    /// Deleted events.
    pub deleted: u64,
    /// Modified events.
    pub modified: u64,
    /// Objects dropped by a resync.
    pub cleaned: u64,
}
