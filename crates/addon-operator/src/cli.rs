//! Command line of the `addon-operator` binary (clap subcommands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// `addon-operator [COMMAND]`; `start` when no command is given, as upstream.
#[derive(Debug, Parser)]
#[command(
    name = "addon-operator",
    version,
    about = "Runs Deckhouse-style modules: Helm charts with hooks"
)]
#[command(args_conflicts_with_subcommands = true, args_override_self = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `start`, accepted without the subcommand too.
    #[command(flatten)]
    pub start: StartArgs,
}

impl Cli {
    /// The `start` flags, whether given after `start` or without a subcommand.
    pub fn start_args(&self) -> &StartArgs {
        match &self.command {
            Some(Command::Start(args)) => args,
            _ => &self.start,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the operator (the default): load modules, watch the ConfigMap, serve the debug
    /// socket.
    #[command(args_override_self = true)]
    Start(StartArgs),
    /// Render a chart or module directory and print the manifest like `helm template`.
    Render(RenderArgs),
    /// Modules of a running operator, through its debug socket.
    #[command(subcommand)]
    Module(ModuleCommand),
    /// Global values of a running operator, through its debug socket.
    #[command(subcommand)]
    Global(GlobalCommand),
    /// Print `addon-operator <version>`.
    Version,
    /// Queues, runtime config and raw requests to the debug socket (shared with shell-operator).
    #[command(flatten)]
    Debug(debug_socket::DebugCommand),
}

/// Flags of `start`; each names the environment variables that supply it when absent.
#[derive(Debug, Default, Clone, Args)]
pub struct StartArgs {
    /// Paths with modules, joined with `:` or `,` [env: ADDON_OPERATOR_MODULES_DIR, MODULES_DIR]
    /// [default: modules]
    #[arg(long)]
    pub modules_dir: Option<String>,
    /// Global hooks directory; only its `openapi/` schemas are used yet
    /// [env: ADDON_OPERATOR_GLOBAL_HOOKS_DIR, GLOBAL_HOOKS_DIR] [default: global-hooks]
    #[arg(long)]
    pub global_hooks_dir: Option<String>,
    /// Order of module directories without a number prefix
    /// [env: ADDON_OPERATOR_UNNUMBERED_MODULES_ORDER, UNNUMBERED_MODULES_ORDER] [default: 1]
    #[arg(long)]
    pub unnumbered_modules_order: Option<String>,
    /// Directory for temporary files [env: ADDON_OPERATOR_TMP_DIR, SHELL_OPERATOR_TMP_DIR]
    /// [default: /tmp/addon-operator]
    #[arg(long)]
    pub tmp_dir: Option<String>,
    /// Namespace of the ConfigMap and of the releases
    /// [env: ADDON_OPERATOR_NAMESPACE, SHELL_OPERATOR_NAMESPACE] [default: the client's namespace]
    #[arg(long)]
    pub namespace: Option<String>,
    /// Address to serve `/metrics`, `/healthz`, `/readyz` and `/status/converge` on
    /// [env: ADDON_OPERATOR_LISTEN_ADDRESS, SHELL_OPERATOR_LISTEN_ADDRESS] [default: 0.0.0.0]
    #[arg(long = "prometheus-listen-address", visible_alias = "listen-address")]
    pub listen_address: Option<String>,
    /// Port of that server [env: ADDON_OPERATOR_LISTEN_PORT, SHELL_OPERATOR_LISTEN_PORT]
    /// [default: 9650]
    #[arg(long = "prometheus-listen-port", visible_alias = "listen-port")]
    pub listen_port: Option<String>,
    /// Prefix of the self metrics [env: ADDON_OPERATOR_PROMETHEUS_METRICS_PREFIX,
    /// SHELL_OPERATOR_PROMETHEUS_METRICS_PREFIX] [default: addon_operator_]
    #[arg(long)]
    pub prometheus_metrics_prefix: Option<String>,
    /// Name of the ConfigMap with config values [env: ADDON_OPERATOR_CONFIG_MAP]
    /// [default: addon-operator]
    #[arg(long)]
    pub config_map: Option<String>,
    /// The name of the kubeconfig context to use [env: KUBE_CONTEXT]
    #[arg(long)]
    pub kube_context: Option<String>,
    /// Path to the kubeconfig file [env: KUBE_CONFIG]
    #[arg(long)]
    pub kube_config: Option<String>,
    /// Logging level: trace, debug, info, warn, error [env: LOG_LEVEL] [default: info]
    #[arg(long)]
    pub log_level: Option<String>,
    /// Logging formatter type: json, text or color [env: LOG_TYPE] [default: text]
    #[arg(long)]
    pub log_type: Option<String>,
    /// Disable timestamp logging [env: LOG_NO_TIME]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub log_no_time: Option<String>,
    /// Path to the debug unix socket [env: DEBUG_UNIX_SOCKET]
    /// [default: /var/run/addon-operator/debug.socket]
    #[arg(long, hide = true)]
    pub debug_unix_socket: Option<String>,
    /// Serve the debug routes over TCP too, e.g. `127.0.0.1:9652` [env: DEBUG_HTTP_SERVER_ADDR]
    #[arg(long, hide = true)]
    pub debug_http_addr: Option<String>,
    /// Start an in-process Kubernetes API server and use it (ours)
    /// [env: ADDON_OPERATOR_EMBEDDED_CLUSTER]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub embedded_cluster: Option<String>,
    /// Revisions kept per Helm release [env: HELM_HISTORY_MAX] [default: 10]
    #[arg(long)]
    pub helm_history_max: Option<String>,
    /// A release the startup purge leaves alone [env: HELM_IGNORE_RELEASE]
    #[arg(long)]
    pub helm_ignore_release: Option<String>,
    /// Labels put on every rendered object, `k=v,k2=v2` [env: ADDON_OPERATOR_CRD_EXTRA_LABELS]
    /// [default: heritage=addon-operator]
    #[arg(long)]
    pub crd_extra_labels: Option<String>,
    /// Interval of the Helm resources monitor, a Go duration; `0` turns it off (ours; upstream
    /// hard-codes 4m30s) [env: ADDON_OPERATOR_RESOURCES_MONITOR_INTERVAL] [default: 4m30s]
    #[arg(long)]
    pub resources_monitor_interval: Option<String>,
    /// Where to write the embedded cluster's kubeconfig (ours)
    /// [env: ADDON_OPERATOR_EMBEDDED_CLUSTER_KUBECONFIG] [default: <tmp-dir>/embedded-kubeconfig.yaml]
    #[arg(long)]
    pub embedded_cluster_kubeconfig: Option<String>,
}

/// `-o json|yaml` for values and config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DataFormat {
    /// JSON.
    Json,
    /// YAML with sorted keys.
    #[default]
    Yaml,
}

impl DataFormat {
    /// The route suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Json => "json",
            DataFormat::Yaml => "yaml",
        }
    }
}

