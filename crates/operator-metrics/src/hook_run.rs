//! Shell-operator's per-hook metrics: runs, their resources and outcome, queue waits, binding start.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use crate::buckets::HOOK_RUN_BUCKETS;
use crate::exposition::MetricsRegistry;
use crate::labels::{HookLabels, HookRunLabels};

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn hook_run_histogram() -> Histogram {
    Histogram::new(HOOK_RUN_BUCKETS.iter().copied())
}

/// How a hook run ended, which picks the counter that gets the 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookRunOutcome {
    /// Exit 0 and its outputs applied.
    Success,
    /// Failed with `allowFailure: false` (the task is retried).
    Error,
    /// Failed with `allowFailure: true` (the failure is ignored).
    AllowedError,
}

/// What one hook run measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRunRecord {
    /// Wall-clock time of the run.
    pub duration: Duration,
    /// User CPU time of the hook process and its children (rusage).
    pub user_cpu: Duration,
    /// System CPU time of the hook process and its children (rusage).
    pub sys_cpu: Duration,
    /// Peak resident set size in bytes (rusage `ru_maxrss` × 1024 on Linux).
    pub max_rss_bytes: u64,
    /// How the run ended.
    pub outcome: HookRunOutcome,
}

/// Handles for the hook metrics; cheap to clone, share one per operator.
#[derive(Debug, Clone)]
pub struct HookRunMetrics {
    run_seconds: HistogramFamily<HookRunLabels>,
    user_cpu_seconds: HistogramFamily<HookRunLabels>,
    sys_cpu_seconds: HistogramFamily<HookRunLabels>,
    max_rss_bytes: Family<HookRunLabels, Gauge>,
    errors: Family<HookRunLabels, Counter>,
    allowed_errors: Family<HookRunLabels, Counter>,
    success: Family<HookRunLabels, Counter>,
    wait_in_queue_seconds: Family<HookRunLabels, Counter<f64, AtomicU64>>,
    enable_bindings_seconds: Family<HookLabels, Gauge<f64, AtomicU64>>,
    enable_bindings_errors: Family<HookLabels, Counter>,
    enable_bindings_success: Family<HookLabels, Gauge<f64, AtomicU64>>,
}

impl HookRunMetrics {
    /// Registers `<prefix>hook_run_*`, `<prefix>task_wait_in_queue_seconds_total` and
    /// `<prefix>hook_enable_kubernetes_bindings_*`.
    pub fn register(registry: &mut MetricsRegistry, prefix: &str) -> Self {
        let this = Self {
            run_seconds: Family::new_with_constructor(hook_run_histogram),
            user_cpu_seconds: Family::new_with_constructor(hook_run_histogram),
            sys_cpu_seconds: Family::new_with_constructor(hook_run_histogram),
            max_rss_bytes: Family::default(),
            errors: Family::default(),
            allowed_errors: Family::default(),
            success: Family::default(),
            wait_in_queue_seconds: Family::default(),
            enable_bindings_seconds: Family::default(),
            enable_bindings_errors: Family::default(),
            enable_bindings_success: Family::default(),
        };
        let p = prefix;
        registry.register(
            &format!("{p}hook_run_seconds"),
            "Histogram of hook execution times in seconds",
            this.run_seconds.clone(),
        );
        registry.register(
            &format!("{p}hook_run_user_cpu_seconds"),
            "Histogram of hook user CPU usage in seconds",
            this.user_cpu_seconds.clone(),
        );
        registry.register(
            &format!("{p}hook_run_sys_cpu_seconds"),
            "Histogram of hook system CPU usage in seconds",
            this.sys_cpu_seconds.clone(),
        );
        registry.register(
            &format!("{p}hook_run_max_rss_bytes"),
            "Maximum resident set size of the hook process in bytes",
            this.max_rss_bytes.clone(),
        );
        registry.register(
            &format!("{p}hook_run_errors"),
            "Hook runs that failed with allowFailure false",
            this.errors.clone(),
        );
        registry.register(
            &format!("{p}hook_run_allowed_errors"),
            "Hook runs that failed with allowFailure true",
            this.allowed_errors.clone(),
        );
        registry.register(
            &format!("{p}hook_run_success"),
            "Hook runs that succeeded",
            this.success.clone(),
        );
        registry.register(
            &format!("{p}task_wait_in_queue_seconds"),
            "Seconds hook run tasks waited in their queue",
            this.wait_in_queue_seconds.clone(),
        );
        registry.register(
            &format!("{p}hook_enable_kubernetes_bindings_seconds"),
            "Seconds it took to start the Kubernetes informers of a hook",
            this.enable_bindings_seconds.clone(),
        );
        registry.register(
            &format!("{p}hook_enable_kubernetes_bindings_errors"),
            "Failed attempts to start the Kubernetes informers of a hook",
            this.enable_bindings_errors.clone(),
        );
        registry.register(
            &format!("{p}hook_enable_kubernetes_bindings_success"),
            "1 when the Kubernetes informers of a hook are started, else 0",
            this.enable_bindings_success.clone(),
        );
        this
    }

