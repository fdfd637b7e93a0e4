//! Binding `--listen-address:--listen-port` and serving until the owner's token is cancelled.

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Default of `--listen-address` (`SHELL_OPERATOR_LISTEN_ADDRESS`).
pub const DEFAULT_LISTEN_ADDRESS: &str = "0.0.0.0";
/// Default of `--listen-port` (`SHELL_OPERATOR_LISTEN_PORT`).
pub const DEFAULT_LISTEN_PORT: u16 = 9115;

/// Where to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenConfig {
    /// Host name or IP address (`::` for all IPv6 addresses).
    pub address: String,
    /// TCP port; 0 picks a free one.
    pub port: u16,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            address: DEFAULT_LISTEN_ADDRESS.to_owned(),
            port: DEFAULT_LISTEN_PORT,
        }
    }
}

/// The server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding the listen address failed.
    #[error("listen on {address}:{port}")]
    Bind {
        /// Address asked for.
        address: String,
        /// Port asked for.
        port: u16,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Accepting or serving failed.
    #[error("serve http")]
    Serve(#[source] std::io::Error),
}

/// Binds the listener, so the caller learns a bind failure before it starts anything else.
pub async fn bind(config: &ListenConfig) -> Result<TcpListener, ServeError> {
    TcpListener::bind((config.address.as_str(), config.port))
        .await
        .map_err(|source| ServeError::Bind {
            address: config.address.clone(),
            port: config.port,
            source,
        })
}

/// Serves `router` on `listener` until `cancel` fires, then stops accepting and lets requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> Result<(), ServeError> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "http server listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
        .map_err(ServeError::Serve)
}
