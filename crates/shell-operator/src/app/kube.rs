//! The Kubernetes side of `start`: the main and object-patcher clients (with request metrics and
//! `--debug-kubernetes-api` logging), and the engine extensions built on them. Without a usable
//! client the operator still runs: kubernetes bindings fail (and are retried) with a clear error,
//! object patches fail the run, hook metrics still work.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use engine_kube::{EnableErrorSink, KubeBindings, OutputApplier};
use futures::future::BoxFuture;
use hook_engine::extensions::NoSnapshots;
use hook_engine::{
    EngineTask, Extensions, Hook, HookOutputSink, HookRegistry, HookRun, KubernetesBindings,
    RunObserver, SnapshotSource,
};
use hook_exec::HookRunOutput;
use hook_metrics::HookMetricsStore;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube_events::{KubeEvent, KubeEventsManager, ManagerConfig};
use object_patch::{ObjectPatcher, PatcherConfig};
use operator_metrics::KubeClientMetrics;
use tokio::sync::mpsc;

use crate::app::metrics::{AppMetrics, EnableErrors, WatchErrors};
use crate::config::Config;

/// The `component` label of the main client's request metrics.
const MAIN_COMPONENT: &str = "main";
/// The `component` label of the object patcher's request metrics.
const PATCHER_COMPONENT: &str = "object_patcher";

/// Whether the operator can talk to a cluster.
#[derive(Clone)]
pub enum KubeAccess {
    /// Both clients are built (the cluster may still be unreachable; requests then fail and retry).
    Connected {
        /// Watches, discovery, leader election.
        main: kube::Client,
        /// `$KUBERNETES_PATCH_PATH`, with `--object-patcher-kube-client-timeout`.
        patcher: kube::Client,
    },
    /// No configuration was found or it is unusable.
    Unavailable {
        /// Why, for the log and for the errors of kubernetes bindings.
        reason: String,
    },
}

impl std::fmt::Debug for KubeAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connected { .. } => f.write_str("Connected"),
            Self::Unavailable { reason } => f.debug_tuple("Unavailable").field(reason).finish(),
        }
    }
}

/// Builds the clients from `embedded` (the embedded cluster's config) when given, else from
/// `--kube-config`/`--kube-context`, else from `KUBECONFIG`/`~/.kube/config`/in-cluster.
pub async fn connect(
    config: &Config,
    embedded: Option<kube::Config>,
    metrics: &KubeClientMetrics,
) -> KubeAccess {
    let kube_config = match embedded {
        Some(c) => Ok(c),
        None => load_kube_config(config.kube.config.as_deref(), config.kube.context.clone()).await,
    };
    let clients = kube_config.and_then(|main_config| {
        let mut patcher_config = main_config.clone();
        patcher_config.read_timeout = Some(config.kube.patcher_timeout);
        patcher_config.write_timeout = Some(config.kube.patcher_timeout);
        let log = config.debug.kubernetes_api;
        let main = build_client(main_config, metrics, MAIN_COMPONENT, log)?;
        let patcher = build_client(patcher_config, metrics, PATCHER_COMPONENT, log)?;
        Ok((main, patcher))
    });
    match clients {
        Ok((main, patcher)) => {
            tracing::info!(
                namespace = main.default_namespace(),
                "kubernetes client configured"
            );
            KubeAccess::Connected { main, patcher }
        }
        Err(reason) => {
            tracing::warn!(
                %reason,
                "no kubernetes client: hooks with kubernetes bindings will fail to start and \
                 object patches will fail; onStartup and schedule bindings work"
            );
            KubeAccess::Unavailable { reason }
        }
    }
}

/// The client configuration from `--kube-config` and `--kube-context`, else from
/// `KUBECONFIG`/`~/.kube/config`/in-cluster; the error says why none is usable.
pub async fn load_kube_config(
    kube_config: Option<&std::path::Path>,
    context: Option<String>,
) -> Result<kube::Config, String> {
    let options = KubeConfigOptions {
        context,
        ..KubeConfigOptions::default()
    };
    if let Some(path) = kube_config {
        let kubeconfig = Kubeconfig::read_from(path)
            .map_err(|e| format!("read kubeconfig '{}': {e}", path.display()))?;
        return kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| format!("load kubeconfig '{}': {e}", path.display()));
    }
    if options.context.is_some() {
        return kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| format!("load kubeconfig: {e}"));
    }
    kube::Config::infer()
        .await
        .map_err(|e| format!("find kubernetes configuration: {e}"))
}

/// A client from `config` whose requests are counted in `kubernetes_client_request_*` with
/// `component`, and logged when `log` is set (`--debug-kubernetes-api`); addon-operator builds
/// its client with it too.
pub fn build_client(
    config: kube::Config,
    metrics: &KubeClientMetrics,
    component: &'static str,
    log: bool,
) -> Result<kube::Client, String> {
    let host = config
        .cluster_url
        .authority()
        .map(ToString::to_string)
        .unwrap_or_default();
    let layer = RequestMetricsLayer {
        metrics: metrics.clone(),
        component,
        host: Arc::from(host),
        log,
    };
    let builder = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| format!("build kubernetes client: {e}"))?;
    Ok(builder.with_layer(&layer).build())
}

/// Records `kubernetes_client_request_latency_seconds` and `_result_total` for every request, and
/// logs requests with `--debug-kubernetes-api`.
#[derive(Debug, Clone)]
struct RequestMetricsLayer {
    metrics: KubeClientMetrics,
    component: &'static str,
    host: Arc<str>,
    log: bool,
}

