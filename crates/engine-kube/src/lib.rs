//! Kubernetes extensions of the hook engine: kubernetes bindings on top of kube-events, snapshots
//! read at run time, the event pump, and applying `$KUBERNETES_PATCH_PATH` and `$METRICS_PATH`.
//!
//! Wiring (the binary):
//!
//! ```no_run
//! # async fn demo(client: kube::Client, registry: hook_engine::HookRegistry,
//! #     config: hook_engine::EngineConfig, clock: std::sync::Arc<dyn hook_engine::clock::Clock>,
//! #     shutdown: tokio_util::sync::CancellationToken) {
//! use std::sync::Arc;
//! let (manager, events) = kube_events::KubeEventsManager::with_defaults(client.clone());
//! let kube = Arc::new(engine_kube::KubeBindings::new(manager, Arc::new(engine_kube::NoEnableErrors)));
//! let metrics = Arc::new(hook_metrics::HookMetricsStore::default());
//! let outputs = engine_kube::OutputApplier::new(client, metrics);
//! let extensions = hook_engine::Extensions {
//!     outputs: Arc::new(outputs),
//!     snapshots: kube.clone(),
//!     kubernetes: kube.clone(),
//!     ..hook_engine::Extensions::default()
//! };
//! let engine = hook_engine::Engine::new(registry, config, extensions, clock);
//! let tracker = tokio_util::task::TaskTracker::new();
//! tracker.spawn(kube.clone().run_pump(events, engine.queues().clone(), shutdown.clone()));
//! engine.run(shutdown).await;
//! kube.shutdown().await;
//! tracker.close();
//! tracker.wait().await;
//! # }
//! ```

mod bindings;
mod outputs;
mod spec;

pub use bindings::{EnableErrorSink, KubeBindings, NoEnableErrors};
pub use outputs::OutputApplier;
pub use spec::{binding_id, binding_spec};
