//! The validated configuration of `addon-operator start`: flag, else the `ADDON_OPERATOR_*`
//! variable, else the older name upstream's images and examples use, else the default.

use std::collections::BTreeMap;
use std::path::PathBuf;

use shell_operator::config::{ConfigError, EnvSource, LogConfig, LogFormat, LogLevel, Resolver};

use crate::cli::StartArgs;

/// Default of `--prometheus-listen-port` (shell-operator's is 9115).
pub const DEFAULT_LISTEN_PORT: u16 = 9650;
/// Default of `--prometheus-metrics-prefix`.
pub const DEFAULT_METRICS_PREFIX: &str = "addon_operator_";

/// Environment variable names.
pub mod env {
    /// `--modules-dir`.
    pub const MODULES_DIR: &str = "ADDON_OPERATOR_MODULES_DIR";
    /// `--modules-dir`, the name of the Dockerfile and examples.
    pub const MODULES_DIR_OLD: &str = "MODULES_DIR";
    /// `--global-hooks-dir`.
    pub const GLOBAL_HOOKS_DIR: &str = "ADDON_OPERATOR_GLOBAL_HOOKS_DIR";
    /// `--global-hooks-dir`, the older name.
    pub const GLOBAL_HOOKS_DIR_OLD: &str = "GLOBAL_HOOKS_DIR";
    /// `--unnumbered-modules-order`.
    pub const UNNUMBERED_MODULES_ORDER: &str = "ADDON_OPERATOR_UNNUMBERED_MODULES_ORDER";
    /// `--unnumbered-modules-order`, the older name.
    pub const UNNUMBERED_MODULES_ORDER_OLD: &str = "UNNUMBERED_MODULES_ORDER";
    /// `--tmp-dir`.
    pub const TMP_DIR: &str = "ADDON_OPERATOR_TMP_DIR";
    /// `--tmp-dir`, shell-operator's name (a fallback upstream).
    pub const TMP_DIR_SHELL: &str = "SHELL_OPERATOR_TMP_DIR";
    /// `--namespace`.
    pub const NAMESPACE: &str = "ADDON_OPERATOR_NAMESPACE";
    /// `--namespace`, shell-operator's name (a fallback upstream).
    pub const NAMESPACE_SHELL: &str = "SHELL_OPERATOR_NAMESPACE";
    /// `--config-map`.
    pub const CONFIG_MAP: &str = "ADDON_OPERATOR_CONFIG_MAP";
    /// `--prometheus-listen-address`.
    pub const LISTEN_ADDRESS: &str = "ADDON_OPERATOR_LISTEN_ADDRESS";
    /// `--prometheus-listen-address`, shell-operator's name (a fallback upstream).
    pub const LISTEN_ADDRESS_SHELL: &str = "SHELL_OPERATOR_LISTEN_ADDRESS";
    /// `--prometheus-listen-port`.
    pub const LISTEN_PORT: &str = "ADDON_OPERATOR_LISTEN_PORT";
    /// `--prometheus-listen-port`, shell-operator's name (a fallback upstream).
    pub const LISTEN_PORT_SHELL: &str = "SHELL_OPERATOR_LISTEN_PORT";
    /// `--prometheus-metrics-prefix`.
    pub const PROMETHEUS_METRICS_PREFIX: &str = "ADDON_OPERATOR_PROMETHEUS_METRICS_PREFIX";
    /// `--prometheus-metrics-prefix`, shell-operator's name (a fallback upstream).
    pub const PROMETHEUS_METRICS_PREFIX_SHELL: &str = "SHELL_OPERATOR_PROMETHEUS_METRICS_PREFIX";
    /// `--kube-context`.
    pub const KUBE_CONTEXT: &str = "KUBE_CONTEXT";
    /// `--kube-config`.
    pub const KUBE_CONFIG: &str = "KUBE_CONFIG";
    /// `--log-level`.
    pub const LOG_LEVEL: &str = "LOG_LEVEL";
    /// `--log-no-time`.
    pub const LOG_NO_TIME: &str = "LOG_NO_TIME";
    /// `--debug-unix-socket`.
    pub const DEBUG_UNIX_SOCKET: &str = debug_socket::ENV_DEBUG_UNIX_SOCKET;
    /// `--debug-http-addr`.
    pub const DEBUG_HTTP_SERVER_ADDR: &str = debug_socket::ENV_DEBUG_HTTP_SERVER_ADDR;
    /// `--helm-history-max`.
    pub const HELM_HISTORY_MAX: &str = "HELM_HISTORY_MAX";
    /// `--helm-ignore-release`.
    pub const HELM_IGNORE_RELEASE: &str = "HELM_IGNORE_RELEASE";
    /// `--crd-extra-labels`.
    pub const CRD_EXTRA_LABELS: &str = "ADDON_OPERATOR_CRD_EXTRA_LABELS";
    /// `--resources-monitor-interval` (ours).
    pub const RESOURCES_MONITOR_INTERVAL: &str = "ADDON_OPERATOR_RESOURCES_MONITOR_INTERVAL";
    /// `--embedded-cluster` (ours).
    pub const EMBEDDED_CLUSTER: &str = "ADDON_OPERATOR_EMBEDDED_CLUSTER";
    /// `--embedded-cluster-kubeconfig` (ours).
    pub const EMBEDDED_CLUSTER_KUBECONFIG: &str = "ADDON_OPERATOR_EMBEDDED_CLUSTER_KUBECONFIG";
}

