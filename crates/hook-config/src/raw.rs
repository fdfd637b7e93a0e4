//! Raw v1 config as written by the hook (serde types, before validation).

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawScheduleV1 {
    pub(crate) name: Option<String>,
    pub(crate) crontab: String,
    pub(crate) allow_failure: Option<bool>,
    pub(crate) include_snapshots_from: Option<Vec<String>>,
    pub(crate) queue: Option<String>,
    pub(crate) group: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawNameSelector {
    pub(crate) match_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawLabelSelector {
    pub(crate) match_labels: Option<BTreeMap<String, String>>,
    pub(crate) match_expressions: Option<Vec<RawLabelExpression>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLabelExpression {
    pub(crate) key: String,
    pub(crate) operator: String,
    pub(crate) values: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawFieldSelector {
    pub(crate) match_expressions: Vec<RawFieldExpression>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFieldExpression {
    pub(crate) field: String,
    pub(crate) operator: String,
    pub(crate) value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawNamespaceSelector {
    pub(crate) name_selector: Option<RawNameSelector>,
    pub(crate) label_selector: Option<RawLabelSelector>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawKubernetesV1 {
    pub(crate) name: Option<String>,
    pub(crate) api_version: Option<String>,
    pub(crate) kind: String,
    pub(crate) execute_hook_on_event: Option<Vec<String>>,
    pub(crate) watch_event: Option<Vec<String>>,
    pub(crate) execute_hook_on_synchronization: Option<bool>,
    pub(crate) wait_for_synchronization: Option<bool>,
    pub(crate) keep_full_objects_in_memory: Option<bool>,
    pub(crate) resynchronization_period: Option<String>,
    pub(crate) name_selector: Option<RawNameSelector>,
    pub(crate) label_selector: Option<RawLabelSelector>,
    pub(crate) field_selector: Option<RawFieldSelector>,
    pub(crate) namespace: Option<RawNamespaceSelector>,
    pub(crate) jq_filter: Option<String>,
    pub(crate) allow_failure: Option<bool>,
    pub(crate) include_snapshots_from: Option<Vec<String>>,
    pub(crate) queue: Option<String>,
    pub(crate) group: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawWebhookRule {
    pub(crate) api_groups: Vec<String>,
    pub(crate) api_versions: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) operations: Vec<String>,
    pub(crate) scope: Option<String>,
}

/// Open in upstream's schema: unknown keys are ignored.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawMatchCondition {
    pub(crate) name: String,
    pub(crate) expression: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawWebhookNamespace {
    pub(crate) label_selector: RawLabelSelector,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawWebhookV1 {
    pub(crate) name: String,
    pub(crate) group: Option<String>,
    pub(crate) include_snapshots_from: Option<Vec<String>>,
    pub(crate) rules: Option<Vec<RawWebhookRule>>,
    pub(crate) failure_policy: Option<String>,
    pub(crate) side_effects: Option<String>,
    pub(crate) timeout_seconds: Option<i64>,
    pub(crate) match_conditions: Option<Vec<RawMatchCondition>>,
    pub(crate) label_selector: Option<RawLabelSelector>,
    pub(crate) namespace: Option<RawWebhookNamespace>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawConversionRule {
    pub(crate) from_version: String,
    pub(crate) to_version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawConversionV1 {
    pub(crate) name: String,
    pub(crate) crd_name: String,
    pub(crate) conversions: Vec<RawConversionRule>,
    pub(crate) group: Option<String>,
    pub(crate) include_snapshots_from: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawSettings {
    pub(crate) execution_min_interval: Option<String>,
    pub(crate) execution_burst: Option<serde_json::Number>,
    pub(crate) execution_timeout: Option<String>,
}

/// The v1 top level. Extra ordered keys (addon-operator) are read separately.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawConfigV1 {
    pub(crate) on_startup: Option<serde_json::Number>,
    pub(crate) schedule: Option<Vec<RawScheduleV1>>,
    pub(crate) kubernetes: Option<Vec<RawKubernetesV1>>,
    pub(crate) kubernetes_validating: Option<Vec<RawWebhookV1>>,
    pub(crate) kubernetes_mutating: Option<Vec<RawWebhookV1>>,
    pub(crate) kubernetes_custom_resource_conversion: Option<Vec<RawConversionV1>>,
    pub(crate) settings: Option<RawSettings>,
}

/// v0 `schedule[]` item (unknown keys are ignored, as upstream).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawScheduleV0 {
    pub(crate) name: Option<String>,
    pub(crate) crontab: Option<String>,
    pub(crate) allow_failure: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawNamespaceSelectorV0 {
    pub(crate) match_names: Option<Vec<String>>,
    pub(crate) any: Option<bool>,
}

/// v0 `onKubernetesEvent[]` item (unknown keys are ignored, as upstream).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawKubernetesV0 {
    pub(crate) name: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) event: Option<Vec<String>>,
    pub(crate) selector: Option<RawLabelSelector>,
    pub(crate) object_name: Option<String>,
    pub(crate) namespace_selector: Option<RawNamespaceSelectorV0>,
    pub(crate) jq_filter: Option<String>,
    pub(crate) allow_failure: Option<bool>,
}
