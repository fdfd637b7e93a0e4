//! The operator's HTTP server on `--listen-address:--listen-port` (default `0.0.0.0:9115`).
//!
//! Routes: `/metrics` (self metrics), `/metrics/hooks` (metrics written by hooks), `/discovery`
//! (one `METHOD /path` per line), `/` (a small HTML help), `/healthz` (200 while the process
//! serves) and `/readyz`, answered by the operator's [`ReadinessProbe`] (shell-operator's
//! [`Readiness`]: 200, else 503 with the reason). Other binaries mount more routes with
//! [`Routes::mount`] (addon-operator: `/status/converge`, on port 9650).
//!
//! ```no_run
//! use std::sync::Arc;
//! use hook_metrics::HookMetricsStore;
//! use operator_http::{HaMode, HttpState, ListenConfig, Readiness, Routes, bind, serve};
//! use operator_metrics::{MetricsConfig, MetricsRegistry, SelfMetrics};
//! use tokio_util::sync::CancellationToken;
//!
//! # async fn run() -> Result<(), operator_http::ServeError> {
//! let mut registry = MetricsRegistry::default();
//! let _metrics = SelfMetrics::register(&mut registry, &MetricsConfig::default());
//! let readiness = Readiness::new(HaMode::Disabled);
//! let state = HttpState {
//!     self_metrics: Arc::new(registry),
//!     hook_metrics: Arc::new(HookMetricsStore::default()),
//!     readiness: Arc::new(readiness.clone()),
//! };
//! let listener = bind(&ListenConfig::default()).await?;
//! serve(listener, Routes::new(state).into_router(), CancellationToken::new()).await
//! # }
//! ```

mod exposition;
mod readiness;
mod routes;
mod serve;

pub use exposition::{RenderError, TextExposition};
pub use readiness::{HaMode, NotReady, Readiness, ReadinessProbe};
pub use routes::{HttpState, Routes};
pub use serve::{
    DEFAULT_LISTEN_ADDRESS, DEFAULT_LISTEN_PORT, ListenConfig, ServeError, bind, serve,
};
