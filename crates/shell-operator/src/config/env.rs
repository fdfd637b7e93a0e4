//! Environment variable names, as upstream spells them (ours where noted).

/// `--hooks-dir`.
pub const HOOKS_DIR: &str = "SHELL_OPERATOR_HOOKS_DIR";
/// `--tmp-dir`.
pub const TMP_DIR: &str = "SHELL_OPERATOR_TMP_DIR";
/// `--listen-address`.
pub const LISTEN_ADDRESS: &str = "SHELL_OPERATOR_LISTEN_ADDRESS";
/// `--listen-port`.
pub const LISTEN_PORT: &str = "SHELL_OPERATOR_LISTEN_PORT";
/// `--prometheus-metrics-prefix`.
pub const PROMETHEUS_METRICS_PREFIX: &str = "SHELL_OPERATOR_PROMETHEUS_METRICS_PREFIX";
/// `--namespace`.
pub const NAMESPACE: &str = "SHELL_OPERATOR_NAMESPACE";
/// `--kube-context`.
pub const KUBE_CONTEXT: &str = "KUBE_CONTEXT";
/// `--kube-config`.
pub const KUBE_CONFIG: &str = "KUBE_CONFIG";
/// `--kube-server`.
pub const KUBE_SERVER: &str = "KUBE_SERVER";
/// `--kube-client-qps`.
pub const KUBE_CLIENT_QPS: &str = "KUBE_CLIENT_QPS";
/// `--kube-client-burst`.
pub const KUBE_CLIENT_BURST: &str = "KUBE_CLIENT_BURST";
/// `--object-patcher-kube-client-qps`.
pub const OBJECT_PATCHER_KUBE_CLIENT_QPS: &str = "OBJECT_PATCHER_KUBE_CLIENT_QPS";
/// `--object-patcher-kube-client-burst`.
pub const OBJECT_PATCHER_KUBE_CLIENT_BURST: &str = "OBJECT_PATCHER_KUBE_CLIENT_BURST";
/// `--object-patcher-kube-client-timeout`.
pub const OBJECT_PATCHER_KUBE_CLIENT_TIMEOUT: &str = "OBJECT_PATCHER_KUBE_CLIENT_TIMEOUT";
/// `--log-level`.
pub const LOG_LEVEL: &str = "LOG_LEVEL";
/// `--log-type`.
pub const LOG_TYPE: &str = "LOG_TYPE";
/// `--log-no-time`.
pub const LOG_NO_TIME: &str = "LOG_NO_TIME";
/// `--log-proxy-hook-json`.
pub const LOG_PROXY_HOOK_JSON: &str = "LOG_PROXY_HOOK_JSON";
/// `--validating-webhook-configuration-name`.
pub const VALIDATING_WEBHOOK_CONFIGURATION_NAME: &str = "VALIDATING_WEBHOOK_CONFIGURATION_NAME";
/// `--validating-webhook-configuration-annotation` (comma-separated `KEY=VALUE`; no upstream
/// equivalent).
pub const VALIDATING_WEBHOOK_CONFIGURATION_ANNOTATIONS: &str =
    "VALIDATING_WEBHOOK_CONFIGURATION_ANNOTATIONS";
