//! The validated configuration of `shell-operator start`: flag, else environment variable, else
//! default (upstream's precedence). The environment is read through [`EnvSource`] so tests pass a
//! map instead of changing the process environment.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use engine_webhooks::WebhooksConfig;
use hook_config::parse_go_duration;

use crate::cli::StartArgs;

pub mod env;
mod webhooks;

/// Where environment variables come from.
pub trait EnvSource {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// A flag (or its variable) holds a value of the wrong shape.
#[derive(Debug, thiserror::Error)]
#[error("invalid value '{value}' for --{flag}: {reason}")]
pub struct ConfigError {
    /// The flag's long name.
    pub flag: &'static str,
    /// The offending value.
    pub value: String,
    /// What is wrong.
    pub reason: String,
}

/// Log verbosity. Upstream maps unknown names to `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// `trace`.
    Trace,
    /// `debug`.
    Debug,
    /// `info`.
    Info,
    /// `warn`.
    Warn,
    /// `error` (and `fatal`).
    Error,
}

impl LogLevel {
    /// Upstream's level names; unknown names mean `info`.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "trace" => Self::Trace,
            "debug" => Self::Debug,
            "warn" | "warning" => Self::Warn,
            "error" | "fatal" => Self::Error,
            _ => Self::Info,
        }
    }

    /// The level's name, as `config list` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, upstream's field names.
    Json,
    /// Human-readable lines.
    Text,
    /// Human-readable lines with ANSI colours.
    Color,
}

impl LogFormat {
    /// `--log-type` (env `LOG_TYPE`, default `text`): `json`, `text` or `color`.
    pub fn resolve(r: &Resolver<'_>, flag: &Option<String>) -> Result<Self, ConfigError> {
        let log_type = r.or(flag, env::LOG_TYPE, "text");
        match log_type.to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "text" | "" => Ok(LogFormat::Text),
            "color" => Ok(LogFormat::Color),
            _ => Err(ConfigError {
                flag: "log-type",
                value: log_type,
                reason: "expected json, text or color".to_owned(),
            }),
        }
    }
}

/// Logging options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `--log-level`.
    pub level: LogLevel,
    /// `--log-type`.
    pub format: LogFormat,
    /// `--log-no-time`.
    pub no_time: bool,
    /// `--log-proxy-hook-json`.
    pub proxy_hook_json: bool,
}

/// Kubernetes client options.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeClientConfig {
    /// `--kube-context`.
    pub context: Option<String>,
    /// `--kube-config`.
    pub config: Option<PathBuf>,
    /// `--kube-server` (accepted, unused like upstream).
    pub server: Option<String>,
    /// `--kube-client-qps`.
    pub qps: f32,
    /// `--kube-client-burst`.
    pub burst: u32,
    /// `--object-patcher-kube-client-qps`.
    pub patcher_qps: f32,
    /// `--object-patcher-kube-client-burst`.
    pub patcher_burst: u32,
    /// `--object-patcher-kube-client-timeout`.
    pub patcher_timeout: Duration,
}

/// Debug options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugConfig {
    /// `--debug-unix-socket`.
    pub unix_socket: PathBuf,
    /// `--debug-http-addr`.
    pub http_addr: Option<String>,
    /// `--debug-keep-tmp-files`.
    pub keep_tmp_files: bool,
    /// `--debug-kubernetes-api`.
    pub kubernetes_api: bool,
}

/// Leader election (`--ha`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaConfig {
    /// `--ha`.
    pub enabled: bool,
    /// `--ha-lease-name`.
    pub lease_name: String,
    /// `--ha-namespace`, else `--namespace`; `None` means the client's default namespace.
    pub namespace: Option<String>,
    /// `POD_NAME`; `None` means the hostname.
    pub identity: Option<String>,
    /// `--ha-lease-duration`.
    pub lease_duration: Duration,
    /// `--ha-renew-deadline`.
    pub renew_deadline: Duration,
    /// `--ha-retry-period`.
    pub retry_period: Duration,
}

