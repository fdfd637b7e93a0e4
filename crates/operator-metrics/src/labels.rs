//! Typed label sets: only bounded values (hook, binding, queue names), never object names or task ids.

use prometheus_client::encoding::EncodeLabelSet;

/// `{hook,binding,queue}`: hook runs, queue waits, kube events, jq filters and snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HookRunLabels {
    /// Hook name: its path relative to the hooks directory.
    pub hook: String,
    /// Binding name; empty for onStartup, as upstream.
    pub binding: String,
    /// Queue name; empty for admission and conversion runs, as upstream.
    pub queue: String,
}

impl HookRunLabels {
    /// Builds the label set from borrowed names.
    pub fn new(hook: &str, binding: &str, queue: &str) -> Self {
        Self {
            hook: hook.to_owned(),
            binding: binding.to_owned(),
            queue: queue.to_owned(),
        }
    }
}

/// `{hook}`: enabling a hook's Kubernetes bindings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HookLabels {
    /// Hook name.
    pub hook: String,
}

/// `{queue}`: `tasks_queue_length`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct QueueLabels {
    /// Queue name.
    pub queue: String,
}

/// `{queue_name,queue_action}`: `tasks_queue_action_duration_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct QueueActionLabels {
    /// Queue name.
    pub queue_name: String,
    /// The low-level queue operation, such as `AddLast` or `Remove`.
    pub queue_action: String,
}

/// `{error_type}`: `kubernetes_client_watch_errors_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct WatchErrorLabels {
    /// A short, bounded classification of the error.
    pub error_type: String,
}

/// `{binding}`: `binding_monitor_missing_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct BindingLabels {
    /// Binding name.
    pub binding: String,
}

/// `{gvr,namespace}`: `factory_informer_dead_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct InformerLabels {
    /// `group/version/resource` of the informer.
    pub gvr: String,
    /// Namespace the informer watches; empty for cluster scope.
    pub namespace: String,
}

/// `{component,verb,url}`: `kubernetes_client_request_latency_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KubeRequestLatencyLabels {
    /// `main` for the main client, `object_patcher` for the patcher's.
    pub component: String,
    /// HTTP verb such as `GET`.
    pub verb: String,
    /// A path template from [`crate::url_template`], so object names never become label values.
    pub url: String,
}

/// `{component,code,method,host}`: `kubernetes_client_request_result_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KubeRequestResultLabels {
    /// `main` or `object_patcher`.
    pub component: String,
    /// HTTP status code, or `<error>` when there was no response.
    pub code: String,
    /// HTTP method.
    pub method: String,
    /// API server host.
    pub host: String,
}
