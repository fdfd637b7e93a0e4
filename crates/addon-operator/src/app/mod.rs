//! `addon-operator start`: find the modules, serve the debug socket, start the embedded cluster
//! or connect to one, read and watch the ConfigMap, and deploy the enabled modules' Helm
//! releases on every change, until shutdown; serve metrics and probes over HTTP. Hooks are not
//! run yet.

mod config_map;
pub mod converge;
mod debug;
mod http;
mod live;
pub mod metrics;
mod retries;
pub mod status;
pub mod trigger;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use addon_modules::{DiscoveryError, GlobalDef, ModuleSet, SchemaError, Schemas};
use addon_releases::{Releases, ReleasesConfig};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;

use self::converge::{ConvergeConfig, Converger};
use self::metrics::AppMetrics;
use self::status::ConvergeStatus;
use self::trigger::{Event, Trigger};

/// The `component` label of the client's `kubernetes_client_request_*` metrics.
const KUBE_CLIENT_COMPONENT: &str = "main";

pub use self::live::{Applied, ApplyError, Live, RenderModuleError, RenderedModule};

/// How long stopping the servers and the watcher may take.
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// What this slice of the engine does not do yet; logged at startup and in the README.
pub const NOT_YET: &str = "this addon-operator does not run global or module hooks yet: it loads \
     modules, watches the ConfigMap, runs `enabled` scripts, deploys the enabled modules' Helm \
     releases, and serves module values and renders on the debug socket";

