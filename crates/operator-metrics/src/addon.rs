//! addon-operator's own metrics (upstream `pkg/addon-operator/metrics.go`): module runs and
//! deletes, the helm step, the resources monitor, converges, config and discovery errors.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use crate::buckets::ADDON_BUCKETS;
use crate::exposition::MetricsRegistry;

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn addon_histogram() -> Histogram {
    Histogram::new(ADDON_BUCKETS.iter().copied())
}

/// `activation` of the first converge (and of module runs during it), as upstream.
pub const ACTIVATION_OPERATOR_STARTUP: &str = "OperatorStartup";
/// `activation` of a converge after a ConfigMap change of `global` or of the enabled modules.
pub const ACTIVATION_RELOAD_ALL_MODULES: &str = "ReloadAllModules";

/// `{module}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ModuleLabels {
    /// The module name (kebab-case).
    pub module: String,
}

/// `{module,activation}`: module runs and the helm step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ModuleActivationLabels {
    /// The module name.
    pub module: String,
    /// `OperatorStartup` during the first converge, else empty (upstream HEAD).
    pub activation: String,
}

/// `{module,activation,operation}`: `helm_operation_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HelmOperationLabels {
    /// The module name.
    pub module: String,
    /// As in [`ModuleActivationLabels`].
    pub activation: String,
    /// `template`, `check-upgrade` or `upgrade`.
    pub operation: String,
}

/// `{module,resource}`: `modules_absent_resources_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AbsentResourceLabels {
    /// The module name.
    pub module: String,
    /// `<namespace>/<Kind>/<name>`.
    pub resource: String,
}

/// `{activation}`: converges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ActivationLabels {
    /// `OperatorStartup` for the first converge, `ReloadAllModules` for later ones.
    pub activation: String,
}

/// The helm step's operations, the `operation` label of `helm_operation_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelmOperation {
    /// Rendering the chart.
    Template,
    /// Deciding whether to upgrade (history, checksum, absent objects).
    CheckUpgrade,
    /// Writing the revision and applying the objects.
    Upgrade,
}

impl HelmOperation {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            HelmOperation::Template => "template",
            HelmOperation::CheckUpgrade => "check-upgrade",
            HelmOperation::Upgrade => "upgrade",
        }
    }
}

/// Handles for addon-operator's metrics; cheap to clone.
#[derive(Debug, Clone)]
pub struct AddonMetrics {
    config_values_errors: Counter,
    modules_discover_errors: Counter,
    module_run_errors: Family<ModuleLabels, Counter>,
    module_delete_errors: Family<ModuleLabels, Counter>,
    module_run_seconds: HistogramFamily<ModuleActivationLabels>,
    module_helm_seconds: HistogramFamily<ModuleActivationLabels>,
    helm_operation_seconds: HistogramFamily<HelmOperationLabels>,
    release_redeployed: Family<ModuleLabels, Counter>,
    absent_resources: Family<AbsentResourceLabels, Counter>,
    convergence_seconds: Family<ActivationLabels, Counter<f64, AtomicU64>>,
    convergence_total: Family<ActivationLabels, Counter>,
}

impl AddonMetrics {
    /// Registers `<prefix>config_values_errors_total`, `<prefix>modules_discover_errors_total`,
    /// `<prefix>module_{run,delete}_errors_total`, `<prefix>module_{run,helm}_seconds`,
    /// `<prefix>helm_operation_seconds`, `<prefix>modules_helm_release_redeployed_total`,
    /// `<prefix>modules_absent_resources_total`, `<prefix>convergence_seconds` (a counter
    /// without `_total`, as upstream) and `<prefix>convergence_total`.
    pub fn register(registry: &mut MetricsRegistry, prefix: &str) -> Self {
        let this = Self {
            config_values_errors: Counter::default(),
            modules_discover_errors: Counter::default(),
            module_run_errors: Family::default(),
            module_delete_errors: Family::default(),
            module_run_seconds: Family::new_with_constructor(addon_histogram),
            module_helm_seconds: Family::new_with_constructor(addon_histogram),
            helm_operation_seconds: Family::new_with_constructor(addon_histogram),
            release_redeployed: Family::default(),
            absent_resources: Family::default(),
            convergence_seconds: Family::default(),
            convergence_total: Family::default(),
        };
        let p = prefix;
        registry.register(
            &format!("{p}config_values_errors"),
            "ConfigMap versions rejected as invalid",
            this.config_values_errors.clone(),
        );
        registry.register(
            &format!("{p}modules_discover_errors"),
            "Failed calculations of the enabled modules",
            this.modules_discover_errors.clone(),
        );
        registry.register(
            &format!("{p}module_run_errors"),
            "Failed module runs",
            this.module_run_errors.clone(),
        );
        registry.register(
            &format!("{p}module_delete_errors"),
            "Failed module deletes",
            this.module_delete_errors.clone(),
        );
        registry.register(
            &format!("{p}module_run_seconds"),
            "Histogram of module run durations in seconds",
            this.module_run_seconds.clone(),
        );
        registry.register(
            &format!("{p}module_helm_seconds"),
            "Histogram of the helm step's durations in seconds",
            this.module_helm_seconds.clone(),
        );
        registry.register(
            &format!("{p}helm_operation_seconds"),
            "Histogram of helm operation durations in seconds",
            this.helm_operation_seconds.clone(),
        );
        registry.register(
            &format!("{p}modules_helm_release_redeployed"),
            "Releases the resources monitor found not deployed",
            this.release_redeployed.clone(),
        );
        registry.register(
            &format!("{p}modules_absent_resources"),
            "Release objects the resources monitor found missing",
            this.absent_resources.clone(),
        );
        registry.register_counter_without_total(
            &format!("{p}convergence_seconds"),
            "Seconds spent converging modules",
            this.convergence_seconds.clone(),
        );
        registry.register(
            &format!("{p}convergence"),
            "Converges of the modules",
            this.convergence_total.clone(),
        );
        this
    }

