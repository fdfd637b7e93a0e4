//! `shell-operator start`: prepare directories, optionally start the embedded cluster, load the
//! hooks, then run the hook engine until shutdown is requested.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use hook_engine::clock::SystemClock;
use hook_engine::discovery::{DiscoveryError, resolve_hooks_dir};
use hook_engine::{Engine, EngineConfig, Extensions, LoadError, LoadOptions, RunnerConfig};
use hook_exec::{LogProxy, TmpFiles};
use task_queue::QueueSetConfig;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// The version line printed by `shell-operator version` and at startup.
pub fn version_line() -> String {
    format!("shell-operator v{}", env!("CARGO_PKG_VERSION"))
}

/// The jq line printed by `shell-operator version`.
pub const JQ_LINE: &str = "jqFilter implementation: using jaq (a Rust jq)";

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
    /// The embedded cluster did not start.
    #[error("start embedded cluster")]
    EmbeddedCluster(#[source] embedded_apiserver::Error),
    /// A hook could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Everything `start` needs besides the config: the process environment handed to hooks, and the
/// token cancelled on SIGTERM/SIGINT.
#[derive(Debug, Clone)]
pub struct StartContext {
    /// The operator's environment, passed to every hook.
    pub env: Vec<(OsString, OsString)>,
    /// Cancelled when the operator must stop.
    pub shutdown: CancellationToken,
}

/// Runs the operator until `ctx.shutdown` is cancelled and everything is drained.
pub async fn start(config: Config, ctx: StartContext) -> Result<(), StartError> {
    let hooks_dir = resolve_hooks_dir(&config.hooks_dir)?;
    let tmp_dir = prepare_tmp_dir(&config.tmp_dir)?;
    tracing::info!(hooks_dir = %hooks_dir.display(), tmp_dir = %tmp_dir.display(), "starting");

    let mut env = ctx.env.clone();
    let cluster = if config.embedded_cluster {
        let cluster = start_embedded_cluster(&config).await?;
        env.retain(|(k, _)| k != "KUBECONFIG");
        env.push((
            "KUBECONFIG".into(),
            cluster.kubeconfig_path().as_os_str().to_owned(),
        ));
        Some(cluster)
    } else {
        None
    };

    let load_options = LoadOptions {
        env: env.clone(),
        ..LoadOptions::default()
    };
    let registry = match hook_engine::load_hooks(&hooks_dir, &load_options, &ctx.shutdown).await {
        Ok(registry) => registry,
        Err(LoadError::Cancelled) => {
            tracing::info!("shutdown requested while loading hooks");
            stop_cluster(cluster).await;
            return Ok(());
        }
        Err(e) => {
            stop_cluster(cluster).await;
            return Err(e.into());
        }
    };

    let engine_config = EngineConfig {
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
    };
    let engine = Engine::new(
        registry,
        engine_config,
        Extensions::default(),
        Arc::new(SystemClock),
    );
    engine.run(ctx.shutdown.clone()).await;
    stop_cluster(cluster).await;
    tracing::info!("shell-operator stopped");
    Ok(())
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

async fn start_embedded_cluster(
    config: &Config,
) -> Result<embedded_apiserver::EmbeddedCluster, StartError> {
    let embedded = embedded_apiserver::EmbeddedConfig {
        kubeconfig_path: Some(config.embedded_cluster_kubeconfig.clone()),
        ..embedded_apiserver::EmbeddedConfig::default()
    };
    let cluster = embedded_apiserver::EmbeddedCluster::start(embedded)
        .await
        .map_err(StartError::EmbeddedCluster)?;
    tracing::info!(
        kubeconfig = %cluster.kubeconfig_path().display(),
        server = cluster.base_url(),
        "embedded cluster started"
    );
    Ok(cluster)
}

async fn stop_cluster(cluster: Option<embedded_apiserver::EmbeddedCluster>) {
    if let Some(cluster) = cluster {
        cluster.shutdown().await;
    }
}
