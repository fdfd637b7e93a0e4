//! Handling one queued task: run a hook (rate limit, snapshots, binding-context file, hook-exec,
//! outputs) or enable a hook's bindings.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hook_exec::{HookRunOutput, HookRunSpec, LogContext, LogProxy, TmpFiles};
use task_queue::{TaskContext, TaskHandler, TaskOutcome};
use tokio_util::sync::CancellationToken;

use crate::extensions::{Extensions, RunOutcome, RunReport};
use crate::hook::{Hook, HookRegistry};
use crate::schedule::ScheduleManager;
use crate::task::{EngineTask, HookRun};

/// How hooks are run.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Where the per-run files are created (`--tmp-dir`).
    pub tmp_dir: PathBuf,
    /// The environment every hook gets before the `*_PATH` variables (the operator's own, plus
    /// e.g. `KUBECONFIG` for an embedded cluster).
    pub env: Vec<(OsString, OsString)>,
    /// `--debug-keep-tmp-files`.
    pub tmp_files: TmpFiles,
    /// `--hook-timeout`; a hook's `settings.executionTimeout` wins.
    pub default_timeout: Option<Duration>,
    /// `--log-proxy-hook-json`.
    pub log_proxy: LogProxy,
}

/// Wall time and resource usage of a hook process.
pub(crate) type Measured = (Duration, Option<hook_exec::ResourceUsage>);

/// The [`TaskHandler`] of the engine's queues.
pub struct Runner {
    registry: Arc<HookRegistry>,
    config: RunnerConfig,
    extensions: Extensions,
    schedules: Arc<Mutex<ScheduleManager>>,
    /// Cancelled when the shutdown grace period is over: running hooks are killed.
    kill: CancellationToken,
}

impl Runner {
    /// A runner for `registry`.
    pub fn new(
        registry: Arc<HookRegistry>,
        config: RunnerConfig,
        extensions: Extensions,
        schedules: Arc<Mutex<ScheduleManager>>,
        kill: CancellationToken,
    ) -> Self {
        Self {
            registry,
            config,
            extensions,
            schedules,
            kill,
        }
    }

    async fn run_hook(&self, run: &mut HookRun, ctx: &TaskContext<EngineTask>) -> TaskOutcome {
        let Some(hook) = self.registry.get(&run.hook).cloned() else {
            tracing::error!(hook = %run.hook, "task for an unknown hook dropped");
            return TaskOutcome::Success;
        };
        tokio::select! {
            () = hook.rate_limiter.acquire() => {}
            () = ctx.stopping().cancelled() => return TaskOutcome::Keep,
        }
        let queue = ctx.queue_name().to_owned();
        let observer = &self.extensions.observer;
        observer.run_started(run, &queue, ctx.wait_time());
        let (outcome, measured) = self.attempt(&hook, run, ctx).await;
        let report = RunReport {
            outcome: match &outcome {
                TaskOutcome::Success => RunOutcome::Success,
                TaskOutcome::FailAllowed { .. } => RunOutcome::AllowedFailure,
                _ => RunOutcome::Failed,
            },
            duration: measured.as_ref().map_or(Duration::ZERO, |m| m.0),
            usage: measured.and_then(|m| m.1),
        };
        observer.run_finished(run, &queue, &report);
        if report.outcome != RunOutcome::Failed && !run.synchronizations.is_empty() {
            self.extensions
                .kubernetes
                .synchronized(&hook, &run.synchronizations);
        }
        outcome
    }

    /// One attempt: fresh objects and snapshots, the context file, the process, its outputs.
    /// Also returns the process's wall time and usage when it ran.
    async fn attempt(
        &self,
        hook: &Hook,
        run: &mut HookRun,
        ctx: &TaskContext<EngineTask>,
    ) -> (TaskOutcome, Option<Measured>) {
        if !run.synchronizations.is_empty() {
            self.extensions.kubernetes.prepare_run(hook, run);
        }
        match self.execute(hook, run, ctx.queue_name()).await {
            Ok(output) => (TaskOutcome::Success, Some((output.duration, output.usage))),
            Err((message, measured)) => (fail(run, message), measured),
        }
    }

    /// Fresh snapshots, the context file, the process and its outputs. An error carries the
    /// failure message and, when the process ran, its wall time and usage.
    pub(crate) async fn execute(
        &self,
        hook: &Hook,
        run: &mut HookRun,
        queue: &str,
    ) -> Result<HookRunOutput, (String, Option<Measured>)> {
        self.refresh_snapshots(hook, run);
        let binding_context = binding_context::render(&run.contexts, run.format)
            .map_err(|e| (format!("render binding context: {e}"), None))?;
        let spec = self.spec(hook, run, queue, binding_context);
        tracing::info!(
            hook = %hook.name,
            binding = %run.binding,
            queue,
            contexts = run.contexts.len(),
            "Execute hook"
        );
        let output = hook_exec::run_hook(&spec, &self.kill).await.map_err(|e| {
            (
                format!("{} FAILED: {}", hook.name, error_report::chain(&e)),
                None,
            )
        })?;
        let measured = Some((output.duration, output.usage));
        if let Some(message) = output.failure_message() {
            return Err((format!("{} FAILED: {message}", hook.name), measured));
        }
        if let Err(e) = self.extensions.outputs.apply(hook, run, &output).await {
            return Err((format!("{}: {e}", hook.name), measured));
        }
        tracing::info!(
            hook = %hook.name,
            binding = %run.binding,
            queue,
            duration_ms = output.duration.as_millis() as u64,
            "Hook executed successfully"
        );
        Ok(output)
    }