/// Everything `addon-operator start` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `--modules-dir`, split into paths.
    pub modules_dirs: Vec<PathBuf>,
    /// `--global-hooks-dir`.
    pub global_hooks_dir: PathBuf,
    /// `--unnumbered-modules-order`.
    pub unnumbered_modules_order: u32,
    /// `--tmp-dir`.
    pub tmp_dir: PathBuf,
    /// `--namespace`; empty means the client's default namespace.
    pub namespace: String,
    /// `--config-map`.
    pub config_map: String,
    /// `--prometheus-listen-address` and `--prometheus-listen-port`.
    pub listen: operator_http::ListenConfig,
    /// `--prometheus-metrics-prefix`.
    pub metrics_prefix: String,
    /// `--kube-context`.
    pub kube_context: Option<String>,
    /// `--kube-config`.
    pub kube_config: Option<PathBuf>,
    /// Logging.
    pub log: LogConfig,
    /// `--debug-unix-socket`.
    pub debug_unix_socket: PathBuf,
    /// `--debug-http-addr`.
    pub debug_http_addr: Option<String>,
    /// `--embedded-cluster`.
    pub embedded_cluster: bool,
    /// `--embedded-cluster-kubeconfig`.
    pub embedded_cluster_kubeconfig: PathBuf,
    /// `--helm-history-max`: revisions kept per release (0 keeps all).
    pub helm_history_max: usize,
    /// `--helm-ignore-release`: a release the startup purge leaves alone.
    pub helm_ignore_release: Option<String>,
    /// `--crd-extra-labels`: labels put on every rendered object.
    pub extra_labels: BTreeMap<String, String>,
    /// `--resources-monitor-interval`; `None` when turned off with `0`.
    pub resources_monitor_interval: Option<std::time::Duration>,
}

