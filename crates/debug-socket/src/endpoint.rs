//! Starting the whole debug endpoint of an operator: the unix socket, optionally the TCP
//! address, and the runtime config's expiry timer, all owned by the caller's tracker.

use std::path::Path;

use axum::Router;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::runtime_config::RuntimeConfig;
use crate::server::{ServeError, TcpDebugListener, UnixDebugListener};

/// Where the debug endpoint listens.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    /// `--debug-unix-socket`.
    pub unix_socket: &'a Path,
    /// `--debug-http-addr`, when set.
    pub http_addr: Option<&'a str>,
}

/// Binds the unix socket and, with an HTTP address, the TCP one (a failure stops startup, as
/// upstream), then serves `router` on both and runs `runtime`'s expiry on `tracker` until
/// `cancel`.
pub async fn start_endpoint(
    endpoint: Endpoint<'_>,
    router: Router,
    runtime: &RuntimeConfig,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) -> Result<(), ServeError> {
    let unix = UnixDebugListener::bind(endpoint.unix_socket)?;
    let tcp = match endpoint.http_addr {
        Some(addr) => Some(TcpDebugListener::bind(addr).await?),
        None => None,
    };
    tracker.spawn(runtime.clone().run_expiry(cancel.clone()));
    if let Some(tcp) = tcp {
        if let Ok(addr) = tcp.local_addr() {
            tracing::info!(%addr, "debug endpoint listening on tcp");
        }
        let (router, cancel) = (router.clone(), cancel.clone());
        tracker.spawn(async move {
            if let Err(e) = tcp.serve(router, cancel).await {
                tracing::error!(error = %e, "debug http server stopped");
            }
        });
    }
    tracker.spawn(async move {
        if let Err(e) = unix.serve(router, cancel).await {
            tracing::error!(error = %e, "debug socket server stopped");
        }
    });
    Ok(())
}
