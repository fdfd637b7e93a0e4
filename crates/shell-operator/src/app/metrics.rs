//! The operator's metrics: one registry built here (no globals) with the self metrics, the store
//! of metrics written by hooks, and the adapters that feed them from the engine, kube-events and
//! engine-kube.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hook_engine::{BindingType, HookRegistry, HookRun, RunObserver, RunOutcome, RunReport};
use hook_metrics::HookMetricsStore;
use operator_http::{RenderError, TextExposition};
use operator_metrics::{
    HookRunLabels, HookRunOutcome, HookRunRecord, MetricsConfig, MetricsRegistry, SelfMetrics,
};

use crate::app::readiness::StartupTracker;
use crate::app::view::EngineView;
use crate::config::Config;

/// The self-metrics registry with its typed handles, and the hook-metrics store.
#[derive(Debug, Clone)]
pub struct AppMetrics {
    /// Served on `/metrics`.
    pub exposition: Arc<SelfExposition>,
    /// Handles to record into.
    pub handles: SelfMetrics,
    /// Served on `/metrics/hooks`; filled from `$METRICS_PATH`.
    pub hooks: Arc<HookMetricsStore>,
}

impl AppMetrics {
    /// Registers every self metric with `--prometheus-metrics-prefix`; `view` supplies the queue
    /// lengths sampled at each scrape.
    pub fn new(config: &Config, view: Arc<EngineView>) -> Self {
        let mut registry = MetricsRegistry::default();
        let metrics_config = MetricsConfig {
            prefix: config.prometheus_metrics_prefix.clone(),
            queue_action_metrics: config.queue_actions_metrics,
        };
        let handles = SelfMetrics::register(&mut registry, &metrics_config);
        Self {
            exposition: Arc::new(SelfExposition {
                registry,
                handles: handles.clone(),
                view,
            }),
            handles,
            hooks: Arc::new(HookMetricsStore::default()),
        }
    }
}

/// `/metrics`: samples `tasks_queue_length` of every queue and `kube_snapshot_objects` of every
/// kubernetes binding, then encodes the registry.
#[derive(Debug)]
pub struct SelfExposition {
    registry: MetricsRegistry,
    handles: SelfMetrics,
    view: Arc<EngineView>,
}

impl TextExposition for SelfExposition {
    fn render(&self) -> Result<String, RenderError> {
        if let Some(queues) = self.view.queues() {
            for queue in queues.lengths() {
                self.handles
                    .common
                    .set_queue_length(&queue.name, queue.length);
            }
        }
        if let Some(registry) = self.view.registry() {
            for hook in registry.iter() {
                for binding in &hook.config.kubernetes {
                    let count = self.view.snapshot(&hook.name, &binding.name).len();
                    let labels = HookRunLabels::new(&hook.name, &binding.name, &binding.queue);
                    self.handles.common.set_snapshot_objects(&labels, count);
                }
            }
        }
        self.registry.render()
    }
}

/// The queues' observer: `tasks_queue_action_duration_seconds{queue_name,queue_action}` (off with
/// `QUEUE_ACTIONS_METRICS=no`, which [`SelfMetrics`] honours).
#[derive(Debug)]
pub struct QueueActions {
    metrics: SelfMetrics,
}

impl QueueActions {
    /// Records into `metrics`.
    pub fn new(metrics: SelfMetrics) -> Self {
        Self { metrics }
    }
}

impl task_queue::QueueObserver<hook_engine::EngineTask> for QueueActions {
    fn on_action(&self, queue: &str, action: task_queue::QueueAction, took: Duration) {
        self.metrics
            .common
            .queue_action(queue, action.as_str(), took);
    }
}

/// The engine's [`RunObserver`]: hook run metrics, and startup progress for `/readyz`.
#[derive(Debug)]
pub struct EngineObserver {
    metrics: SelfMetrics,
    startup: StartupTracker,
}

impl EngineObserver {
    /// Records into `metrics` and reports startup progress to `startup`.
    pub fn new(metrics: SelfMetrics, startup: StartupTracker) -> Self {
        Self { metrics, startup }
    }
}

/// `{hook,binding,queue}` of a run; onStartup runs have an empty binding, as upstream.
fn labels(run: &HookRun, queue: &str) -> HookRunLabels {
    let binding = match run.binding_type {
        BindingType::OnStartup => "",
        _ => run.binding.as_str(),
    };
    HookRunLabels::new(&run.hook, binding, queue)
}

fn secs(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or_default()
}

impl RunObserver for EngineObserver {
    fn run_started(&self, run: &HookRun, queue: &str, waited: Duration) {
        self.metrics
            .hooks
            .task_waited_in_queue(&labels(run, queue), waited);
    }

    fn run_finished(&self, run: &HookRun, queue: &str, report: &RunReport) {
        let usage = report.usage.as_ref();
        let record = HookRunRecord {
            duration: report.duration,
            user_cpu: usage.map_or(Duration::ZERO, |u| secs(u.user_cpu_seconds)),
            sys_cpu: usage.map_or(Duration::ZERO, |u| secs(u.sys_cpu_seconds)),
            max_rss_bytes: usage.and_then(|u| u.max_rss_bytes).unwrap_or(0),
            outcome: match report.outcome {
                RunOutcome::Success => HookRunOutcome::Success,
                RunOutcome::Failed => HookRunOutcome::Error,
                RunOutcome::AllowedFailure => HookRunOutcome::AllowedError,
            },
        };
        self.metrics.hooks.hook_run(&labels(run, queue), &record);
        self.startup.run_finished(run, report.outcome);
    }

