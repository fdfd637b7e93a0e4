//! Metrics shared by shell-operator and addon-operator: liveness, queues, Kubernetes events.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use crate::buckets::{KUBE_EVENT_BUCKETS, QUEUE_ACTION_BUCKETS};
use crate::config::MetricsConfig;
use crate::exposition::MetricsRegistry;
use crate::hook_run::HookRunMetrics;
use crate::kube_client::KubeClientMetrics;
use crate::labels::{
    BindingLabels, HookRunLabels, InformerLabels, QueueActionLabels, QueueLabels, WatchErrorLabels,
};

/// How often `live_ticks` grows (after the first tick at start).
pub const LIVE_TICKS_INTERVAL: Duration = Duration::from_secs(10);

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn queue_action_histogram() -> Histogram {
    Histogram::new(QUEUE_ACTION_BUCKETS.iter().copied())
}

fn kube_event_histogram() -> Histogram {
    Histogram::new(KUBE_EVENT_BUCKETS.iter().copied())
}

/// Handles for the operator-wide metrics; cheap to clone.
#[derive(Debug, Clone)]
pub struct CommonMetrics {
    live_ticks: Counter,
    queue_length: Family<QueueLabels, Gauge>,
    queue_action_seconds: HistogramFamily<QueueActionLabels>,
    queue_action_metrics: bool,
    snapshot_objects: Family<HookRunLabels, Gauge>,
    jq_filter_seconds: HistogramFamily<HookRunLabels>,
    kube_event_seconds: HistogramFamily<HookRunLabels>,
    watch_errors: Family<WatchErrorLabels, Counter>,
    binding_monitor_missing: Family<BindingLabels, Counter>,
    informer_dead: Family<InformerLabels, Counter>,
}

impl CommonMetrics {
    /// Registers `<prefix>live_ticks`, `<prefix>tasks_queue_*`, `<prefix>kube_*`,
    /// `<prefix>kubernetes_client_watch_errors_total`, `<prefix>binding_monitor_missing_total` and
    /// `<prefix>factory_informer_dead_total`.
    pub fn register(registry: &mut MetricsRegistry, config: &MetricsConfig) -> Self {
        let this = Self {
            live_ticks: Counter::default(),
            queue_length: Family::default(),
            queue_action_seconds: Family::new_with_constructor(queue_action_histogram),
            queue_action_metrics: config.queue_action_metrics,
            snapshot_objects: Family::default(),
            jq_filter_seconds: Family::new_with_constructor(kube_event_histogram),
            kube_event_seconds: Family::new_with_constructor(kube_event_histogram),
            watch_errors: Family::default(),
            binding_monitor_missing: Family::default(),
            informer_dead: Family::default(),
        };
        let p = &config.prefix;
        registry.register_counter_without_total(
            &format!("{p}live_ticks"),
            "Counter that increases every 10 seconds while the operator is alive",
            this.live_ticks.clone(),
        );
        registry.register(
            &format!("{p}tasks_queue_length"),
            "Number of tasks in the queue",
            this.queue_length.clone(),
        );
        registry.register(
            &format!("{p}tasks_queue_action_duration_seconds"),
            "Histogram of task queue operation durations in seconds",
            this.queue_action_seconds.clone(),
        );
        registry.register(
            &format!("{p}kube_snapshot_objects"),
            "Number of cached objects (the snapshot) of a binding",
            this.snapshot_objects.clone(),
        );
        registry.register(
            &format!("{p}kube_jq_filter_duration_seconds"),
            "Histogram of jq filter execution durations in seconds",
            this.jq_filter_seconds.clone(),
        );
        registry.register(
            &format!("{p}kube_event_duration_seconds"),
            "Histogram of Kubernetes event handling durations in seconds",
            this.kube_event_seconds.clone(),
        );
        registry.register(
            &format!("{p}kubernetes_client_watch_errors"),
            "Kubernetes watch errors by error type",
            this.watch_errors.clone(),
        );
        registry.register(
            &format!("{p}binding_monitor_missing"),
            "Events for a binding whose monitor was not found",
            this.binding_monitor_missing.clone(),
        );
        registry.register(
            &format!("{p}factory_informer_dead"),
            "Informers that stopped and had to be restarted",
            this.informer_dead.clone(),
        );
        this
    }

    /// Adds one tick to `live_ticks`; [`crate::run_live_ticks`] calls it on schedule.
    pub fn live_tick(&self) {
        self.live_ticks.inc();
    }

    /// Sets `tasks_queue_length{queue}` (upstream samples every queue every 5 s).
    pub fn set_queue_length(&self, queue: &str, length: usize) {
        self.queue_length
            .get_or_create(&QueueLabels {
                queue: queue.to_owned(),
            })
            .set(i64::try_from(length).unwrap_or(i64::MAX));
    }