    /// Counts a ConfigMap version that did not parse or validate.
    pub fn config_values_error(&self) {
        self.config_values_errors.inc();
    }

    /// Counts a failed calculation of the enabled modules.
    pub fn modules_discover_error(&self) {
        self.modules_discover_errors.inc();
    }

    /// Counts a failed module run.
    pub fn module_run_error(&self, module: &str) {
        self.module_run_errors
            .get_or_create(&module_labels(module))
            .inc();
    }

    /// Counts a failed module delete.
    pub fn module_delete_error(&self, module: &str) {
        self.module_delete_errors
            .get_or_create(&module_labels(module))
            .inc();
    }

    /// Observes one module run, failed or not.
    pub fn module_run(&self, module: &str, activation: &str, took: Duration) {
        self.module_run_seconds
            .get_or_create(&activation_labels(module, activation))
            .observe(took.as_secs_f64());
    }

    /// Observes one helm step (render and release), failed or not.
    pub fn module_helm(&self, module: &str, activation: &str, took: Duration) {
        self.module_helm_seconds
            .get_or_create(&activation_labels(module, activation))
            .observe(took.as_secs_f64());
    }

    /// Observes one helm operation.
    pub fn helm_operation(
        &self,
        module: &str,
        activation: &str,
        operation: HelmOperation,
        took: Duration,
    ) {
        self.helm_operation_seconds
            .get_or_create(&HelmOperationLabels {
                module: module.to_owned(),
                activation: activation.to_owned(),
                operation: operation.as_str().to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts a release the resources monitor found not `deployed`.
    pub fn release_redeployed(&self, module: &str) {
        self.release_redeployed
            .get_or_create(&module_labels(module))
            .inc();
    }

    /// Counts an object of a release the resources monitor found missing.
    pub fn absent_resource(&self, module: &str, resource: &str) {
        self.absent_resources
            .get_or_create(&AbsentResourceLabels {
                module: module.to_owned(),
                resource: resource.to_owned(),
            })
            .inc();
    }

    /// Counts one converge and adds its duration.
    pub fn convergence(&self, activation: &str, took: Duration) {
        let labels = ActivationLabels {
            activation: activation.to_owned(),
        };
        self.convergence_seconds
            .get_or_create(&labels)
            .inc_by(took.as_secs_f64());
        self.convergence_total.get_or_create(&labels).inc();
    }
}

fn module_labels(module: &str) -> ModuleLabels {
    ModuleLabels {
        module: module.to_owned(),
    }
}

fn activation_labels(module: &str, activation: &str) -> ModuleActivationLabels {
    ModuleActivationLabels {
        module: module.to_owned(),
        activation: activation.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn every_addon_metric_has_the_upstream_name_type_and_labels() {
        let mut registry = MetricsRegistry::default();
        let m = AddonMetrics::register(&mut registry, "addon_operator_");
        let took = Duration::from_millis(3);
        m.config_values_error();
        m.modules_discover_error();
        m.module_run_error("echo-server");
        m.module_delete_error("echo-server");
        m.module_run("echo-server", ACTIVATION_OPERATOR_STARTUP, took);
        m.module_helm("echo-server", "", took);
        m.helm_operation("echo-server", "", HelmOperation::CheckUpgrade, took);
        m.release_redeployed("echo-server");
        m.absent_resource("echo-server", "ns/ConfigMap/c");
        m.convergence(ACTIVATION_OPERATOR_STARTUP, Duration::from_millis(1500));
        let text = registry.encode().unwrap();
        for line in [
            "# TYPE addon_operator_config_values_errors_total counter\naddon_operator_config_values_errors_total 1\n",
            "# TYPE addon_operator_modules_discover_errors_total counter\naddon_operator_modules_discover_errors_total 1\n",
            "addon_operator_module_run_errors_total{module=\"echo-server\"} 1\n",
            "addon_operator_module_delete_errors_total{module=\"echo-server\"} 1\n",
            "# TYPE addon_operator_module_run_seconds histogram\n",
            "addon_operator_module_run_seconds_bucket{module=\"echo-server\",activation=\"OperatorStartup\",le=\"0.005\"} 1\n",
            "addon_operator_module_helm_seconds_count{module=\"echo-server\",activation=\"\"} 1\n",
            "addon_operator_helm_operation_seconds_count{module=\"echo-server\",activation=\"\",operation=\"check-upgrade\"} 1\n",
            "addon_operator_modules_helm_release_redeployed_total{module=\"echo-server\"} 1\n",
            "addon_operator_modules_absent_resources_total{module=\"echo-server\",resource=\"ns/ConfigMap/c\"} 1\n",
            "# TYPE addon_operator_convergence_seconds counter\naddon_operator_convergence_seconds{activation=\"OperatorStartup\"} 1.5\n",
            "addon_operator_convergence_total{activation=\"OperatorStartup\"} 1\n",
        ] {
            assert!(text.contains(line), "missing {line} in {text}");
        }
    }
}