/// Everything `shell-operator start` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `--hooks-dir`, as given (made absolute at startup).
    pub hooks_dir: PathBuf,
    /// `--tmp-dir`; empty means a fresh temporary directory.
    pub tmp_dir: PathBuf,
    /// `--listen-address`.
    pub listen_address: String,
    /// `--listen-port`.
    pub listen_port: u16,
    /// `--prometheus-metrics-prefix`.
    pub prometheus_metrics_prefix: String,
    /// `--namespace`.
    pub namespace: String,
    /// Kubernetes clients.
    pub kube: KubeClientConfig,
    /// Logging.
    pub log: LogConfig,
    /// `--validating-webhook-failure-policy` (accepted, unused like upstream).
    pub validating_webhook_failure_policy: String,
    /// The webhook servers and their registrations (`--validating-webhook-*`,
    /// `--conversion-webhook-*`).
    pub webhooks: WebhooksConfig,
    /// Debug options.
    pub debug: DebugConfig,
    /// `--hook-timeout`.
    pub hook_timeout: Option<Duration>,
    /// `--shutdown-grace-period`.
    pub shutdown_grace_period: Duration,
    /// `--embedded-cluster`.
    pub embedded_cluster: bool,
    /// `--embedded-cluster-kubeconfig`, resolved against the tmp dir default.
    pub embedded_cluster_kubeconfig: PathBuf,
    /// Leader election.
    pub ha: HaConfig,
    /// `QUEUE_ACTIONS_METRICS` is not `no`.
    pub queue_actions_metrics: bool,
    /// `TRACING_OTLP_ENDPOINT`.
    pub tracing_otlp_endpoint: Option<String>,
    /// `TRACING_OTLP_AUTH_TOKEN`.
    pub tracing_otlp_auth_token: Option<String>,
}

/// Flag, else variable, else nothing; addon-operator resolves its flags with it too.
#[derive(Clone, Copy)]
pub struct Resolver<'a> {
    env: &'a dyn EnvSource,
}

impl std::fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl<'a> Resolver<'a> {
    /// Resolves against `env`.
    pub fn new(env: &'a dyn EnvSource) -> Self {
        Resolver { env }
    }

    /// The flag, else the variable.
    pub fn string(&self, flag: &Option<String>, var: &str) -> Option<String> {
        flag.clone().or_else(|| self.env.var(var))
    }

    /// See [`Resolver`].
    pub fn or(&self, flag: &Option<String>, var: &str, default: &str) -> String {
        self.string(flag, var).unwrap_or_else(|| default.to_owned())
    }

    /// See [`Resolver`].
    pub fn non_empty(&self, flag: &Option<String>, var: &str) -> Option<String> {
        self.string(flag, var).filter(|s| !s.is_empty())
    }

