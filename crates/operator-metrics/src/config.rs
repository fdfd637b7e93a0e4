//! What the owner decides when it registers the self metrics.

/// The default of `--prometheus-metrics-prefix` (`SHELL_OPERATOR_PROMETHEUS_METRICS_PREFIX`).
pub const DEFAULT_PREFIX: &str = "shell_operator_";

/// Settings for [`crate::SelfMetrics::register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Prepended verbatim to every name, as upstream does: `shell_operator_` gives
    /// `shell_operator_live_ticks`; addon-operator passes `addon_operator_`.
    pub prefix: String,
    /// `false` when `QUEUE_ACTIONS_METRICS=no`: `tasks_queue_action_duration_seconds` stays empty.
    pub queue_action_metrics: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            queue_action_metrics: true,
        }
    }
}

impl MetricsConfig {
    /// A config with the given prefix and the other settings at their defaults.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }

    /// The value of `QUEUE_ACTIONS_METRICS` as upstream reads it: only `no` turns the metric off.
    pub fn queue_action_metrics_from_env_value(value: Option<&str>) -> bool {
        value != Some("no")
    }
}
