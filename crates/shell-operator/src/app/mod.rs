//! `shell-operator start`: prepare directories, start the debug socket and the HTTP server, start
//! the embedded cluster or connect to one, load the hooks, take the Lease with `--ha`, then run the
//! hook engine with its kubernetes extensions until shutdown is requested.

mod debug;
mod ha;
mod http;
mod kube;
mod metrics;
mod readiness;
mod view;
mod webhooks;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hook_engine::clock::SystemClock;
use hook_engine::discovery::{DiscoveryError, resolve_hooks_dir};
use hook_engine::{Engine, EngineConfig, LoadError, LoadOptions, RunnerConfig};
use hook_exec::{LogProxy, TmpFiles};
use operator_http::{HaMode, Readiness};
use task_queue::QueueSetConfig;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::logging::LevelHandle;

pub use self::debug::runtime_config;
pub use self::ha::HaError;
use self::ha::{Acquired, Election};
use self::kube::{KubeAccess, KubeWiring};
pub use self::kube::{build_client, load_kube_config};
use self::metrics::{AppMetrics, EngineObserver, QueueActions};
use self::readiness::StartupTracker;
use self::view::EngineView;

/// The version line printed by `shell-operator version` and at startup.
pub fn version_line() -> String {
    format!("shell-operator v{}", env!("CARGO_PKG_VERSION"))
}

/// The jq line printed by `shell-operator version`.
pub const JQ_LINE: &str = "jqFilter implementation: using jaq (a Rust jq)";