/// Why `start` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `--tmp-dir` could not be created.
    #[error("create tmp dir '{}'", path.display())]
    TmpDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Modules could not be loaded.
    #[error("load modules: {}", .0.iter().map(error_chain).collect::<Vec<_>>().join("; "))]
    Modules(Vec<DiscoveryError>),
    /// The global schemas could not be loaded.
    #[error("load global schemas")]
    GlobalSchemas(#[source] SchemaError),
    /// The debug socket (or `--debug-http-addr`) could not be set up.
    #[error("start debug endpoint")]
    DebugEndpoint(#[source] debug_socket::ServeError),
    /// `--prometheus-listen-address:--prometheus-listen-port` could not be bound.
    #[error("start http server")]
    Http(#[source] operator_http::ServeError),
    /// The embedded cluster did not start.
    #[error("start embedded cluster")]
    EmbeddedCluster(#[source] embedded_apiserver::Error),
    /// No usable Kubernetes client configuration.
    #[error("kubernetes client: {0}")]
    Kube(String),
    /// Reading the ConfigMap at startup failed.
    #[error("read ConfigMap {namespace}/{name}")]
    ReadConfigMap {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The ConfigMap is invalid at startup (upstream exits too).
    #[error("ConfigMap {name} at startup: {error}")]
    InvalidConfigMap {
        /// Its name.
        name: String,
        /// What is wrong (in the message, so not a `source`).
        error: ApplyError,
    },
}

/// `error: cause: cause` in one line.
fn error_chain(e: &DiscoveryError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Finds the modules and the global static values and schemas.
pub fn load_modules(config: &Config) -> Result<ModuleSet, StartError> {
    let found = addon_modules::discover(&config.modules_dirs, config.unnumbered_modules_order);
    if !found.errors.is_empty() {
        return Err(StartError::Modules(found.errors));
    }
    let openapi = config.global_hooks_dir.join("openapi");
    let schemas = Schemas::load(&openapi).map_err(StartError::GlobalSchemas)?;
    let global = GlobalDef {
        static_values: found.global_static,
        schemas,
    };
    Ok(ModuleSet::new(found.modules, global))
}

/// Runs until `shutdown` is cancelled; `log_level` changes the level on `config set log.level`.
pub async fn start(
    config: Config,
    shutdown: CancellationToken,
    log_level: Option<shell_operator::logging::LevelHandle>,
) -> Result<(), StartError> {
    std::fs::create_dir_all(&config.tmp_dir).map_err(|source| StartError::TmpDir {
        path: config.tmp_dir.clone(),
        source,
    })?;
    let set = load_modules(&config)?;
    for m in set.modules() {
        tracing::info!(
            module = m.name,
            order = m.order,
            path = %m.path.display(),
            helm = m.is_helm,
            "module found"
        );
    }
    tracing::warn!("{NOT_YET}");

    let tracker = TaskTracker::new();
    let servers = CancellationToken::new();
    let mut cluster = None;
    let result = run(
        &config,
        set,
        &shutdown,
        log_level,
        &tracker,
        &servers,
        &mut cluster,
    )
    .await;
    servers.cancel();
    tracker.close();
    if tokio::time::timeout(STOP_LIMIT, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("debug endpoint and ConfigMap watcher did not stop in time");
    }
    if let Some(cluster) = cluster {
        cluster.shutdown().await;
    }
    result
}

async fn run(
    config: &Config,
    set: ModuleSet,
    shutdown: &CancellationToken,
    log_level: Option<shell_operator::logging::LevelHandle>,
    tracker: &TaskTracker,
    servers: &CancellationToken,
    cluster: &mut Option<embedded_apiserver::EmbeddedCluster>,
) -> Result<(), StartError> {
    let metrics = AppMetrics::new(&config.metrics_prefix);
    let status = Arc::new(ConvergeStatus::default());
    http::start(
        &config.listen,
        &metrics,
        Arc::clone(&status),
        tracker,
        servers.clone(),
    )
    .await
    .map_err(StartError::Http)?;
    tracker.spawn(operator_metrics::run_live_ticks(
        metrics.common.clone(),
        servers.clone(),
    ));
    let kube_config = if config.embedded_cluster {
        let started =
            shell_operator::app::start_embedded_cluster(&config.embedded_cluster_kubeconfig)
                .await
                .map_err(StartError::EmbeddedCluster)?;
        let kube_config = started.kube_config().clone();
        *cluster = Some(started);
        kube_config
    } else {
        shell_operator::app::load_kube_config(
            config.kube_config.as_deref(),
            config.kube_context.clone(),
        )
        .await
        .map_err(StartError::Kube)?
    };
    let client = shell_operator::app::build_client(
        kube_config,
        &metrics.kube_client,
        KUBE_CLIENT_COMPONENT,
        false,
    )
    .map_err(StartError::Kube)?;
    let namespace = if config.namespace.is_empty() {
        client.default_namespace().to_owned()
    } else {
        config.namespace.clone()
    };

    let scripts = addon_modules::ScriptRunner {
        tmp_dir: config.tmp_dir.clone(),
        env: std::env::vars_os().collect(),
    };
    let live = Arc::new(Live::new(set, scripts, namespace.clone()));
    let releases = Releases::new(
        client.clone(),
        ReleasesConfig {
            namespace: namespace.clone(),
            history_max: config.helm_history_max,
            extra_labels: config.extra_labels.clone(),
        },
    );
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
    let data = config_map::read_initial(&api, &config.config_map)
        .await
        .map_err(|source| StartError::ReadConfigMap {
            namespace: namespace.clone(),
            name: config.config_map.clone(),
            source,
        })?;
    live.apply(&data)
        .map_err(|error| StartError::InvalidConfigMap {
            name: config.config_map.clone(),
            error,
        })?;
    tracing::info!(
        namespace,
        configmap = config.config_map,
        "config values loaded"
    );
    let (trigger, events) = Trigger::channel();
    if config_map::recalculate(&live, &metrics.addon, servers).await {
        trigger.send(Event::Converge);
    }

    let runtime = shell_operator::app::runtime_config(config.log.level.as_str(), log_level);
    let router = debug_socket::router(
        Arc::new(debug::NoEngine),
        runtime.clone(),
        debug::routes(Arc::clone(&live)),
    );
    let endpoint = debug_socket::Endpoint {
        unix_socket: &config.debug_unix_socket,
        http_addr: config.debug_http_addr.as_deref(),
    };
    debug_socket::start_endpoint(endpoint, router, &runtime, tracker, servers.clone())
        .await
        .map_err(StartError::DebugEndpoint)?;

    let converger = Converger::new(
        Arc::clone(&live),
        releases,
        ConvergeConfig {
            ignore_release: config.helm_ignore_release.clone(),
            backoff: task_queue::RetryBackoff::default(),
            monitor_interval: config.resources_monitor_interval,
        },
        metrics.addon.clone(),
        status,
    );
    tracker.spawn(converger.run(events, servers.clone()));
    tracker.spawn(config_map::watch(
        api,
        config.config_map.clone(),
        live,
        trigger,
        metrics.addon.clone(),
        servers.clone(),
    ));
    shutdown.cancelled().await;
    tracing::info!("addon-operator stopping");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::cli::StartArgs;

    fn write(path: &std::path::Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn config(root: &std::path::Path) -> Config {
        let args = StartArgs {
            modules_dir: Some(root.join("modules").display().to_string()),
            global_hooks_dir: Some(root.join("global-hooks").display().to_string()),
            ..StartArgs::default()
        };
        Config::resolve(&args, &HashMap::new()).unwrap()
    }

    #[test]
    fn global_defaults_and_config_validation_come_from_the_global_hooks_openapi_dir() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join("modules/values.yaml"), "global: {a: 1}\n");
        write(
            &d.path().join("global-hooks/openapi/config-values.yaml"),
            "type: object\nproperties:\n  a: {type: integer}\n  b: {type: string, default: x}\n",
        );
        write(
            &d.path().join("global-hooks/openapi/values.yaml"),
            "x-extend: {schema: config-values.yaml}\ntype: object\nproperties:\n  \
             discovery: {type: object, default: {}}\n",
        );
        let mut set = load_modules(&config(d.path())).unwrap();
        assert_eq!(
            serde_json::Value::Object(set.global_values()),
            serde_json::json!({"a": 1, "b": "x", "discovery": {}})
        );
        let bad = [("global".to_owned(), "c: 1\n".to_owned())].into();
        let err = set
            .apply_config(addon_modules::KubeConfig::parse(&bad).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("global.c"), "{err}");
    }

    #[test]
    fn a_missing_global_hooks_dir_means_no_global_schemas() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join("modules/001-a/Chart.yaml"), "name: a\n");
        let set = load_modules(&config(d.path())).unwrap();
        assert_eq!(set.modules().len(), 1);
        assert!(set.global_values().is_empty());
    }
}
