//! The operator's metrics: one registry built here (no globals) with the shared self metrics
//! (`live_ticks`, Kubernetes client requests, process metrics) and addon-operator's own, and
//! the store `/metrics/hooks` serves (empty until hooks run).

use std::sync::Arc;

use hook_metrics::HookMetricsStore;
use operator_http::TextExposition;
use operator_metrics::{
    AddonMetrics, CommonMetrics, KubeClientMetrics, MetricsConfig, MetricsRegistry,
    ProcessCollector,
};

/// The registry and the handles to record into; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppMetrics {
    registry: Arc<MetricsRegistry>,
    hooks: Arc<HookMetricsStore>,
    /// `live_ticks` and the queue and Kubernetes event metrics.
    pub common: CommonMetrics,
    /// `kubernetes_client_request_*` of the operator's client (`component="main"`).
    pub kube_client: KubeClientMetrics,
    /// Module runs, the helm step, the resources monitor, converges.
    pub addon: AddonMetrics,
}

impl AppMetrics {
    /// Registers every self metric with `prefix` (`--prometheus-metrics-prefix`), plus the
    /// unprefixed `process_*` metrics Go's default registry adds.
    pub fn new(prefix: &str) -> Self {
        let mut registry = MetricsRegistry::default();
        registry.register_collector(Box::new(ProcessCollector::default()));
        let common = CommonMetrics::register(&mut registry, &MetricsConfig::with_prefix(prefix));
        let kube_client = KubeClientMetrics::register(&mut registry, prefix);
        let addon = AddonMetrics::register(&mut registry, prefix);
        Self {
            registry: Arc::new(registry),
            hooks: Arc::new(HookMetricsStore::default()),
            common,
            kube_client,
            addon,
        }
    }

    /// What `/metrics` serves.
    pub fn exposition(&self) -> Arc<dyn TextExposition> {
        Arc::clone(&self.registry) as Arc<dyn TextExposition>
    }

    /// What `/metrics/hooks` serves.
    pub fn hook_exposition(&self) -> Arc<dyn TextExposition> {
        Arc::clone(&self.hooks) as Arc<dyn TextExposition>
    }
}