    /// Records one finished run: the three histograms, the RSS gauge, and 1 added to the counter of
    /// the outcome and 0 to the two others (so all three series exist, as upstream).
    pub fn hook_run(&self, labels: &HookRunLabels, record: &HookRunRecord) {
        self.run_seconds
            .get_or_create(labels)
            .observe(record.duration.as_secs_f64());
        self.user_cpu_seconds
            .get_or_create(labels)
            .observe(record.user_cpu.as_secs_f64());
        self.sys_cpu_seconds
            .get_or_create(labels)
            .observe(record.sys_cpu.as_secs_f64());
        self.max_rss_bytes
            .get_or_create(labels)
            .set(i64::try_from(record.max_rss_bytes).unwrap_or(i64::MAX));
        let (error, allowed, success) = match record.outcome {
            HookRunOutcome::Success => (0, 0, 1),
            HookRunOutcome::Error => (1, 0, 0),
            HookRunOutcome::AllowedError => (0, 1, 0),
        };
        self.errors.get_or_create(labels).inc_by(error);
        self.allowed_errors.get_or_create(labels).inc_by(allowed);
        self.success.get_or_create(labels).inc_by(success);
    }

    /// Adds the time a hook run task spent queued before it started.
    pub fn task_waited_in_queue(&self, labels: &HookRunLabels, waited: Duration) {
        self.wait_in_queue_seconds
            .get_or_create(labels)
            .inc_by(waited.as_secs_f64());
    }

    /// Records a successful start of a hook's Kubernetes bindings and how long it took.
    pub fn kubernetes_bindings_enabled(&self, hook: &str, took: Duration) {
        let labels = HookLabels {
            hook: hook.to_owned(),
        };
        self.enable_bindings_seconds
            .get_or_create(&labels)
            .set(took.as_secs_f64());
        self.enable_bindings_success.get_or_create(&labels).set(1.0);
    }

    /// Records a failed attempt to start a hook's Kubernetes bindings.
    pub fn kubernetes_bindings_failed(&self, hook: &str) {
        let labels = HookLabels {
            hook: hook.to_owned(),
        };
        self.enable_bindings_errors.get_or_create(&labels).inc();
        self.enable_bindings_success.get_or_create(&labels).set(0.0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn record(outcome: HookRunOutcome) -> HookRunRecord {
        HookRunRecord {
            duration: Duration::from_millis(300),
            user_cpu: Duration::from_millis(30),
            sys_cpu: Duration::from_millis(10),
            max_rss_bytes: 2048,
            outcome,
        }
    }

    fn encode_after(records: &[HookRunOutcome]) -> String {
        let mut registry = MetricsRegistry::default();
        let metrics = HookRunMetrics::register(&mut registry, "p_");
        let labels = HookRunLabels::new("a.sh", "b", "main");
        for outcome in records {
            metrics.hook_run(&labels, &record(*outcome));
        }
        registry.encode().unwrap()
    }

    const LABELS: &str = r#"{hook="a.sh",binding="b",queue="main"}"#;

    #[test]
    fn a_successful_run_adds_one_to_success_and_zero_to_both_error_counters() {
        let text = encode_after(&[HookRunOutcome::Success]);
        assert!(
            text.contains(&format!("p_hook_run_success_total{LABELS} 1\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("p_hook_run_errors_total{LABELS} 0\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("p_hook_run_allowed_errors_total{LABELS} 0\n")),
            "{text}"
        );
    }

    #[test]
    fn failed_runs_count_by_allow_failure() {
        let text = encode_after(&[
            HookRunOutcome::Error,
            HookRunOutcome::Error,
            HookRunOutcome::AllowedError,
        ]);
        assert!(
            text.contains(&format!("p_hook_run_errors_total{LABELS} 2\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("p_hook_run_allowed_errors_total{LABELS} 1\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("p_hook_run_success_total{LABELS} 0\n")),
            "{text}"
        );
    }

    #[test]
    fn run_seconds_histogram_uses_upstream_buckets_and_sums_durations() {
        let text = encode_after(&[HookRunOutcome::Success, HookRunOutcome::Success]);
        let bucket = |le: &str| {
            format!(
                r#"p_hook_run_seconds_bucket{{hook="a.sh",binding="b",queue="main",le="{le}"}}"#
            )
        };
        assert!(text.contains(&format!("{} 0\n", bucket("0.2"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("0.5"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("500"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("+Inf"))), "{text}");
        assert!(
            text.contains(&format!("p_hook_run_seconds_count{LABELS} 2\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("p_hook_run_seconds_sum{LABELS} 0.6\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("p_hook_run_max_rss_bytes{LABELS} 2048\n")),
            "{text}"
        );
    }

    #[test]
    fn binding_start_sets_success_gauge_and_failures_count() {
        let mut registry = MetricsRegistry::default();
        let metrics = HookRunMetrics::register(&mut registry, "p_");
        metrics.kubernetes_bindings_failed("h");
        metrics.kubernetes_bindings_enabled("h", Duration::from_millis(1500));
        let text = registry.encode().unwrap();
        assert!(
            text.contains("p_hook_enable_kubernetes_bindings_errors_total{hook=\"h\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("p_hook_enable_kubernetes_bindings_success{hook=\"h\"} 1.0\n"),
            "{text}"
        );
        assert!(
            text.contains("p_hook_enable_kubernetes_bindings_seconds{hook=\"h\"} 1.5\n"),
            "{text}"
        );
    }
}
