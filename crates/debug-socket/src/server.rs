//! Serving the debug router on a unix socket (0600, removed on shutdown) and optionally on TCP.

use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use axum::Router;
use tokio::net::{TcpListener, UnixListener};
use tokio_util::sync::CancellationToken;

/// The upstream default of `--debug-unix-socket` for shell-operator.
pub const DEFAULT_SOCKET: &str = "/var/run/shell-operator/debug.socket";
/// The upstream default of `--debug-unix-socket` for addon-operator.
pub const ADDON_OPERATOR_DEFAULT_SOCKET: &str = "/var/run/addon-operator/debug.socket";
/// Env var of `--debug-unix-socket`.
pub const ENV_DEBUG_UNIX_SOCKET: &str = "DEBUG_UNIX_SOCKET";
/// Env var of `--debug-http-addr`.
pub const ENV_DEBUG_HTTP_SERVER_ADDR: &str = "DEBUG_HTTP_SERVER_ADDR";

/// Setting up or running a debug listener failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The socket's parent directory could not be created.
    #[error("create debug socket directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A stale socket file could not be removed.
    #[error("remove existing debug socket {path}")]
    RemoveStale {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Binding the socket failed.
    #[error("listen on debug socket {path}")]
    BindUnix {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Setting the socket's mode failed.
    #[error("set mode 0600 on debug socket {path}")]
    Chmod {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Binding the TCP address failed.
    #[error("listen on debug http address {addr}")]
    BindTcp {
        addr: String,
        #[source]
        source: io::Error,
    },
    /// The server stopped with an error.
    #[error("serve debug endpoint")]
    Serve(#[source] io::Error),
}

/// A bound unix-socket listener; the socket file is removed when this (or the server) ends.
#[derive(Debug)]
pub struct UnixDebugListener {
    listener: UnixListener,
    guard: SocketFile,
}

impl UnixDebugListener {
    /// Creates the parent dir (0700), replaces a stale socket and binds with mode 0600.
    pub fn bind(path: impl Into<PathBuf>) -> Result<Self, ServeError> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| ServeError::CreateDir {
                    path: dir.to_owned(),
                    source,
                })?;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(ServeError::RemoveStale { path, source }),
        }
        let listener = UnixListener::bind(&path).map_err(|source| ServeError::BindUnix {
            path: path.clone(),
            source,
        })?;
        let guard = SocketFile(path.clone());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| ServeError::Chmod {
                path: path.clone(),
                source,
            },
        )?;
        tracing::info!(socket = %path.display(), "Debug endpoint listen on {}", path.display());
        Ok(UnixDebugListener { listener, guard })
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.guard.0
    }

    /// Serves `router` until `cancel`, then removes the socket file.
    pub async fn serve(self, router: Router, cancel: CancellationToken) -> Result<(), ServeError> {
        let UnixDebugListener { listener, guard } = self;
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await
            .map_err(ServeError::Serve);
        drop(guard);
        result
    }
}

/// Removes the socket file on drop.
#[derive(Debug)]
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_file(&self.0)
            && err.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(socket = %self.0.display(), error = %err, "remove debug socket");
        }
    }
}

/// A bound TCP listener for `--debug-http-addr`.
#[derive(Debug)]
pub struct TcpDebugListener {
    listener: TcpListener,
}

impl TcpDebugListener {
    /// Binds `addr` (`host:port`; `:port` means all interfaces, as in Go).
    pub async fn bind(addr: &str) -> Result<Self, ServeError> {
        let normalized = if addr.starts_with(':') {
            format!("0.0.0.0{addr}")
        } else {
            addr.to_owned()
        };
        let listener =
            TcpListener::bind(&normalized)
                .await
                .map_err(|source| ServeError::BindTcp {
                    addr: addr.to_owned(),
                    source,
                })?;
        Ok(TcpDebugListener { listener })
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `router` until `cancel`.
    pub async fn serve(self, router: Router, cancel: CancellationToken) -> Result<(), ServeError> {
        axum::serve(self.listener, router)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await
            .map_err(ServeError::Serve)
    }
}