    fn kubernetes_enabled(&self, hook: &str, took: Duration, ok: bool) {
        // Failed attempts are counted by `EnableErrors`, which sees every one of them.
        if ok {
            self.metrics.hooks.kubernetes_bindings_enabled(hook, took);
        }
        self.startup.kubernetes_enabled(hook, ok);
    }
}

/// `hook_enable_kubernetes_bindings_errors_total{hook}` from engine-kube.
#[derive(Debug, Clone)]
pub struct EnableErrors(pub SelfMetrics);

impl engine_kube::EnableErrorSink for EnableErrors {
    fn enable_error(&self, hook: &str) {
        self.0.hooks.kubernetes_bindings_failed(hook);
    }
}

/// `kubernetes_client_watch_errors_total{error_type}`, `kube_jq_filter_duration_seconds` and
/// `kube_event_duration_seconds{hook,binding,queue}` from kube-events.
#[derive(Debug, Clone)]
pub struct WatchErrors {
    metrics: SelfMetrics,
    /// engine-kube's binding ids to their labels.
    labels: Arc<HashMap<kube_events::BindingId, HookRunLabels>>,
}

impl WatchErrors {
    /// Records into `metrics`, labelling object changes by the bindings of `registry`.
    pub fn new(metrics: SelfMetrics, registry: &HookRegistry) -> Self {
        let mut labels = HashMap::new();
        for hook in registry.iter() {
            for (index, binding) in hook.config.kubernetes.iter().enumerate() {
                labels.insert(
                    engine_kube::binding_id(&hook.name, index, binding),
                    HookRunLabels::new(&hook.name, &binding.name, &binding.queue),
                );
            }
        }
        Self {
            metrics,
            labels: Arc::new(labels),
        }
    }
}

impl kube_events::WatchErrorSink for WatchErrors {
    fn watch_error(&self, error_type: kube_events::WatchErrorType) {
        self.metrics.common.watch_error(error_type.as_str());
    }

    fn event_timing(&self, binding: &kube_events::BindingId, timing: &kube_events::EventTiming) {
        let Some(labels) = self.labels.get(binding) else {
            return;
        };
        if let Some(filter) = timing.filter {
            self.metrics.common.jq_filter(labels, filter);
        }
        self.metrics.common.kube_event(labels, timing.total);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use binding_context::ContextFormat;
    use operator_http::{HaMode, Readiness};

    fn config(prefix: &str) -> Config {
        let mut env = std::collections::HashMap::new();
        env.insert(
            crate::config::env::PROMETHEUS_METRICS_PREFIX.to_owned(),
            prefix.to_owned(),
        );
        Config::resolve(&crate::cli::StartArgs::default(), &env).unwrap()
    }

    #[test]
    fn a_finished_onstartup_run_is_counted_with_an_empty_binding_label_under_the_prefix() {
        let metrics = AppMetrics::new(&config("my_"), Arc::default());
        let registry = hook_engine::HookRegistry::new([]);
        let observer = EngineObserver::new(
            metrics.handles.clone(),
            StartupTracker::new(&registry, Readiness::new(HaMode::Disabled)),
        );
        let run = HookRun {
            hook: "a.sh".into(),
            binding_type: BindingType::OnStartup,
            binding: "onStartup".into(),
            queue: "main".into(),
            allow_failure: false,
            format: ContextFormat::V1,
            contexts: Vec::new(),
            synchronizations: Vec::new(),
        };
        observer.run_started(&run, "main", Duration::from_millis(5));
        observer.run_finished(
            &run,
            "main",
            &RunReport {
                outcome: RunOutcome::Success,
                duration: Duration::from_millis(20),
                usage: None,
            },
        );
        let text = metrics.exposition.render().unwrap();
        assert!(
            text.contains(r#"my_hook_run_success_total{hook="a.sh",binding="",queue="main"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("my_task_wait_in_queue_seconds_total{"),
            "{text}"
        );
        assert!(text.contains("my_live_ticks 0"), "{text}");
    }

    #[test]
    fn enable_and_watch_errors_are_counted() {
        use engine_kube::EnableErrorSink as _;
        use kube_events::WatchErrorSink as _;
        let metrics = AppMetrics::new(&config("shell_operator_"), Arc::default());
        EnableErrors(metrics.handles.clone()).enable_error("k.sh");
        let config = hook_config::parse_hook_config(
            "k.sh",
            br#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap"}]}"#,
        )
        .unwrap();
        let hook = hook_engine::Hook::new(
            hook_engine::discovery::HookFile {
                name: "k.sh".into(),
                path: "/k.sh".into(),
            },
            config,
        );
        let registry = HookRegistry::new([hook]);
        let sink = WatchErrors::new(metrics.handles.clone(), &registry);
        sink.watch_error(kube_events::WatchErrorType::Expired);
        let id = engine_kube::binding_id(
            "k.sh",
            0,
            &registry.iter().next().unwrap().config.kubernetes[0],
        );
        let timing = kube_events::EventTiming {
            filter: Some(Duration::from_millis(2)),
            total: Duration::from_millis(3),
        };
        sink.event_timing(&id, &timing);
        sink.event_timing(&kube_events::BindingId::new("unknown"), &timing);
        let text = metrics.exposition.render().unwrap();
        let labels = r#"{hook="k.sh",binding="cms",queue="main"}"#;
        for name in [
            "kube_jq_filter_duration_seconds",
            "kube_event_duration_seconds",
        ] {
            assert!(
                text.contains(&format!("shell_operator_{name}_count{labels} 1")),
                "{name}: {text}"
            );
        }
        assert!(
            text.contains(
                r#"shell_operator_hook_enable_kubernetes_bindings_errors_total{hook="k.sh"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"shell_operator_kubernetes_client_watch_errors_total{error_type="expired"} 1"#
            ),
            "{text}"
        );
    }
}
