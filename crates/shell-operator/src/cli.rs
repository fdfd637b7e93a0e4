//! The command line as typed: every upstream flag plus ours, all optional so that environment
//! variables and defaults can fill the gaps afterwards (see [`crate::config`]).

use clap::{Args, Parser, Subcommand};

/// Runs hooks on Kubernetes events, schedules and startup (a drop-in replacement for
/// flant/shell-operator).
#[derive(Debug, Parser)]
#[command(name = "shell-operator", disable_version_flag = true)]
#[command(args_conflicts_with_subcommands = true, args_override_self = true)]
pub struct Cli {
    /// The subcommand; `start` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `start`, accepted without the subcommand too (upstream's default command).
    #[command(flatten)]
    pub start: StartArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the operator (the default).
    #[command(args_override_self = true)]
    Start(StartArgs),
    /// Print the version.
    Version,
    /// List the hidden debug flags.
    #[command(hide = true)]
    DebugOptions,
    /// Talk to a running operator through its debug socket (`queue list`, `hook snapshot`, ...).
    #[command(flatten)]
    Debug(debug_socket::DebugCommand),
}

/// Flags of `start`. Each one names the environment variable that supplies it when the flag is
/// absent. Booleans accept `--flag`, `--flag=true` and `--flag=false`.
#[derive(Debug, Default, Clone, Args)]
pub struct StartArgs {
    /// A path to a hooks file structure [env: SHELL_OPERATOR_HOOKS_DIR] [default: hooks]
    #[arg(long)]
    pub hooks_dir: Option<String>,
    /// A path to store temporary files with data for hooks [env: SHELL_OPERATOR_TMP_DIR]
    /// [default: /tmp/shell-operator]
    #[arg(long)]
    pub tmp_dir: Option<String>,
    /// Address to use to serve metrics to Prometheus [env: SHELL_OPERATOR_LISTEN_ADDRESS]
    /// [default: 0.0.0.0]
    #[arg(long)]
    pub listen_address: Option<String>,
    /// Port to use to serve metrics to Prometheus [env: SHELL_OPERATOR_LISTEN_PORT]
    /// [default: 9115]
    #[arg(long)]
    pub listen_port: Option<String>,
    /// Prefix for Prometheus metrics [env: SHELL_OPERATOR_PROMETHEUS_METRICS_PREFIX]
    /// [default: shell_operator_]
    #[arg(long)]
    pub prometheus_metrics_prefix: Option<String>,
    /// A namespace of a shell-operator, used to set up validating webhooks
    /// [env: SHELL_OPERATOR_NAMESPACE]
    #[arg(long)]
    pub namespace: Option<String>,

    /// The name of the kubeconfig context to use [env: KUBE_CONTEXT]
    #[arg(long)]
    pub kube_context: Option<String>,
    /// Path to the kubeconfig file [env: KUBE_CONFIG]
    #[arg(long)]
    pub kube_config: Option<String>,
    /// The address and port of the Kubernetes API server (accepted, unused upstream too)
    /// [env: KUBE_SERVER]
    #[arg(long)]
    pub kube_server: Option<String>,
    /// QPS for a rate limiter of a Kubernetes client [env: KUBE_CLIENT_QPS] [default: 5]
    #[arg(long)]
    pub kube_client_qps: Option<String>,
    /// Burst for a rate limiter of a Kubernetes client [env: KUBE_CLIENT_BURST] [default: 10]
    #[arg(long)]
    pub kube_client_burst: Option<String>,
    /// QPS of the object patcher's client [env: OBJECT_PATCHER_KUBE_CLIENT_QPS] [default: 5]
    #[arg(long)]
    pub object_patcher_kube_client_qps: Option<String>,
    /// Burst of the object patcher's client [env: OBJECT_PATCHER_KUBE_CLIENT_BURST] [default: 10]
    #[arg(long)]
    pub object_patcher_kube_client_burst: Option<String>,
    /// Request timeout of the object patcher's client [env: OBJECT_PATCHER_KUBE_CLIENT_TIMEOUT]
    /// [default: 10s]
    #[arg(long)]
    pub object_patcher_kube_client_timeout: Option<String>,

    /// Logging level: trace, debug, info, warn, error, fatal [env: LOG_LEVEL] [default: info]
    #[arg(long)]
    pub log_level: Option<String>,
    /// Logging formatter type: json, text or color [env: LOG_TYPE] [default: text]
    #[arg(long)]
    pub log_type: Option<String>,
    /// Disable timestamp logging [env: LOG_NO_TIME]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub log_no_time: Option<String>,
    /// Delay parsing of JSON lines in hook output until a whole JSON value arrives
    /// [env: LOG_PROXY_HOOK_JSON]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub log_proxy_hook_json: Option<String>,