impl Config {
    /// Resolves the `start` flags against `environment` and the defaults.
    pub fn resolve(args: &StartArgs, environment: &dyn EnvSource) -> Result<Config, ConfigError> {
        let r = Resolver::new(environment);
        let a = args;
        // The `ADDON_OPERATOR_*` name wins over the older or shell-operator one.
        let either = |flag: &Option<String>, new: &str, old: &str| -> Option<String> {
            r.string(flag, new).or_else(|| environment.var(old))
        };
        let tmp_dir = PathBuf::from(
            either(&a.tmp_dir, env::TMP_DIR, env::TMP_DIR_SHELL)
                .unwrap_or_else(|| "/tmp/addon-operator".to_owned()),
        );
        let order_text = either(
            &a.unnumbered_modules_order,
            env::UNNUMBERED_MODULES_ORDER,
            env::UNNUMBERED_MODULES_ORDER_OLD,
        );
        let unnumbered_modules_order = match order_text {
            None => 1,
            Some(text) => parse_number("unnumbered-modules-order", &text)?,
        };
        let embedded_cluster_kubeconfig = r
            .non_empty(
                &a.embedded_cluster_kubeconfig,
                env::EMBEDDED_CLUSTER_KUBECONFIG,
            )
            .map(PathBuf::from)
            .unwrap_or_else(|| tmp_dir.join("embedded-kubeconfig.yaml"));
        let helm_history_max = match r.non_empty(&a.helm_history_max, env::HELM_HISTORY_MAX) {
            None => addon_releases::releases::DEFAULT_HISTORY_MAX,
            Some(text) => parse_number("helm-history-max", &text)?,
        };
        let extra_labels = match r.non_empty(&a.crd_extra_labels, env::CRD_EXTRA_LABELS) {
            None => BTreeMap::new(),
            Some(text) => parse_labels(&text).map_err(|reason| ConfigError {
                flag: "crd-extra-labels",
                value: text.clone(),
                reason,
            })?,
        };
        let resources_monitor_interval = r
            .duration(
                &a.resources_monitor_interval,
                env::RESOURCES_MONITOR_INTERVAL,
                "resources-monitor-interval",
            )?
            .unwrap_or(crate::app::converge::DEFAULT_MONITOR_INTERVAL);
        let listen_port = match either(&a.listen_port, env::LISTEN_PORT, env::LISTEN_PORT_SHELL) {
            None => DEFAULT_LISTEN_PORT,
            Some(text) => parse_number("prometheus-listen-port", &text)?,
        };
        let listen = operator_http::ListenConfig {
            address: either(
                &a.listen_address,
                env::LISTEN_ADDRESS,
                env::LISTEN_ADDRESS_SHELL,
            )
            .unwrap_or_else(|| operator_http::DEFAULT_LISTEN_ADDRESS.to_owned()),
            port: listen_port,
        };
        let metrics_prefix = either(
            &a.prometheus_metrics_prefix,
            env::PROMETHEUS_METRICS_PREFIX,
            env::PROMETHEUS_METRICS_PREFIX_SHELL,
        )
        .unwrap_or_else(|| DEFAULT_METRICS_PREFIX.to_owned());
        Ok(Config {
            listen,
            metrics_prefix,
            resources_monitor_interval: (!resources_monitor_interval.is_zero())
                .then_some(resources_monitor_interval),
            helm_history_max,
            helm_ignore_release: r.non_empty(&a.helm_ignore_release, env::HELM_IGNORE_RELEASE),
            extra_labels,
            modules_dirs: addon_modules::split_paths(
                &either(&a.modules_dir, env::MODULES_DIR, env::MODULES_DIR_OLD)
                    .unwrap_or_else(|| "modules".to_owned()),
            ),
            global_hooks_dir: PathBuf::from(
                either(
                    &a.global_hooks_dir,
                    env::GLOBAL_HOOKS_DIR,
                    env::GLOBAL_HOOKS_DIR_OLD,
                )
                .unwrap_or_else(|| "global-hooks".to_owned()),
            ),
            unnumbered_modules_order,
            tmp_dir,
            namespace: either(&a.namespace, env::NAMESPACE, env::NAMESPACE_SHELL)
                .unwrap_or_default(),
            config_map: r
                .non_empty(&a.config_map, env::CONFIG_MAP)
                .unwrap_or_else(|| addon_modules::config_map::DEFAULT_CONFIG_MAP.to_owned()),
            kube_context: r.non_empty(&a.kube_context, env::KUBE_CONTEXT),
            kube_config: r
                .non_empty(&a.kube_config, env::KUBE_CONFIG)
                .map(PathBuf::from),
            log: LogConfig {
                level: LogLevel::parse(&r.or(&a.log_level, env::LOG_LEVEL, "info")),
                format: LogFormat::resolve(&r, &a.log_type)?,
                no_time: r.boolean(&a.log_no_time, env::LOG_NO_TIME, "log-no-time")?,
                proxy_hook_json: false,
            },
            debug_unix_socket: PathBuf::from(r.or(
                &a.debug_unix_socket,
                env::DEBUG_UNIX_SOCKET,
                debug_socket::ADDON_OPERATOR_DEFAULT_SOCKET,
            )),
            debug_http_addr: r.non_empty(&a.debug_http_addr, env::DEBUG_HTTP_SERVER_ADDR),
            embedded_cluster: r.boolean(
                &a.embedded_cluster,
                env::EMBEDDED_CLUSTER,
                "embedded-cluster",
            )?,
            embedded_cluster_kubeconfig,
        })
    }
}