/// `module ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ModuleCommand {
    /// List enabled modules.
    List {
        /// Output format: json|yaml|text.
        #[arg(short = 'o', long = "output", value_enum, default_value_t = debug_socket::Format::Yaml)]
        output: debug_socket::Format,
        #[command(flatten)]
        socket: debug_socket::SocketArgs,
    },
    /// Dump the module's effective values.
    Values(ModuleValuesArgs),
    /// Dump the module's config values (its ConfigMap section).
    Config(ModuleValuesArgs),
    /// Render the module's manifests with its live values.
    Render {
        /// Module name.
        module_name: String,
        /// Render in debug mode.
        #[arg(long)]
        debug: bool,
        /// Diff against the live objects (not implemented yet: the operator answers with an error).
        #[arg(long)]
        diff: bool,
        #[command(flatten)]
        socket: debug_socket::SocketArgs,
    },
}

/// Arguments of `module values|config`.
#[derive(Debug, Clone, Args)]
pub struct ModuleValuesArgs {
    /// Module name.
    pub module_name: String,
    /// Include global values (`{"global": ..., "<key>": ...}`).
    #[arg(short = 'g', long = "global")]
    pub global: bool,
    /// Output format: json|yaml.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DataFormat::Yaml)]
    pub output: DataFormat,
    #[command(flatten)]
    pub socket: debug_socket::SocketArgs,
}