    /// Name of the ValidatingWebhookConfiguration (suffix `-hooks` is added)
    /// [env: VALIDATING_WEBHOOK_CONFIGURATION_NAME] [default: shell-operator-hooks]
    #[arg(long)]
    pub validating_webhook_configuration_name: Option<String>,
    /// Annotation `KEY=VALUE` put on both webhook configurations, e.g. cert-manager's
    /// `cert-manager.io/inject-ca-from=NS/CERT` with `--validating-webhook-ca=""`; repeatable
    /// [env: VALIDATING_WEBHOOK_CONFIGURATION_ANNOTATIONS, comma-separated]
    #[arg(long)]
    pub validating_webhook_configuration_annotation: Vec<String>,
    /// Name of the Service for the validating webhook [env: VALIDATING_WEBHOOK_SERVICE_NAME]
    /// [default: shell-operator-validating-svc]
    #[arg(long)]
    pub validating_webhook_service_name: Option<String>,
    /// Path to the webhook server certificate [env: VALIDATING_WEBHOOK_SERVER_CERT]
    /// [default: /validating-certs/tls.crt]
    #[arg(long)]
    pub validating_webhook_server_cert: Option<String>,
    /// Path to the webhook server key [env: VALIDATING_WEBHOOK_SERVER_KEY]
    /// [default: /validating-certs/tls.key]
    #[arg(long)]
    pub validating_webhook_server_key: Option<String>,
    /// Path to the CA certificate put in caBundle; empty leaves caBundle unset
    /// [env: VALIDATING_WEBHOOK_CA] [default: /validating-certs/ca.crt]
    #[arg(long)]
    pub validating_webhook_ca: Option<String>,
    /// Client CA certificates; repeatable [env: VALIDATING_WEBHOOK_CLIENT_CA, comma-separated]
    #[arg(long)]
    pub validating_webhook_client_ca: Vec<String>,
    /// Default failurePolicy (accepted, unused upstream too)
    /// [env: VALIDATING_WEBHOOK_FAILURE_POLICY] [default: Fail]
    #[arg(long)]
    pub validating_webhook_failure_policy: Option<String>,
    /// Port of the validating webhook server [env: VALIDATING_WEBHOOK_LISTEN_PORT]
    /// [default: 9680]
    #[arg(long)]
    pub validating_webhook_listen_port: Option<String>,
    /// Address of the validating webhook server [env: VALIDATING_WEBHOOK_LISTEN_ADDRESS]
    /// [default: 0.0.0.0]
    #[arg(long)]
    pub validating_webhook_listen_address: Option<String>,

    /// Name of the Service for the conversion webhook [env: CONVERSION_WEBHOOK_SERVICE_NAME]
    /// [default: shell-operator-conversion-svc]
    #[arg(long)]
    pub conversion_webhook_service_name: Option<String>,
    /// Path to the conversion server certificate [env: CONVERSION_WEBHOOK_SERVER_CERT]
    /// [default: /conversion-certs/tls.crt]
    #[arg(long)]
    pub conversion_webhook_server_cert: Option<String>,
    /// Path to the conversion server key [env: CONVERSION_WEBHOOK_SERVER_KEY]
    /// [default: /conversion-certs/tls.key]
    #[arg(long)]
    pub conversion_webhook_server_key: Option<String>,
    /// Path to the CA certificate put in the CRD's caBundle; empty leaves caBundle unset
    /// [env: CONVERSION_WEBHOOK_CA] [default: /conversion-certs/ca.crt]
    #[arg(long)]
    pub conversion_webhook_ca: Option<String>,
    /// Client CA certificates; repeatable [env: CONVERSION_WEBHOOK_CLIENT_CA, comma-separated]
    #[arg(long)]
    pub conversion_webhook_client_ca: Vec<String>,
    /// Port of the conversion webhook server [env: CONVERSION_WEBHOOK_LISTEN_PORT]
    /// [default: 9681]
    #[arg(long)]
    pub conversion_webhook_listen_port: Option<String>,
    /// Address of the conversion webhook server [env: CONVERSION_WEBHOOK_LISTEN_ADDRESS]
    /// [default: 0.0.0.0]
    #[arg(long)]
    pub conversion_webhook_listen_address: Option<String>,

    /// Path to the debug unix socket [env: DEBUG_UNIX_SOCKET]
    /// [default: /var/run/shell-operator/debug.socket]
    #[arg(long, hide = true)]
    pub debug_unix_socket: Option<String>,
    /// Serve the debug routes over TCP as well [env: DEBUG_HTTP_SERVER_ADDR]
    #[arg(long, hide = true)]
    pub debug_http_addr: Option<String>,
    /// Keep the temporary files of hook runs [env: DEBUG_KEEP_TMP_FILES]
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub debug_keep_tmp_files: Option<String>,
    /// Log Kubernetes client requests [env: DEBUG_KUBERNETES_API]
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub debug_kubernetes_api: Option<String>,

    /// Kill a hook run after this Go duration (e.g. `5m`) and count it as a failure; a hook's
    /// `settings.executionTimeout` wins [env: SHELL_OPERATOR_HOOK_TIMEOUT] [default: none]
    #[arg(long)]
    pub hook_timeout: Option<String>,
    /// On SIGTERM/SIGINT, how long running hooks may finish before their process groups are
    /// killed [env: SHELL_OPERATOR_SHUTDOWN_GRACE_PERIOD] [default: 30s]
    #[arg(long)]
    pub shutdown_grace_period: Option<String>,
    /// Start an embedded Kubernetes API server in-process and point hooks at it
    /// [env: SHELL_OPERATOR_EMBEDDED_CLUSTER]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub embedded_cluster: Option<String>,
    /// Where to write the embedded cluster's kubeconfig
    /// [env: SHELL_OPERATOR_EMBEDDED_CLUSTER_KUBECONFIG] [default: <tmp-dir>/embedded-kubeconfig.yaml]
    #[arg(long)]
    pub embedded_cluster_kubeconfig: Option<String>,

