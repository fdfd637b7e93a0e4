//! The HTTP server on `--prometheus-listen-address:--prometheus-listen-port` (operator-http):
//! `/metrics`, `/metrics/hooks`, `/healthz`, `/readyz` with upstream's texts, `/discovery`, and
//! `/status/converge`. It starts before the modules are loaded, as upstream's does, and stops
//! with the other servers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::Query;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use operator_http::{HttpState, ListenConfig, Routes, ServeError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::metrics::AppMetrics;
use crate::app::status::ConvergeStatus;

/// Binds `listen` (a failure stops startup) and serves on `tracker` until `cancel`.
pub async fn start(
    listen: &ListenConfig,
    metrics: &AppMetrics,
    status: Arc<ConvergeStatus>,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) -> Result<Option<SocketAddr>, ServeError> {
    let listener = operator_http::bind(listen).await?;
    let addr = listener.local_addr().ok();
    let state = HttpState {
        self_metrics: metrics.exposition(),
        hook_metrics: metrics.hook_exposition(),
        readiness: Arc::clone(&status) as Arc<dyn operator_http::ReadinessProbe>,
    };
    let router = Routes::new(state)
        .titled("addon-operator")
        .mount(
            Method::GET,
            "/status/converge",
            get(move |query: Query<HashMap<String, String>>| async move {
                converge_status(&status, &query)
            }),
        )
        .into_router();
    tracker.spawn(async move {
        if let Err(e) = operator_http::serve(listener, router, cancel).await {
            tracing::error!(error = %error_report::Report(&e), "http server stopped");
        }
    });
    Ok(addr)
}

/// Text lines, or the JSON object with `?output=json`.
fn converge_status(status: &ConvergeStatus, query: &HashMap<String, String>) -> Response {
    if query.get("output").map(String::as_str) == Some("json") {
        Json(status.json()).into_response()
    } else {
        status.text().into_response()
    }
}
