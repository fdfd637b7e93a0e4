//! The debug endpoint: the debug-socket routes on `--debug-unix-socket` (mode 0600, removed at
//! shutdown) and on `--debug-http-addr`, over the engine's queues, hooks and snapshots, with the
//! runtime parameter `log.level`.

use std::collections::BTreeMap;
use std::sync::Arc;

use debug_socket::{
    BindingSnapshot, CacheCounters, DebugSource, Endpoint, Parameter, QueueView, RuntimeConfig,
    ServeError, SnapshotOperations,
};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::view::EngineView;
use crate::config::Config;
use crate::logging::LevelHandle;

/// The engine as the debug routes see it.
#[derive(Debug, Clone)]
pub struct EngineDebugSource(pub Arc<EngineView>);

impl DebugSource for EngineDebugSource {
    async fn queues(&self) -> Vec<QueueView> {
        match self.0.queues() {
            Some(queues) => queues.snapshot().iter().map(QueueView::from).collect(),
            None => Vec::new(),
        }
    }

    async fn hook_names(&self) -> Vec<String> {
        match self.0.registry() {
            Some(registry) => registry.iter().map(|h| h.name.clone()).collect(),
            None => Vec::new(),
        }
    }

    async fn hook_snapshots(&self, hook: &str) -> Option<BTreeMap<String, BindingSnapshot>> {
        let hook = self.0.registry()?.get(hook)?;
        let mut out = BTreeMap::new();
        for binding in &hook.config.kubernetes {
            let items = self.0.snapshot(&hook.name, &binding.name);
            let snapshot: Vec<Value> = items
                .iter()
                .map(|item| {
                    let mut map = Map::new();
                    if let Some(filter_result) = &item.filter_result {
                        map.insert("filterResult".into(), filter_result.as_ref().clone());
                    }
                    if let Some(object) = &item.object {
                        map.insert("object".into(), object.to_value());
                    }
                    Value::Object(map)
                })
                .collect();
            // kube-events keeps no per-binding event counters yet: only the count is known.
            let counters = CacheCounters {
                count: snapshot.len() as u64,
                ..CacheCounters::default()
            };
            out.insert(
                binding.name.clone(),
                BindingSnapshot {
                    snapshot,
                    operations: SnapshotOperations {
                        since_start: counters,
                        since_last_execution: CacheCounters::default(),
                    },
                },
            );
        }
        Some(out)
    }
}

/// The runtime parameters `config list`/`config set` show and change: `log.level`, applied
/// through `log_level` (absent when the caller installed its own logger).
pub fn runtime_config(level: &str, log_level: Option<LevelHandle>) -> RuntimeConfig {
    let runtime = RuntimeConfig::new();
    runtime.register(Parameter::log_level(
        level,
        Box::new(move |_old, new| match &log_level {
            Some(handle) => {
                handle.set(new)?;
                tracing::info!(level = new, "log level changed");
                Ok(())
            }
            None => Ok(()),
        }),
    ));
    runtime
}

/// Serves the debug routes on `--debug-unix-socket` and `--debug-http-addr` (a failure to bind
/// stops startup, as upstream) on `tracker` until `cancel`.
pub async fn start(
    config: &Config,
    source: EngineDebugSource,
    runtime: RuntimeConfig,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) -> Result<(), ServeError> {
    let router = debug_socket::router(Arc::new(source), runtime.clone(), axum_router());
    let endpoint = Endpoint {
        unix_socket: &config.debug.unix_socket,
        http_addr: config.debug.http_addr.as_deref(),
    };
    debug_socket::start_endpoint(endpoint, router, &runtime, tracker, cancel).await
}

/// No extra routes in shell-operator (addon-operator mounts its `/module/...` ones here).
fn axum_router() -> axum::Router {
    axum::Router::new()
}
