//! The HTTP server on `--listen-address:--listen-port`: `/metrics`, `/metrics/hooks`,
//! `/discovery`, `/healthz` and `/readyz` (operator-http). It starts before hooks are loaded, as
//! upstream serves `/metrics` early, and stops last.

use std::net::SocketAddr;
use std::sync::Arc;

use operator_http::{HttpState, ListenConfig, Readiness, Routes, ServeError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::metrics::AppMetrics;
use crate::config::Config;

/// Binds the listen address (a failure stops startup) and serves on `tracker` until `cancel`.
pub async fn start(
    config: &Config,
    metrics: &AppMetrics,
    readiness: Readiness,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) -> Result<Option<SocketAddr>, ServeError> {
    let listen = ListenConfig {
        address: config.listen_address.clone(),
        port: config.listen_port,
    };
    let listener = operator_http::bind(&listen).await?;
    let addr = listener.local_addr().ok();
    let state = HttpState {
        self_metrics: metrics.exposition.clone(),
        hook_metrics: Arc::clone(&metrics.hooks) as Arc<dyn operator_http::TextExposition>,
        readiness: Arc::new(readiness),
    };
    let router = Routes::new(state).into_router();
    tracker.spawn(async move {
        if let Err(e) = operator_http::serve(listener, router, cancel).await {
            tracing::error!(error = %error_report::Report(&e), "http server stopped");
        }
    });
    Ok(addr)
}