/// `global ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum GlobalCommand {
    /// Dump effective global values.
    Values(GlobalArgs),
    /// Dump global config values (the ConfigMap's `global` section).
    Config(GlobalArgs),
}

/// Arguments of `global values|config`.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: json|yaml.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DataFormat::Yaml)]
    pub output: DataFormat,
    #[command(flatten)]
    pub socket: debug_socket::SocketArgs,
}

/// Arguments of `addon-operator render`.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The chart (module) directory.
    pub chart_dir: PathBuf,
    /// Values files, merged in order (later files win).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Values in Helm's `--set` syntax (`a.b=1,c[0]=x`), applied after the files.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Release name (`.Release.Name`).
    #[arg(long, default_value = "release-name")]
    pub name: String,
    /// Release namespace (`.Release.Namespace`).
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Kubernetes version for `.Capabilities.KubeVersion`, like `1.30` or `v1.30.2`.
    #[arg(long = "kube-version", value_name = "X.Y")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions.Has` (repeatable).
    #[arg(long = "api-versions", short = 'a', value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// Render as an upgrade instead of an install.
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_collects_repeated_values_and_set_flags() {
        let cli = Cli::try_parse_from([
            "addon-operator",
            "render",
            "dir",
            "-f",
            "a.yaml",
            "--values",
            "b.yaml",
            "--set",
            "x=1",
            "--set",
            "y=2",
            "--name",
            "r",
            "--namespace",
            "ns",
            "--kube-version",
            "1.30",
        ])
        .unwrap();
        let Some(Command::Render(args)) = cli.command else {
            panic!("not render")
        };
        assert_eq!(
            args.values,
            vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]
        );
        assert_eq!(args.set, vec!["x=1", "y=2"]);
        assert_eq!((args.name.as_str(), args.namespace.as_str()), ("r", "ns"));
        assert_eq!(args.kube_version.as_deref(), Some("1.30"));
    }

    #[test]
    fn module_commands_default_to_yaml_and_take_the_global_flag() {
        let cli = Cli::try_parse_from(["addon-operator", "module", "values", "echo-server", "-g"])
            .unwrap();
        let Some(Command::Module(ModuleCommand::Values(args))) = cli.command else {
            panic!("not module values")
        };
        assert!(args.global);
        assert_eq!(args.output, DataFormat::Yaml);
        assert!(
            Cli::try_parse_from(["addon-operator", "module", "values", "m", "-o", "text"]).is_err()
        );
        let cli =
            Cli::try_parse_from(["addon-operator", "module", "render", "m", "--debug"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Module(ModuleCommand::Render { debug: true, .. }))
        ));
    }

    #[test]
    fn start_flags_work_with_and_without_the_subcommand() {
        let cli = Cli::try_parse_from(["addon-operator", "--modules-dir", "a:b"]).unwrap();
        assert_eq!(cli.start_args().modules_dir.as_deref(), Some("a:b"));
        let cli = Cli::try_parse_from([
            "addon-operator",
            "start",
            "--embedded-cluster",
            "--config-map",
            "x",
        ])
        .unwrap();
        assert_eq!(cli.start_args().embedded_cluster.as_deref(), Some("true"));
        assert_eq!(cli.start_args().config_map.as_deref(), Some("x"));
    }

    #[test]
    fn a_missing_chart_dir_is_a_usage_error() {
        assert!(Cli::try_parse_from(["addon-operator", "render"]).is_err());
    }
}