    /// Leader election: only the holder of a coordination.k8s.io Lease runs hooks
    /// [env: SHELL_OPERATOR_HA]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ha: Option<String>,
    /// Name of the Lease [env: SHELL_OPERATOR_HA_LEASE_NAME]
    /// [default: shell-operator-leader-election]
    #[arg(long)]
    pub ha_lease_name: Option<String>,
    /// Namespace of the Lease [env: SHELL_OPERATOR_HA_NAMESPACE] [default: --namespace, else the
    /// client's namespace]
    #[arg(long)]
    pub ha_namespace: Option<String>,
    /// How long others wait for a silent leader before taking over
    /// [env: SHELL_OPERATOR_HA_LEASE_DURATION] [default: 15s]
    #[arg(long)]
    pub ha_lease_duration: Option<String>,
    /// How long the leader retries a failed renewal before it stops
    /// [env: SHELL_OPERATOR_HA_RENEW_DEADLINE] [default: 10s]
    #[arg(long)]
    pub ha_renew_deadline: Option<String>,
    /// The pause between Lease attempts [env: SHELL_OPERATOR_HA_RETRY_PERIOD] [default: 2s]
    #[arg(long)]
    pub ha_retry_period: Option<String>,
}

/// Boolean flags that also take kingpin's negated spelling `--no-<flag>`.
pub const BOOLEAN_FLAGS: &[&str] = &[
    "log-no-time",
    "log-proxy-hook-json",
    "debug-keep-tmp-files",
    "debug-kubernetes-api",
    "embedded-cluster",
    "ha",
];

/// Rewrites kingpin's `--no-<flag>` for the [`BOOLEAN_FLAGS`] into `--<flag>=false`, which clap
/// understands. Everything after `--` and every other argument is kept as is.
pub fn expand_negations<I>(args: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    let mut out = Vec::new();
    let mut verbatim = false;
    for arg in args {
        let arg: std::ffi::OsString = arg.into();
        if verbatim {
            out.push(arg);
            continue;
        }
        if arg == "--" {
            verbatim = true;
            out.push(arg);
            continue;
        }
        let negated = arg
            .to_str()
            .and_then(|a| a.strip_prefix("--no-"))
            .filter(|flag| BOOLEAN_FLAGS.contains(flag))
            .map(|flag| format!("--{flag}=false"));
        out.push(negated.map_or(arg, Into::into));
    }
    out
}

impl Cli {
    /// Parses `args` (program name first), accepting `--no-<flag>` for boolean flags.
    pub fn parse_with_negations<I>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator,
        I::Item: Into<std::ffi::OsString>,
    {
        use clap::Parser as _;
        Self::try_parse_from(expand_negations(args))
    }

    /// The `start` flags, whether given after `start` or without a subcommand.
    pub fn start_args(&self) -> &StartArgs {
        match &self.command {
            Some(Command::Start(args)) => args,
            _ => &self.start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::parse_with_negations(std::iter::once("shell-operator").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn no_prefixed_boolean_flags_mean_false() {
        let cli = parse(&["start", "--no-debug-keep-tmp-files", "--no-log-no-time"]);
        let args = cli.start_args();
        assert_eq!(args.debug_keep_tmp_files.as_deref(), Some("false"));
        assert_eq!(args.log_no_time.as_deref(), Some("false"));
    }

    #[test]
    fn the_last_of_a_flag_and_its_negation_wins() {
        let cli = parse(&["--ha", "--no-ha"]);
        assert_eq!(cli.start_args().ha.as_deref(), Some("false"));
        let cli = parse(&["--no-ha", "--ha"]);
        assert_eq!(cli.start_args().ha.as_deref(), Some("true"));
    }

    #[test]
    fn no_prefixes_of_non_boolean_flags_and_values_after_a_double_dash_stay_unknown() {
        let args = expand_negations(["so", "--no-hooks-dir", "--", "--no-ha"]);
        assert_eq!(args, ["so", "--no-hooks-dir", "--", "--no-ha"]);
        assert!(Cli::parse_with_negations(["so", "--no-hooks-dir"]).is_err());
    }

    #[test]
    fn debug_client_commands_parse_as_subcommands() {
        let cli = parse(&["queue", "list", "-o", "json", "--debug-unix-socket", "/s"]);
        assert!(matches!(
            cli.command,
            Some(Command::Debug(debug_socket::DebugCommand::Queue(_)))
        ));
        let cli = parse(&["config", "set", "log.level", "debug", "1m"]);
        assert!(matches!(
            cli.command,
            Some(Command::Debug(debug_socket::DebugCommand::Config(_)))
        ));
    }
}