    /// See [`Resolver`].
    pub fn parsed<T: std::str::FromStr>(
        &self,
        flag: &Option<String>,
        var: &str,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.string(flag, var) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError {
                flag: name,
                value: v.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// See [`Resolver`].
    pub fn boolean(
        &self,
        flag: &Option<String>,
        var: &str,
        name: &'static str,
    ) -> Result<bool, ConfigError> {
        match self.string(flag, var) {
            None => Ok(false),
            Some(v) => parse_go_bool(&v).ok_or_else(|| ConfigError {
                flag: name,
                value: v.clone(),
                reason: "expected a boolean".to_owned(),
            }),
        }
    }

    /// See [`Resolver`].
    pub fn duration(
        &self,
        flag: &Option<String>,
        var: &str,
        name: &'static str,
    ) -> Result<Option<Duration>, ConfigError> {
        match self.non_empty(flag, var) {
            None => Ok(None),
            Some(v) => parse_go_duration(&v).map(Some).map_err(|e| ConfigError {
                flag: name,
                value: v.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// Repeated flags, else the comma-separated items of the variable.
    fn items(&self, flag: &[String], var: &str) -> Vec<String> {
        if !flag.is_empty() {
            return flag.to_vec();
        }
        self.env
            .var(var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn list(&self, flag: &[String], var: &str) -> Vec<PathBuf> {
        self.items(flag, var)
            .into_iter()
            .map(PathBuf::from)
            .collect()
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Resolves the `start` flags against `env` and the defaults.
    pub fn resolve(args: &StartArgs, env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let r = Resolver::new(env);
        let a = args;
        let tmp_dir = PathBuf::from(r.or(&a.tmp_dir, env::TMP_DIR, "/tmp/shell-operator"));
        let format = LogFormat::resolve(&r, &a.log_type)?;
        let embedded_cluster_kubeconfig = r
            .non_empty(
                &a.embedded_cluster_kubeconfig,
                env::EMBEDDED_CLUSTER_KUBECONFIG,
            )
            .map(PathBuf::from)
            .unwrap_or_else(|| tmp_dir.join("embedded-kubeconfig.yaml"));
        let namespace = r.or(&a.namespace, env::NAMESPACE, "");
        Ok(Self {
            hooks_dir: PathBuf::from(r.or(&a.hooks_dir, env::HOOKS_DIR, "hooks")),
            tmp_dir,
            listen_address: r.or(&a.listen_address, env::LISTEN_ADDRESS, "0.0.0.0"),
            listen_port: r.parsed(&a.listen_port, env::LISTEN_PORT, "listen-port", 9115)?,
            prometheus_metrics_prefix: r.or(
                &a.prometheus_metrics_prefix,
                env::PROMETHEUS_METRICS_PREFIX,
                "shell_operator_",
            ),
            namespace: namespace.clone(),
            kube: KubeClientConfig {
                context: r.non_empty(&a.kube_context, env::KUBE_CONTEXT),
                config: r
                    .non_empty(&a.kube_config, env::KUBE_CONFIG)
                    .map(PathBuf::from),
                server: r.non_empty(&a.kube_server, env::KUBE_SERVER),
                qps: r.parsed(
                    &a.kube_client_qps,
                    env::KUBE_CLIENT_QPS,
                    "kube-client-qps",
                    5.0,
                )?,
                burst: r.parsed(
                    &a.kube_client_burst,
                    env::KUBE_CLIENT_BURST,
                    "kube-client-burst",
                    10,
                )?,
                patcher_qps: r.parsed(
                    &a.object_patcher_kube_client_qps,
                    env::OBJECT_PATCHER_KUBE_CLIENT_QPS,
                    "object-patcher-kube-client-qps",
                    5.0,
                )?,
                patcher_burst: r.parsed(
                    &a.object_patcher_kube_client_burst,
                    env::OBJECT_PATCHER_KUBE_CLIENT_BURST,
                    "object-patcher-kube-client-burst",
                    10,
                )?,
                patcher_timeout: r
                    .duration(
                        &a.object_patcher_kube_client_timeout,
                        env::OBJECT_PATCHER_KUBE_CLIENT_TIMEOUT,
                        "object-patcher-kube-client-timeout",
                    )?
                    .unwrap_or(Duration::from_secs(10)),
            },
            log: LogConfig {
                level: LogLevel::parse(&r.or(&a.log_level, env::LOG_LEVEL, "info")),
                format,
                no_time: r.boolean(&a.log_no_time, env::LOG_NO_TIME, "log-no-time")?,
                proxy_hook_json: r.boolean(
                    &a.log_proxy_hook_json,
                    env::LOG_PROXY_HOOK_JSON,
                    "log-proxy-hook-json",
                )?,
            },
            validating_webhook_failure_policy: r.or(
                &a.validating_webhook_failure_policy,
                env::VALIDATING_WEBHOOK_FAILURE_POLICY,
                "Fail",
            ),
            webhooks: webhooks::resolve(&r, a, &namespace)?,
            debug: DebugConfig {
                unix_socket: r
                    .or(
                        &a.debug_unix_socket,
                        env::DEBUG_UNIX_SOCKET,
                        "/var/run/shell-operator/debug.socket",
                    )
                    .into(),
                http_addr: r.non_empty(&a.debug_http_addr, env::DEBUG_HTTP_SERVER_ADDR),
                keep_tmp_files: r.boolean(
                    &a.debug_keep_tmp_files,
                    env::DEBUG_KEEP_TMP_FILES,
                    "debug-keep-tmp-files",
                )?,
                kubernetes_api: r.boolean(
                    &a.debug_kubernetes_api,
                    env::DEBUG_KUBERNETES_API,
                    "debug-kubernetes-api",
                )?,
            },
            hook_timeout: r.duration(&a.hook_timeout, env::HOOK_TIMEOUT, "hook-timeout")?,
            shutdown_grace_period: r
                .duration(
                    &a.shutdown_grace_period,
                    env::SHUTDOWN_GRACE_PERIOD,
                    "shutdown-grace-period",
                )?
                .unwrap_or(Duration::from_secs(30)),
            embedded_cluster: r.boolean(
                &a.embedded_cluster,
                env::EMBEDDED_CLUSTER,
                "embedded-cluster",
            )?,
            embedded_cluster_kubeconfig,
            ha: HaConfig {
                enabled: r.boolean(&a.ha, env::HA, "ha")?,
                lease_name: r
                    .non_empty(&a.ha_lease_name, env::HA_LEASE_NAME)
                    .unwrap_or_else(|| leader_election::SHELL_OPERATOR_LEASE_NAME.to_owned()),
                namespace: r
                    .non_empty(&a.ha_namespace, env::HA_NAMESPACE)
                    .or_else(|| r.non_empty(&a.namespace, env::NAMESPACE)),
                identity: env.var(env::POD_NAME).filter(|s| !s.is_empty()),
                lease_duration: r
                    .duration(
                        &a.ha_lease_duration,
                        env::HA_LEASE_DURATION,
                        "ha-lease-duration",
                    )?
                    .unwrap_or(Duration::from_secs(15)),
                renew_deadline: r
                    .duration(
                        &a.ha_renew_deadline,
                        env::HA_RENEW_DEADLINE,
                        "ha-renew-deadline",
                    )?
                    .unwrap_or(Duration::from_secs(10)),
                retry_period: r
                    .duration(&a.ha_retry_period, env::HA_RETRY_PERIOD, "ha-retry-period")?
                    .unwrap_or(Duration::from_secs(2)),
            },
            queue_actions_metrics: env.var(env::QUEUE_ACTIONS_METRICS).as_deref() != Some("no"),
            tracing_otlp_endpoint: env
                .var(env::TRACING_OTLP_ENDPOINT)
                .filter(|s| !s.is_empty()),
            tracing_otlp_auth_token: env
                .var(env::TRACING_OTLP_AUTH_TOKEN)
                .filter(|s| !s.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn resolve(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let cli =
            Cli::try_parse_from(std::iter::once("shell-operator").chain(args.iter().copied()))
                .unwrap();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::resolve(cli.start_args(), &env)
    }

    #[test]
    fn defaults_match_upstream() {
        let c = resolve(&["start"], &[]).unwrap();
        assert_eq!(c.hooks_dir, PathBuf::from("hooks"));
        assert_eq!(c.tmp_dir, PathBuf::from("/tmp/shell-operator"));
        assert_eq!(c.listen_address, "0.0.0.0");
        assert_eq!(c.listen_port, 9115);
        assert_eq!(c.prometheus_metrics_prefix, "shell_operator_");
        assert_eq!(c.kube.qps, 5.0);
        assert_eq!(c.kube.burst, 10);
        assert_eq!(c.kube.patcher_timeout, Duration::from_secs(10));
        assert_eq!(c.log.level, LogLevel::Info);
        assert_eq!(c.log.format, LogFormat::Text);
        assert_eq!(c.webhooks, WebhooksConfig::default());
        assert_eq!(
            c.debug.unix_socket,
            PathBuf::from("/var/run/shell-operator/debug.socket")
        );
        assert_eq!(c.hook_timeout, None);
        assert_eq!(c.shutdown_grace_period, Duration::from_secs(30));
        assert_eq!(
            c.embedded_cluster_kubeconfig,
            PathBuf::from("/tmp/shell-operator/embedded-kubeconfig.yaml")
        );
        assert!(c.queue_actions_metrics);
    }

    #[test]
    fn ha_is_off_by_default_and_takes_its_lease_namespace_from_the_operator_namespace() {
        let c = resolve(&["start"], &[]).unwrap();
        assert!(!c.ha.enabled);
        assert_eq!(c.ha.lease_name, "shell-operator-leader-election");
        assert_eq!(c.ha.lease_duration, Duration::from_secs(15));
        let env = [
            (env::HA, "true"),
            (env::NAMESPACE, "ops"),
            (env::POD_NAME, "pod-1"),
        ];
        let c = resolve(&["--ha-retry-period=1s", "--ha-lease-name=l"], &env).unwrap();
        assert!(c.ha.enabled);
        assert_eq!(c.ha.namespace.as_deref(), Some("ops"));
        assert_eq!(c.ha.identity.as_deref(), Some("pod-1"));
        assert_eq!(c.ha.lease_name, "l");
        assert_eq!(c.ha.retry_period, Duration::from_secs(1));
        let c = resolve(&["--ha-namespace=lease-ns"], &env).unwrap();
        assert_eq!(c.ha.namespace.as_deref(), Some("lease-ns"));
    }

    #[test]
    fn a_flag_beats_its_variable_which_beats_the_default() {
        let env = [(env::HOOKS_DIR, "/env-hooks"), (env::LOG_LEVEL, "debug")];
        let c = resolve(&["start", "--hooks-dir", "/flag-hooks"], &env).unwrap();
        assert_eq!(c.hooks_dir, PathBuf::from("/flag-hooks"));
        assert_eq!(c.log.level, LogLevel::Debug);
    }

    #[test]
    fn flags_work_without_the_start_subcommand() {
        let c = resolve(&["--hooks-dir=/x", "--debug-keep-tmp-files"], &[]).unwrap();
        assert_eq!(c.hooks_dir, PathBuf::from("/x"));
        assert!(c.debug.keep_tmp_files);
    }

    #[test]
    fn booleans_follow_go_parse_bool_and_accept_an_explicit_false() {
        let c = resolve(
            &["start", "--log-no-time=false"],
            &[(env::LOG_NO_TIME, "true")],
        )
        .unwrap();
        assert!(!c.log.no_time);
        let c = resolve(&["start"], &[(env::DEBUG_KEEP_TMP_FILES, "1")]).unwrap();
        assert!(c.debug.keep_tmp_files);
        assert!(resolve(&["start"], &[(env::LOG_NO_TIME, "yes")]).is_err());
    }

    #[test]
    fn client_cas_come_from_repeated_flags_or_a_comma_separated_variable() {
        let c = resolve(
            &["start"],
            &[(env::VALIDATING_WEBHOOK_CLIENT_CA, "/a.crt,/b.crt")],
        )
        .unwrap();
        assert_eq!(
            c.webhooks.admission.server.client_cas,
            vec![PathBuf::from("/a.crt"), PathBuf::from("/b.crt")]
        );
        let c = resolve(
            &[
                "start",
                "--conversion-webhook-client-ca",
                "/c.crt",
                "--conversion-webhook-client-ca",
                "/d.crt",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(c.webhooks.conversion.server.client_cas.len(), 2);
    }

    #[test]
    fn webhook_flags_fill_the_webhooks_config() {
        let env = [
            (env::NAMESPACE, "ops"),
            (
                env::VALIDATING_WEBHOOK_CONFIGURATION_ANNOTATIONS,
                "cert-manager.io/inject-ca-from=ops/webhook-cert, a=b=c",
            ),
            (env::CONVERSION_WEBHOOK_LISTEN_PORT, "19681"),
        ];
        let c = resolve(
            &[
                "start",
                "--validating-webhook-configuration-name=team",
                "--validating-webhook-ca=",
                "--validating-webhook-server-cert=/c/tls.crt",
                "--validating-webhook-listen-address=127.0.0.1",
                "--conversion-webhook-service-name=conv",
            ],
            &env,
        )
        .unwrap();
        let w = &c.webhooks;
        assert_eq!(w.namespace, "ops");
        assert_eq!(w.admission.configuration_name, "team");
        assert_eq!(
            w.admission
                .annotations
                .get("cert-manager.io/inject-ca-from"),
            Some(&"ops/webhook-cert".to_owned())
        );
        assert_eq!(w.admission.annotations.get("a"), Some(&"b=c".to_owned()));
        assert_eq!(
            w.admission.server.ca, None,
            "an empty CA leaves caBundle unset"
        );
        assert_eq!(w.admission.server.server_cert, PathBuf::from("/c/tls.crt"));
        assert_eq!(
            w.admission.server.server_key,
            PathBuf::from("/validating-certs/tls.key")
        );
        assert_eq!(w.admission.server.listen_address, "127.0.0.1");
        assert_eq!(w.conversion.server.service_name, "conv");
        assert_eq!(w.conversion.server.listen_port, 19681);
        assert_eq!(
            w.conversion.server.ca,
            Some(PathBuf::from("/conversion-certs/ca.crt"))
        );
    }

    #[test]
    fn bad_webhook_flags_name_the_flag() {
        let err = resolve(
            &[
                "start",
                "--validating-webhook-configuration-annotation=novalue",
            ],
            &[],
        )
        .unwrap_err();
        assert_eq!(err.flag, "validating-webhook-configuration-annotation");
        let err = resolve(&["start", "--validating-webhook-listen-port=http"], &[]).unwrap_err();
        assert_eq!(err.flag, "validating-webhook-listen-port");
    }

    #[test]
    fn our_duration_flags_take_go_durations() {
        let c = resolve(
            &[
                "start",
                "--hook-timeout",
                "1m30s",
                "--shutdown-grace-period=5s",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(c.hook_timeout, Some(Duration::from_secs(90)));
        assert_eq!(c.shutdown_grace_period, Duration::from_secs(5));
        let err = resolve(&["start", "--hook-timeout", "soon"], &[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid value 'soon' for --hook-timeout")
        );
    }

    #[test]
    fn unknown_log_levels_mean_info_but_unknown_log_types_are_rejected() {
        let c = resolve(&["start", "--log-level", "chatty"], &[]).unwrap();
        assert_eq!(c.log.level, LogLevel::Info);
        let c = resolve(&["start"], &[(env::LOG_TYPE, "json")]).unwrap();
        assert_eq!(c.log.format, LogFormat::Json);
        assert!(resolve(&["start", "--log-type", "xml"], &[]).is_err());
    }

    #[test]
    fn the_embedded_kubeconfig_defaults_under_the_tmp_dir() {
        let c = resolve(
            &["start", "--tmp-dir", "/var/tmp/so", "--embedded-cluster"],
            &[],
        )
        .unwrap();
        assert!(c.embedded_cluster);
        assert_eq!(
            c.embedded_cluster_kubeconfig,
            PathBuf::from("/var/tmp/so/embedded-kubeconfig.yaml")
        );
    }

    #[test]
    fn the_removed_jq_library_path_flag_is_rejected_like_upstream() {
        let parsed = Cli::try_parse_from(["shell-operator", "start", "--jq-library-path", "/x"]);
        assert!(parsed.is_err());
    }
}