/// `--validating-webhook-service-name`.
pub const VALIDATING_WEBHOOK_SERVICE_NAME: &str = "VALIDATING_WEBHOOK_SERVICE_NAME";
/// `--validating-webhook-server-cert`.
pub const VALIDATING_WEBHOOK_SERVER_CERT: &str = "VALIDATING_WEBHOOK_SERVER_CERT";
/// `--validating-webhook-server-key`.
pub const VALIDATING_WEBHOOK_SERVER_KEY: &str = "VALIDATING_WEBHOOK_SERVER_KEY";
/// `--validating-webhook-ca`.
pub const VALIDATING_WEBHOOK_CA: &str = "VALIDATING_WEBHOOK_CA";
/// `--validating-webhook-client-ca` (comma-separated).
pub const VALIDATING_WEBHOOK_CLIENT_CA: &str = "VALIDATING_WEBHOOK_CLIENT_CA";
/// `--validating-webhook-failure-policy`.
pub const VALIDATING_WEBHOOK_FAILURE_POLICY: &str = "VALIDATING_WEBHOOK_FAILURE_POLICY";
/// `--validating-webhook-listen-port`.
pub const VALIDATING_WEBHOOK_LISTEN_PORT: &str = "VALIDATING_WEBHOOK_LISTEN_PORT";
/// `--validating-webhook-listen-address`.
pub const VALIDATING_WEBHOOK_LISTEN_ADDRESS: &str = "VALIDATING_WEBHOOK_LISTEN_ADDRESS";
/// `--conversion-webhook-service-name`.
pub const CONVERSION_WEBHOOK_SERVICE_NAME: &str = "CONVERSION_WEBHOOK_SERVICE_NAME";
/// `--conversion-webhook-server-cert`.
pub const CONVERSION_WEBHOOK_SERVER_CERT: &str = "CONVERSION_WEBHOOK_SERVER_CERT";
/// `--conversion-webhook-server-key`.
pub const CONVERSION_WEBHOOK_SERVER_KEY: &str = "CONVERSION_WEBHOOK_SERVER_KEY";
/// `--conversion-webhook-ca`.
pub const CONVERSION_WEBHOOK_CA: &str = "CONVERSION_WEBHOOK_CA";
/// `--conversion-webhook-client-ca` (comma-separated).
pub const CONVERSION_WEBHOOK_CLIENT_CA: &str = "CONVERSION_WEBHOOK_CLIENT_CA";
/// `--conversion-webhook-listen-port`.
pub const CONVERSION_WEBHOOK_LISTEN_PORT: &str = "CONVERSION_WEBHOOK_LISTEN_PORT";
/// `--conversion-webhook-listen-address`.
pub const CONVERSION_WEBHOOK_LISTEN_ADDRESS: &str = "CONVERSION_WEBHOOK_LISTEN_ADDRESS";
/// `--debug-unix-socket`.
pub const DEBUG_UNIX_SOCKET: &str = "DEBUG_UNIX_SOCKET";
/// `--debug-http-addr`.
pub const DEBUG_HTTP_SERVER_ADDR: &str = "DEBUG_HTTP_SERVER_ADDR";
/// `--debug-keep-tmp-files`.
pub const DEBUG_KEEP_TMP_FILES: &str = "DEBUG_KEEP_TMP_FILES";
/// `--debug-kubernetes-api`.
pub const DEBUG_KUBERNETES_API: &str = "DEBUG_KUBERNETES_API";
/// `--hook-timeout` (ours).
pub const HOOK_TIMEOUT: &str = "SHELL_OPERATOR_HOOK_TIMEOUT";
/// `--shutdown-grace-period` (ours).
pub const SHUTDOWN_GRACE_PERIOD: &str = "SHELL_OPERATOR_SHUTDOWN_GRACE_PERIOD";
/// `--embedded-cluster` (ours).
pub const EMBEDDED_CLUSTER: &str = "SHELL_OPERATOR_EMBEDDED_CLUSTER";
/// `--embedded-cluster-kubeconfig` (ours).
pub const EMBEDDED_CLUSTER_KUBECONFIG: &str = "SHELL_OPERATOR_EMBEDDED_CLUSTER_KUBECONFIG";
/// `--ha` (ours).
pub const HA: &str = "SHELL_OPERATOR_HA";
/// `--ha-lease-name` (ours).
pub const HA_LEASE_NAME: &str = "SHELL_OPERATOR_HA_LEASE_NAME";
/// `--ha-namespace` (ours).
pub const HA_NAMESPACE: &str = "SHELL_OPERATOR_HA_NAMESPACE";
/// `--ha-lease-duration` (ours).
pub const HA_LEASE_DURATION: &str = "SHELL_OPERATOR_HA_LEASE_DURATION";
/// `--ha-renew-deadline` (ours).
pub const HA_RENEW_DEADLINE: &str = "SHELL_OPERATOR_HA_RENEW_DEADLINE";
/// `--ha-retry-period` (ours).
pub const HA_RETRY_PERIOD: &str = "SHELL_OPERATOR_HA_RETRY_PERIOD";
/// Env-only: the leader-election identity (the Deployment sets it from `metadata.name`);
/// the hostname when unset.
pub const POD_NAME: &str = "POD_NAME";
/// Env-only: `no` turns off `tasks_queue_action_duration_seconds`.
pub const QUEUE_ACTIONS_METRICS: &str = "QUEUE_ACTIONS_METRICS";
/// Env-only: OTLP traces endpoint.
pub const TRACING_OTLP_ENDPOINT: &str = "TRACING_OTLP_ENDPOINT";
/// Env-only: bearer token for the OTLP endpoint.
pub const TRACING_OTLP_AUTH_TOKEN: &str = "TRACING_OTLP_AUTH_TOKEN";