impl<S> tower::Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetrics {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct RequestMetrics<S> {
    inner: S,
    layer: RequestMetricsLayer,
}

impl<S, B, R> tower::Service<http::Request<B>> for RequestMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().map(str::to_owned);
        let layer = self.layer.clone();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            let took = started.elapsed();
            let code = match &result {
                Ok(response) => response.status().as_u16().to_string(),
                Err(_) => "<error>".to_owned(),
            };
            let m = &layer.metrics;
            m.request_latency(layer.component, &method, &path, took);
            m.request_result(layer.component, &code, &method, &layer.host);
            if layer.log {
                tracing::info!(
                    target: "kubernetes_api",
                    component = layer.component,
                    method = %method,
                    path = %path,
                    query = query.as_deref().unwrap_or(""),
                    code = %code,
                    duration_ms = took.as_millis() as u64,
                    "kubernetes api request"
                );
            }
            result
        })
    }
}

/// The kubernetes parts of the engine: its extensions, and what the event pump needs.
pub struct KubeWiring {
    /// Outputs, snapshots, kubernetes bindings and the observer for [`hook_engine::Engine::new`].
    pub extensions: Extensions,
    /// Read by the debug socket's `hook snapshot`.
    pub snapshots: Arc<dyn SnapshotSource>,
    /// The bindings and kube-events' receiver, for [`KubeBindings::run_pump`]; `None` without a
    /// client.
    pub pump: Option<(Arc<KubeBindings>, mpsc::Receiver<KubeEvent>)>,
}

impl std::fmt::Debug for KubeWiring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeWiring")
            .field("pump", &self.pump.is_some())
            .finish_non_exhaustive()
    }
}

impl KubeWiring {
    /// Wires engine-kube (as its crate docs show) over `access`, with `observer` and the metrics
    /// sinks.
    pub fn new(
        access: &KubeAccess,
        metrics: &AppMetrics,
        registry: &HookRegistry,
        observer: Arc<dyn RunObserver>,
    ) -> Self {
        let enable_errors: Arc<dyn EnableErrorSink> =
            Arc::new(EnableErrors(metrics.handles.clone()));
        match access {
            KubeAccess::Connected { main, patcher } => {
                let (manager, events) = KubeEventsManager::new(
                    main.clone(),
                    ManagerConfig::default(),
                    Arc::new(WatchErrors::new(metrics.handles.clone(), registry)),
                );
                let bindings = Arc::new(KubeBindings::new(manager, enable_errors));
                let patcher = ObjectPatcher::new(patcher.clone(), PatcherConfig::default());
                let outputs = OutputApplier::with_patcher(patcher, Arc::clone(&metrics.hooks));
                let extensions = Extensions {
                    outputs: Arc::new(outputs),
                    snapshots: bindings.clone(),
                    kubernetes: bindings.clone(),
                    observer,
                    ..Extensions::default()
                };
                Self {
                    extensions,
                    snapshots: bindings.clone(),
                    pump: Some((bindings, events)),
                }
            }
            KubeAccess::Unavailable { reason } => {
                let extensions = Extensions {
                    outputs: Arc::new(NoClusterOutputs {
                        reason: reason.clone(),
                        metrics: Arc::clone(&metrics.hooks),
                    }),
                    kubernetes: Arc::new(NoClusterBindings {
                        reason: reason.clone(),
                        errors: enable_errors,
                    }),
                    observer,
                    ..Extensions::default()
                };
                Self {
                    extensions,
                    snapshots: Arc::new(NoSnapshots),
                    pump: None,
                }
            }
        }
    }
}

/// EnableKubernetesBindings without a client: every attempt fails with the reason (and is
/// retried by the engine, so a hook starts working once the operator is restarted with a client).
struct NoClusterBindings {
    reason: String,
    errors: Arc<dyn EnableErrorSink>,
}

impl KubernetesBindings for NoClusterBindings {
    fn enable<'a>(&'a self, hook: &'a Arc<Hook>) -> BoxFuture<'a, Result<Vec<EngineTask>, String>> {
        self.errors.enable_error(&hook.name);
        let error = format!("no kubernetes client: {}", self.reason);
        Box::pin(async move { Err(error) })
    }
}

/// Hook outputs without a client: metrics are applied, object patches fail the run.
struct NoClusterOutputs {
    reason: String,
    metrics: Arc<HookMetricsStore>,
}

impl HookOutputSink for NoClusterOutputs {
    fn apply<'a>(
        &'a self,
        hook: &'a Hook,
        _run: &'a HookRun,
        output: &'a HookRunOutput,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let files = &output.files;
            // Parse first, as engine-kube does: a bad file fails the run before anything changes.
            let metrics = match non_blank(files.metrics.as_deref()) {
                Some(bytes) => Some(
                    hook_metrics::parse_operations(bytes)
                        .map_err(|e| format!("got bad metrics: {e}"))?,
                ),
                None => None,
            };
            if non_blank(files.kubernetes_patch.as_deref()).is_some() {
                return Err(format!(
                    "cannot apply kubernetes patch operations: no kubernetes client: {}",
                    self.reason
                ));
            }
            if let Some(ops) = metrics {
                self.metrics
                    .apply_for_hook(&hook.name, &ops)
                    .map_err(|e| format!("apply hook metrics: {e}"))?;
            }
            Ok(())
        })
    }
}

fn non_blank(content: Option<&[u8]>) -> Option<&[u8]> {
    content.filter(|c| !c.iter().all(u8::is_ascii_whitespace))
}