/// How long stopping the servers, kube-events and the Lease may take after the engine stopped.
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// Why `start` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `--hooks-dir` is missing.
    #[error(transparent)]
    HooksDir(#[from] DiscoveryError),
    /// `--tmp-dir` could not be created.
    #[error("create tmp dir '{}'", path.display())]
    TmpDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The debug socket (or `--debug-http-addr`) could not be set up.
    #[error("start debug endpoint")]
    DebugEndpoint(#[source] debug_socket::ServeError),
    /// `--listen-address:--listen-port` could not be bound.
    #[error("start http server")]
    Http(#[source] operator_http::ServeError),
    /// The embedded cluster did not start.
    #[error("start embedded cluster")]
    EmbeddedCluster(#[source] embedded_apiserver::Error),
    /// A hook could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Leader election could not start.
    #[error("start leader election")]
    LeaderElection(#[source] HaError),
    /// The webhook servers could not start or be registered.
    #[error("start webhooks")]
    Webhooks(#[source] webhooks::WebhooksStartError),
    /// This replica lost the Lease: it stopped running hooks and must restart.
    #[error("leader election: the lease was lost, stopping")]
    LeadershipLost,
}

/// Everything `start` needs besides the config: the process environment handed to hooks, the
/// token cancelled on SIGTERM/SIGINT, and the logger's level handle for `config set log.level`.
#[derive(Debug, Clone)]
pub struct StartContext {
    /// The operator's environment, passed to every hook.
    pub env: Vec<(OsString, OsString)>,
    /// Cancelled when the operator must stop.
    pub shutdown: CancellationToken,
    /// Changes the log level at run time; `None` when the caller owns logging.
    pub log_level: Option<LevelHandle>,
}

/// What runs besides the engine: servers, the embedded cluster, the Lease.
struct Services {
    view: Arc<EngineView>,
    metrics: AppMetrics,
    readiness: Readiness,
    tracker: TaskTracker,
    /// Stops the servers and the live ticks, after the engine stopped.
    servers: CancellationToken,
    cluster: Option<embedded_apiserver::EmbeddedCluster>,
}

impl Services {
    async fn stop(self) {
        self.servers.cancel();
        self.tracker.close();
        if tokio::time::timeout(STOP_LIMIT, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("servers did not stop in time");
        }
        if let Some(cluster) = self.cluster {
            cluster.shutdown().await;
        }
    }
}

/// Runs the operator until `ctx.shutdown` is cancelled and everything is drained.
pub async fn start(config: Config, ctx: StartContext) -> Result<(), StartError> {
    let hooks_dir = resolve_hooks_dir(&config.hooks_dir)?;
    let tmp_dir = prepare_tmp_dir(&config.tmp_dir)?;
    tracing::info!(hooks_dir = %hooks_dir.display(), tmp_dir = %tmp_dir.display(), "starting");

    let mut services = start_services(&config, &ctx).await?;
    let result = run(&config, &ctx, &mut services, hooks_dir, tmp_dir).await;
    services.stop().await;
    if result.is_ok() {
        tracing::info!("shell-operator stopped");
    }
    result
}

/// The debug endpoint first, then the HTTP server (upstream's order), then the embedded cluster.
async fn start_services(config: &Config, ctx: &StartContext) -> Result<Services, StartError> {
    let view = Arc::new(EngineView::default());
    let metrics = AppMetrics::new(config, Arc::clone(&view));
    let readiness = Readiness::new(if config.ha.enabled {
        HaMode::Enabled
    } else {
        HaMode::Disabled
    });
    let tracker = TaskTracker::new();
    let servers = CancellationToken::new();
    let mut services = Services {
        view,
        metrics,
        readiness,
        tracker,
        servers,
        cluster: None,
    };
    let started = async {
        let s = &services;
        let source = debug::EngineDebugSource(Arc::clone(&s.view));
        let runtime = debug::runtime_config(config.log.level.as_str(), ctx.log_level.clone());
        debug::start(config, source, runtime, &s.tracker, s.servers.clone())
            .await
            .map_err(StartError::DebugEndpoint)?;
        http::start(
            config,
            &s.metrics,
            s.readiness.clone(),
            &s.tracker,
            s.servers.clone(),
        )
        .await
        .map_err(StartError::Http)?;
        s.tracker.spawn(operator_metrics::run_live_ticks(
            s.metrics.handles.common.clone(),
            s.servers.clone(),
        ));
        Ok(())
    };
    if let Err(e) = started.await {
        services.stop().await;
        return Err(e);
    }
    if config.embedded_cluster {
        match start_embedded_cluster(&config.embedded_cluster_kubeconfig)
            .await
            .map_err(StartError::EmbeddedCluster)
        {
            Ok(cluster) => services.cluster = Some(cluster),
            Err(e) => {
                services.stop().await;
                return Err(e);
            }
        }
    }
    Ok(services)
}

async fn run(
    config: &Config,
    ctx: &StartContext,
    services: &mut Services,
    hooks_dir: PathBuf,
    tmp_dir: PathBuf,
) -> Result<(), StartError> {
    let mut env = ctx.env.clone();
    let embedded = services.cluster.as_ref().map(|cluster| {
        env.retain(|(k, _)| k != "KUBECONFIG");
        env.push((
            "KUBECONFIG".into(),
            cluster.kubeconfig_path().as_os_str().to_owned(),
        ));
        cluster.kube_config().clone()
    });
    let access = kube::connect(config, embedded, &services.metrics.handles.kube_client).await;

    let load_options = LoadOptions {
        env: env.clone(),
        ..LoadOptions::default()
    };
    let registry = match hook_engine::load_hooks(&hooks_dir, &load_options, &ctx.shutdown).await {
        Ok(registry) => registry,
        Err(LoadError::Cancelled) => {
            tracing::info!("shutdown requested while loading hooks");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let startup = StartupTracker::new(&registry, services.readiness.clone());

    let mut election = None;
    if config.ha.enabled {
        let client = match &access {
            KubeAccess::Connected { main, .. } => main.clone(),
            KubeAccess::Unavailable { reason } => {
                return Err(StartError::LeaderElection(HaError::NoClient(
                    reason.clone(),
                )));
            }
        };
        let mut campaign = Election::start(&config.ha, client, services.readiness.clone())
            .map_err(StartError::LeaderElection)?;
        if campaign.acquired(&ctx.shutdown).await == Acquired::Shutdown {
            campaign.release(STOP_LIMIT).await;
            return Ok(());
        }
        tracing::info!("leader election: this replica leads, starting hooks");
        election = Some(campaign);
    }

    let observer = Arc::new(EngineObserver::new(
        services.metrics.handles.clone(),
        startup,
    ));
    let wiring = KubeWiring::new(&access, &services.metrics, &registry, observer);
    let engine = Engine::new(
        registry,
        engine_config(config, env, tmp_dir),
        wiring.extensions,
        Arc::new(SystemClock),
    );
    engine.queues().set_observer(Arc::new(QueueActions::new(
        services.metrics.handles.clone(),
    )));
    services.view.attach(
        engine.queues().clone(),
        Arc::clone(engine.registry()),
        wiring.snapshots,
    );

    // Owned here and cancelled on shutdown (engine-kube's wiring).
    let kube_tasks = TaskTracker::new();
    let stop = ctx.shutdown.child_token();
    let bindings = wiring.pump.map(|(bindings, events)| {
        kube_tasks.spawn(Arc::clone(&bindings).run_pump(
            events,
            engine.queues().clone(),
            stop.clone(),
        ));
        bindings
    });
    kube_tasks.close();

    let (webhooks, result) = match webhooks::start(
        &config.webhooks,
        &engine,
        &access,
        services.cluster.as_ref(),
        &stop,
    )
    .await
    {
        Ok(webhooks) => (webhooks, Ok(())),
        Err(e) => (None, Err(StartError::Webhooks(e))),
    };
    if result.is_ok() {
        let lost = async {
            match election.as_mut() {
                Some(e) => e.lost().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = engine.run(stop.clone()) => {}
            () = lost => {
                // Stop intake and return at once: the process exits non-zero, and dropping the
                // runtime kills the process groups of hooks still running.
                tracing::error!("leader election: lease lost, stopping hooks");
                stop.cancel();
                return Err(StartError::LeadershipLost);
            }
        }
    }
    stop.cancel();
    if let Some(webhooks) = webhooks {
        webhooks.shutdown().await;
    }
    if let Some(bindings) = bindings {
        bindings.shutdown().await;
    }
    kube_tasks.wait().await;
    if let Some(election) = election {
        election.release(STOP_LIMIT).await;
    }
    result
}

fn engine_config(
    config: &Config,
    env: Vec<(OsString, OsString)>,
    tmp_dir: PathBuf,
) -> EngineConfig {
    EngineConfig {
        runner: RunnerConfig {
            tmp_dir,
            env,
            tmp_files: if config.debug.keep_tmp_files {
                TmpFiles::Keep
            } else {
                TmpFiles::Remove
            },
            default_timeout: config.hook_timeout,
            log_proxy: if config.log.proxy_hook_json {
                LogProxy::JsonObjects
            } else {
                LogProxy::PlainLines
            },
        },
        queues: QueueSetConfig::default(),
        shutdown_grace_period: config.shutdown_grace_period,
    }
}

fn prepare_tmp_dir(dir: &std::path::Path) -> Result<PathBuf, StartError> {
    let dir = if dir.as_os_str().is_empty() {
        std::env::temp_dir().join(format!("shell-operator-{}", std::process::id()))
    } else {
        dir.to_path_buf()
    };
    std::fs::create_dir_all(&dir).map_err(|source| StartError::TmpDir {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// `--embedded-cluster`: starts the in-process API server and writes its kubeconfig to
/// `kubeconfig_path` (addon-operator starts it the same way).
pub async fn start_embedded_cluster(
    kubeconfig_path: &std::path::Path,
) -> Result<embedded_apiserver::EmbeddedCluster, embedded_apiserver::Error> {
    let embedded = embedded_apiserver::EmbeddedConfig {
        kubeconfig_path: Some(kubeconfig_path.to_owned()),
        ..embedded_apiserver::EmbeddedConfig::default()
    };
    let cluster = embedded_apiserver::EmbeddedCluster::start(embedded).await?;
    tracing::info!(
        kubeconfig = %cluster.kubeconfig_path().display(),
        server = cluster.base_url(),
        "embedded cluster started"
    );
    Ok(cluster)
}