    /// The loaded hooks.
    pub(crate) fn registry(&self) -> &HookRegistry {
        &self.registry
    }

    /// The extensions.
    pub(crate) fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Resolves when running hooks are being killed (end of the shutdown grace period).
    pub(crate) async fn killed(&self) {
        self.kill.cancelled().await;
    }

    /// Re-reads every included snapshot: hooks see the state at run time, and every context of
    /// one run sees the same snapshot of a binding.
    fn refresh_snapshots(&self, hook: &Hook, run: &mut HookRun) {
        let mut cache: std::collections::HashMap<String, binding_context::Items> =
            std::collections::HashMap::new();
        for context in &mut run.contexts {
            let Some(snapshots) = context.snapshots.as_mut() else {
                continue;
            };
            for (binding, items) in snapshots.iter_mut() {
                let fresh = cache
                    .entry(binding.clone())
                    .or_insert_with(|| self.extensions.snapshots.snapshot(&hook.name, binding));
                *items = fresh.clone();
            }
        }
    }

    fn spec(&self, hook: &Hook, run: &HookRun, queue: &str, context: Vec<u8>) -> HookRunSpec {
        let mut spec = HookRunSpec::new(
            hook.path.clone(),
            self.config.tmp_dir.clone(),
            hook.name.clone(),
        );
        spec.base_env = self.config.env.clone();
        spec.binding_context = context;
        spec.tmp_files = self.config.tmp_files;
        spec.timeout = hook.timeout(self.config.default_timeout);
        spec.log_proxy = self.config.log_proxy;
        spec.sink = Arc::clone(&self.extensions.log_sink);
        spec.log = LogContext {
            hook: hook.name.clone(),
            binding: run.binding.clone(),
            event: run.binding_type.as_str().to_owned(),
            task: "HookRun".to_owned(),
            queue: queue.to_owned(),
        };
        spec
    }

    fn enable_schedules(&self, hook_name: &str) -> TaskOutcome {
        let Some(hook) = self.registry.get(hook_name) else {
            return TaskOutcome::Success;
        };
        let crontabs = hook.config.schedules.iter().map(|b| &b.crontab);
        self.schedules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .enable_hook(&hook.name, crontabs);
        for binding in &hook.config.schedules {
            tracing::info!(
                hook = %hook.name,
                binding = %binding.name,
                crontab = binding.crontab.source(),
                "schedule binding enabled"
            );
        }
        TaskOutcome::Success
    }

    async fn enable_kubernetes(
        &self,
        hook_name: &str,
        ctx: &mut TaskContext<EngineTask>,
    ) -> TaskOutcome {
        let Some(hook) = self.registry.get(hook_name).cloned() else {
            return TaskOutcome::Success;
        };
        let started = tokio::time::Instant::now();
        let result = self.extensions.kubernetes.enable(&hook).await;
        self.extensions
            .observer
            .kubernetes_enabled(&hook.name, started.elapsed(), result.is_ok());
        match result {
            Ok(tasks) => {
                // Synchronization runs go to the head of main in binding order.
                for task in tasks {
                    ctx.push_head(task);
                }
                TaskOutcome::Success
            }
            Err(error) => {
                tracing::error!(hook = %hook.name, %error, "enable kubernetes bindings failed");
                TaskOutcome::Fail { error }
            }
        }
    }
}

fn fail(run: &HookRun, error: String) -> TaskOutcome {
    if run.allow_failure {
        tracing::warn!(hook = %run.hook, binding = %run.binding, %error, "Hook failed, but allowed to fail");
        TaskOutcome::FailAllowed { error }
    } else {
        tracing::error!(hook = %run.hook, binding = %run.binding, %error, "Hook failed");
        TaskOutcome::Fail { error }
    }
}

/// The queues share the runner with [`crate::direct::DirectRuns`].
impl TaskHandler<EngineTask> for Arc<Runner> {
    async fn handle(
        &self,
        task: &mut EngineTask,
        ctx: &mut TaskContext<EngineTask>,
    ) -> TaskOutcome {
        match task {
            EngineTask::HookRun(run) => self.run_hook(run, ctx).await,
            EngineTask::EnableScheduleBindings { hook } => self.enable_schedules(hook),
            EngineTask::EnableKubernetesBindings { hook } => {
                let hook = hook.clone();
                self.enable_kubernetes(&hook, ctx).await
            }
        }
    }
}