    /// Observes one low-level queue operation, unless `QUEUE_ACTIONS_METRICS=no`.
    pub fn queue_action(&self, queue: &str, action: &str, took: Duration) {
        if !self.queue_action_metrics {
            return;
        }
        self.queue_action_seconds
            .get_or_create(&QueueActionLabels {
                queue_name: queue.to_owned(),
                queue_action: action.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Sets the number of cached objects of one binding.
    pub fn set_snapshot_objects(&self, labels: &HookRunLabels, count: usize) {
        self.snapshot_objects
            .get_or_create(labels)
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Observes one jq filter run.
    pub fn jq_filter(&self, labels: &HookRunLabels, took: Duration) {
        self.jq_filter_seconds
            .get_or_create(labels)
            .observe(took.as_secs_f64());
    }

    /// Observes the handling of one Kubernetes event.
    pub fn kube_event(&self, labels: &HookRunLabels, took: Duration) {
        self.kube_event_seconds
            .get_or_create(labels)
            .observe(took.as_secs_f64());
    }

    /// Counts one watch error; `error_type` must come from a small fixed set.
    pub fn watch_error(&self, error_type: &str) {
        self.watch_errors
            .get_or_create(&WatchErrorLabels {
                error_type: error_type.to_owned(),
            })
            .inc();
    }

    /// Counts an event for a binding whose monitor is missing.
    pub fn binding_monitor_missing(&self, binding: &str) {
        self.binding_monitor_missing
            .get_or_create(&BindingLabels {
                binding: binding.to_owned(),
            })
            .inc();
    }

    /// Counts an informer that died.
    pub fn informer_dead(&self, gvr: &str, namespace: &str) {
        self.informer_dead
            .get_or_create(&InformerLabels {
                gvr: gvr.to_owned(),
                namespace: namespace.to_owned(),
            })
            .inc();
    }
}

/// Everything shell-operator exposes on `/metrics`.
#[derive(Debug, Clone)]
pub struct SelfMetrics {
    /// Liveness, queues and Kubernetes events.
    pub common: CommonMetrics,
    /// Hook runs, queue waits and binding starts.
    pub hooks: HookRunMetrics,
    /// The main Kubernetes client (`component="main"`).
    pub kube_client: KubeClientMetrics,
}

impl SelfMetrics {
    /// Registers all of shell-operator's self metrics with `config.prefix`, plus the unprefixed
    /// `process_*` metrics Go's default registry adds.
    pub fn register(registry: &mut MetricsRegistry, config: &MetricsConfig) -> Self {
        registry.register_collector(Box::new(crate::ProcessCollector::default()));
        Self {
            common: CommonMetrics::register(registry, config),
            hooks: HookRunMetrics::register(registry, &config.prefix),
            kube_client: KubeClientMetrics::register(registry, &config.prefix),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// The `# TYPE` lines Go's client writes for shell-operator, with the default prefix.
    const UPSTREAM_TYPES: &[&str] = &[
        "# TYPE shell_operator_live_ticks counter",
        "# TYPE shell_operator_tasks_queue_length gauge",
        "# TYPE shell_operator_tasks_queue_action_duration_seconds histogram",
        "# TYPE shell_operator_kube_snapshot_objects gauge",
        "# TYPE shell_operator_kube_jq_filter_duration_seconds histogram",
        "# TYPE shell_operator_kube_event_duration_seconds histogram",
        "# TYPE shell_operator_kubernetes_client_watch_errors_total counter",
        "# TYPE shell_operator_binding_monitor_missing_total counter",
        "# TYPE shell_operator_factory_informer_dead_total counter",
        "# TYPE shell_operator_hook_run_seconds histogram",
        "# TYPE shell_operator_hook_run_user_cpu_seconds histogram",
        "# TYPE shell_operator_hook_run_sys_cpu_seconds histogram",
        "# TYPE shell_operator_hook_run_max_rss_bytes gauge",
        "# TYPE shell_operator_hook_run_errors_total counter",
        "# TYPE shell_operator_hook_run_allowed_errors_total counter",
        "# TYPE shell_operator_hook_run_success_total counter",
        "# TYPE shell_operator_task_wait_in_queue_seconds_total counter",
        "# TYPE shell_operator_hook_enable_kubernetes_bindings_seconds gauge",
        "# TYPE shell_operator_hook_enable_kubernetes_bindings_errors_total counter",
        "# TYPE shell_operator_hook_enable_kubernetes_bindings_success gauge",
        "# TYPE shell_operator_kubernetes_client_request_latency_seconds histogram",
        "# TYPE shell_operator_kubernetes_client_request_result_total counter",
    ];

    /// Puts one sample in every family: empty families are not written, as in Go's client.
    fn touch_everything(metrics: &SelfMetrics) {
        let labels = HookRunLabels::new("h", "b", "q");
        let took = Duration::from_millis(1);
        metrics.common.live_tick();
        metrics.common.set_queue_length("q", 1);
        metrics.common.queue_action("q", "AddLast", took);
        metrics.common.set_snapshot_objects(&labels, 1);
        metrics.common.jq_filter(&labels, took);
        metrics.common.kube_event(&labels, took);
        metrics.common.watch_error("e");
        metrics.common.binding_monitor_missing("b");
        metrics.common.informer_dead("v1/pods", "");
        metrics.hooks.hook_run(
            &labels,
            &crate::HookRunRecord {
                duration: took,
                user_cpu: took,
                sys_cpu: took,
                max_rss_bytes: 1,
                outcome: crate::HookRunOutcome::Success,
            },
        );
        metrics.hooks.task_waited_in_queue(&labels, took);
        metrics.hooks.kubernetes_bindings_enabled("h", took);
        metrics.hooks.kubernetes_bindings_failed("h");
        metrics
            .kube_client
            .request_latency("main", "GET", "/api/v1/pods", took);
        metrics
            .kube_client
            .request_result("main", "200", "GET", "h");
    }

    #[test]
    fn every_metric_has_the_upstream_name_and_type() {
        let mut registry = MetricsRegistry::default();
        let metrics = SelfMetrics::register(&mut registry, &MetricsConfig::default());
        touch_everything(&metrics);
        let text = registry.encode().unwrap();
        let mut types: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("# TYPE ") && !l.starts_with("# TYPE process_"))
            .collect();
        types.sort_unstable();
        let mut expected = UPSTREAM_TYPES.to_vec();
        expected.sort_unstable();
        assert_eq!(types, expected);
    }

    #[test]
    fn families_without_samples_are_not_written() {
        let mut registry = MetricsRegistry::default();
        SelfMetrics::register(&mut registry, &MetricsConfig::default());
        let text: String = registry
            .encode()
            .unwrap()
            .split_inclusive('\n')
            .filter(|l| !l.contains("process_"))
            .collect();
        assert_eq!(
            text,
            "# HELP shell_operator_live_ticks Counter that increases every 10 seconds while the operator is alive.\n# TYPE shell_operator_live_ticks counter\nshell_operator_live_ticks 0\n"
        );
    }

    #[test]
    fn process_metrics_are_included_unprefixed_like_go_default_registry() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        let mut registry = MetricsRegistry::default();
        SelfMetrics::register(&mut registry, &MetricsConfig::with_prefix("x_"));
        let text = registry.encode().unwrap();
        assert!(text.contains("\nprocess_resident_memory_bytes "), "{text}");
        assert!(text.contains("\nprocess_cpu_seconds_total "), "{text}");
    }

    #[test]
    fn prefix_is_prepended_verbatim() {
        let mut registry = MetricsRegistry::default();
        let metrics = SelfMetrics::register(
            &mut registry,
            &MetricsConfig::with_prefix("addon_operator_"),
        );
        touch_everything(&metrics);
        let text = registry.encode().unwrap();
        assert!(text.contains("\naddon_operator_live_ticks 1\n"), "{text}");
        assert!(!text.contains("shell_operator_"), "{text}");
    }

    #[test]
    fn queue_action_metrics_off_records_nothing() {
        let mut registry = MetricsRegistry::default();
        let config = MetricsConfig {
            queue_action_metrics: MetricsConfig::queue_action_metrics_from_env_value(Some("no")),
            ..MetricsConfig::default()
        };
        let metrics = SelfMetrics::register(&mut registry, &config);
        metrics
            .common
            .queue_action("main", "AddLast", Duration::from_micros(150));
        let text = registry.encode().unwrap();
        assert!(
            !text.contains("tasks_queue_action_duration_seconds_count"),
            "{text}"
        );
    }

    #[test]
    fn queue_and_kube_event_metrics_carry_their_labels() {
        let mut registry = MetricsRegistry::default();
        let metrics = SelfMetrics::register(&mut registry, &MetricsConfig::default());
        let labels = HookRunLabels::new("h", "pods", "main");
        metrics.common.set_queue_length("main", 7);
        metrics
            .common
            .queue_action("main", "AddLast", Duration::from_micros(150));
        metrics.common.set_snapshot_objects(&labels, 3);
        metrics.common.jq_filter(&labels, Duration::from_millis(3));
        metrics.common.watch_error("connection");
        let text = registry.encode().unwrap();
        for line in [
            "shell_operator_tasks_queue_length{queue=\"main\"} 7\n",
            "shell_operator_tasks_queue_action_duration_seconds_bucket{queue_name=\"main\",queue_action=\"AddLast\",le=\"0.0002\"} 1\n",
            "shell_operator_kube_snapshot_objects{hook=\"h\",binding=\"pods\",queue=\"main\"} 3\n",
            "shell_operator_kube_jq_filter_duration_seconds_bucket{hook=\"h\",binding=\"pods\",queue=\"main\",le=\"0.005\"} 1\n",
            "shell_operator_kubernetes_client_watch_errors_total{error_type=\"connection\"} 1\n",
        ] {
            assert!(text.contains(line), "missing {line} in {text}");
        }
    }
}