/// An unsigned number given to `flag`, surrounding blanks ignored.
fn parse_number<T>(flag: &'static str, text: &str) -> Result<T, ConfigError>
where
    T: std::str::FromStr<Err = std::num::ParseIntError>,
{
    text.trim()
        .parse()
        .map_err(|e: std::num::ParseIntError| ConfigError {
            flag,
            value: text.to_owned(),
            reason: e.to_string(),
        })
}

/// `k=v,k2=v2`, as upstream's `--crd-extra-labels`.
fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(format!("'{pair}' is not key=value"));
        };
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_match_upstream() {
        let c = Config::resolve(&StartArgs::default(), &env(&[])).unwrap();
        assert_eq!(c.modules_dirs, vec![PathBuf::from("modules")]);
        assert_eq!(c.tmp_dir, PathBuf::from("/tmp/addon-operator"));
        assert_eq!(c.config_map, "addon-operator");
        assert_eq!(
            c.debug_unix_socket,
            PathBuf::from("/var/run/addon-operator/debug.socket")
        );
        assert_eq!(c.unnumbered_modules_order, 1);
        assert!(!c.embedded_cluster);
        assert_eq!(c.listen.address, "0.0.0.0");
        assert_eq!(c.listen.port, 9650);
        assert_eq!(c.metrics_prefix, "addon_operator_");
    }

    #[test]
    fn listen_address_port_and_prefix_fall_back_to_shell_operator_names() {
        let vars = env(&[
            ("SHELL_OPERATOR_LISTEN_ADDRESS", "10.0.0.1"),
            ("ADDON_OPERATOR_LISTEN_PORT", "19650"),
            ("SHELL_OPERATOR_LISTEN_PORT", "9115"),
            ("SHELL_OPERATOR_PROMETHEUS_METRICS_PREFIX", "d8_"),
        ]);
        let c = Config::resolve(&StartArgs::default(), &vars).unwrap();
        assert_eq!(c.listen.address, "10.0.0.1");
        assert_eq!(c.listen.port, 19650);
        assert_eq!(c.metrics_prefix, "d8_");
        let bad = env(&[("ADDON_OPERATOR_LISTEN_PORT", "http")]);
        let err = Config::resolve(&StartArgs::default(), &bad).unwrap_err();
        assert_eq!(err.flag, "prometheus-listen-port");
    }

    #[test]
    fn prefixed_variables_win_over_the_old_names_and_flags_win_over_both() {
        let vars = env(&[
            ("MODULES_DIR", "/old1:/old2"),
            ("ADDON_OPERATOR_NAMESPACE", "ns"),
            ("SHELL_OPERATOR_NAMESPACE", "shell"),
            ("ADDON_OPERATOR_EMBEDDED_CLUSTER", "true"),
        ]);
        let c = Config::resolve(&StartArgs::default(), &vars).unwrap();
        assert_eq!(
            c.modules_dirs,
            vec![PathBuf::from("/old1"), PathBuf::from("/old2")]
        );
        assert_eq!(c.namespace, "ns");
        assert!(c.embedded_cluster);
        let args = StartArgs {
            modules_dir: Some("/flag".into()),
            ..StartArgs::default()
        };
        let c = Config::resolve(&args, &vars).unwrap();
        assert_eq!(c.modules_dirs, vec![PathBuf::from("/flag")]);
    }

    #[test]
    fn helm_settings_come_from_upstream_variables() {
        let vars = env(&[
            ("HELM_HISTORY_MAX", "3"),
            ("HELM_IGNORE_RELEASE", "keep-me"),
            (
                "ADDON_OPERATOR_CRD_EXTRA_LABELS",
                "heritage=deckhouse, team=a",
            ),
        ]);
        let c = Config::resolve(&StartArgs::default(), &vars).unwrap();
        assert_eq!(c.helm_history_max, 3);
        assert_eq!(c.helm_ignore_release.as_deref(), Some("keep-me"));
        assert_eq!(
            c.extra_labels,
            BTreeMap::from([
                ("heritage".to_owned(), "deckhouse".to_owned()),
                ("team".to_owned(), "a".to_owned())
            ])
        );
        let c = Config::resolve(&StartArgs::default(), &env(&[])).unwrap();
        assert_eq!(c.helm_history_max, 10);
        assert_eq!(
            c.resources_monitor_interval,
            Some(std::time::Duration::from_secs(270))
        );
        let off = env(&[("ADDON_OPERATOR_RESOURCES_MONITOR_INTERVAL", "0")]);
        let c = Config::resolve(&StartArgs::default(), &off).unwrap();
        assert_eq!(c.resources_monitor_interval, None);
        let bad = env(&[("ADDON_OPERATOR_CRD_EXTRA_LABELS", "nope")]);
        let err = Config::resolve(&StartArgs::default(), &bad).unwrap_err();
        assert_eq!(err.flag, "crd-extra-labels");
    }

    #[test]
    fn a_bad_order_is_a_config_error() {
        let vars = env(&[("UNNUMBERED_MODULES_ORDER", "x")]);
        let err = Config::resolve(&StartArgs::default(), &vars).unwrap_err();
        assert_eq!(err.flag, "unnumbered-modules-order");
    }
}
