//! Extension points for features that live outside the engine core: applying hook outputs
//! (metrics, object patches, admission/conversion responses), reading kubernetes snapshots and
//! enabling kubernetes bindings. The defaults here do not pretend to implement them: they say in
//! the log that the feature is not available.

use std::sync::Arc;

use binding_context::Items;
use futures::future::BoxFuture;
use hook_exec::HookRunOutput;

use crate::hook::Hook;
use crate::task::{EngineTask, HookRun};

/// What to do with a successful run's output files. An error fails the run, which is then
/// retried (re-running the hook), as upstream does for metrics and patch errors.
pub trait HookOutputSink: Send + Sync + 'static {
    /// Applies the output of one run that exited 0.
    fn apply<'a>(
        &'a self,
        hook: &'a Hook,
        run: &'a HookRun,
        output: &'a HookRunOutput,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// The default sink: hook metrics, object patches and webhook responses are not handled by this
/// build; a run that writes any of them gets a warning saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnhandledOutputs;

impl HookOutputSink for UnhandledOutputs {
    fn apply<'a>(
        &'a self,
        hook: &'a Hook,
        _run: &'a HookRun,
        output: &'a HookRunOutput,
    ) -> BoxFuture<'a, Result<(), String>> {
        let files = &output.files;
        let written = [
            ("METRICS_PATH", &files.metrics),
            ("KUBERNETES_PATCH_PATH", &files.kubernetes_patch),
            ("VALIDATING_RESPONSE_PATH", &files.admission_response),
            ("CONVERSION_RESPONSE_PATH", &files.conversion_response),
        ];
        for (var, content) in written {
            if content
                .as_ref()
                .is_some_and(|c| !c.iter().all(u8::is_ascii_whitespace))
            {
                tracing::warn!(
                    hook = %hook.name,
                    file = var,
                    "hook wrote an output file that this build does not apply yet; ignored"
                );
            }
        }
        Box::pin(async { Ok(()) })
    }
}

/// Current objects of a kubernetes binding, read right before a run to fill `snapshots`.
pub trait SnapshotSource: Send + Sync + 'static {
    /// The items of `binding` of `hook` (sorted by namespace, then name).
    fn snapshot(&self, hook: &str, binding: &str) -> Items;
}

/// No kubernetes monitors: every snapshot is empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSnapshots;

impl SnapshotSource for NoSnapshots {
    fn snapshot(&self, _hook: &str, _binding: &str) -> Items {
        Vec::new().into()
    }
}

/// Starts a hook's kubernetes monitors (EnableKubernetesBindings).
pub trait KubernetesBindings: Send + Sync + 'static {
    /// Starts the monitors of `hook` and returns its Synchronization runs, to be queued at the
    /// head of `main` in binding order. An error fails the task, which is retried with backoff.
    fn enable<'a>(&'a self, hook: &'a Arc<Hook>) -> BoxFuture<'a, Result<Vec<EngineTask>, String>>;

    /// Right before each attempt of a run that carries Synchronizations
    /// ([`HookRun::synchronizations`]): fills their `objects` with the objects as they are now;
    /// events that happened before this read are part of them and are not delivered again.
    fn prepare_run(&self, _hook: &Hook, _run: &mut HookRun) {}

    /// A run that carried `synchronizations` succeeded or failed with `allowFailure`: the events
    /// of those bindings that arrived after the objects were read are queued now, in order.
    fn synchronized(&self, _hook: &Hook, _synchronizations: &[String]) {}
}

/// No kubernetes support in this build: the bindings are logged as inactive.
#[derive(Debug, Clone, Copy, Default)]
pub struct KubernetesUnavailable;

impl KubernetesBindings for KubernetesUnavailable {
    fn enable<'a>(&'a self, hook: &'a Arc<Hook>) -> BoxFuture<'a, Result<Vec<EngineTask>, String>> {
        tracing::warn!(
            hook = %hook.name,
            bindings = hook.config.kubernetes.len(),
            "kubernetes bindings are not supported by this build yet; they stay inactive"
        );
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// How one attempt of a hook run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Exit 0 and outputs applied.
    Success,
    /// Failed; the task is retried.
    Failed,
    /// Failed with `allowFailure: true`; the failure is ignored.
    AllowedFailure,
}

/// What one attempt of a hook run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// How it ended.
    pub outcome: RunOutcome,
    /// Wall time of the process (zero when it never started).
    pub duration: std::time::Duration,
    /// CPU and memory of the process, when measured.
    pub usage: Option<hook_exec::ResourceUsage>,
}

/// Watches the engine's work (self metrics). Every method has an empty default.
pub trait RunObserver: Send + Sync + 'static {
    /// An attempt of `run` starts in `queue` after the task waited `waited` since it was queued.
    fn run_started(&self, _run: &HookRun, _queue: &str, _waited: std::time::Duration) {}
    /// An attempt of `run` in `queue` ended.
    fn run_finished(&self, _run: &HookRun, _queue: &str, _report: &RunReport) {}
    /// An EnableKubernetesBindings attempt of `hook` took `took`; `ok` tells whether it succeeded.
    fn kubernetes_enabled(&self, _hook: &str, _took: std::time::Duration, _ok: bool) {}
}

/// Observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl RunObserver for NoObserver {}

/// The set of extensions an engine runs with.
#[derive(Clone)]
pub struct Extensions {
    /// Applies run outputs.
    pub outputs: Arc<dyn HookOutputSink>,
    /// Reads snapshots.
    pub snapshots: Arc<dyn SnapshotSource>,
    /// Enables kubernetes bindings.
    pub kubernetes: Arc<dyn KubernetesBindings>,
    /// Receives hook stdout/stderr records.
    pub log_sink: Arc<dyn hook_exec::OutputSink>,
    /// Sees every run and binding start (metrics).
    pub observer: Arc<dyn RunObserver>,
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions").finish_non_exhaustive()
    }
}

impl Default for Extensions {
    fn default() -> Self {
        Self {
            outputs: Arc::new(UnhandledOutputs),
            snapshots: Arc::new(NoSnapshots),
            kubernetes: Arc::new(KubernetesUnavailable),
            log_sink: Arc::new(hook_exec::TracingSink),
            observer: Arc::new(NoObserver),
        }
    }
}
