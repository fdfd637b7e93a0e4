//! Typed configuration of an embedded cluster.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::CommitObserver;
use crate::webhook::ServiceRef;

/// How the server speaks on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// HTTPS with a CA and serving certificate generated at start.
    #[default]
    Tls,
    /// Plain HTTP, for tests that want to look at raw traffic.
    PlainHttp,
}

/// Configuration of [`crate::EmbeddedCluster`].
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// TLS or plain HTTP.
    pub transport: Transport,
    /// How many change events are kept for watches resuming from an old resourceVersion.
    pub watch_history: usize,
    /// Where to write the kubeconfig; `None` writes a temporary file removed on shutdown.
    pub kubeconfig_path: Option<PathBuf>,
    /// How often watches with `allowWatchBookmarks` get a BOOKMARK event.
    pub bookmark_interval: Duration,
    /// Where Services named by webhook `clientConfig.service` are reached; more can be added
    /// while running with [`crate::EmbeddedCluster::register_service`].
    pub webhook_services: BTreeMap<ServiceRef, SocketAddr>,
    /// Told the instant each change is committed (benchmarks measure watch delivery from there).
    pub commit_observer: Option<Arc<dyn CommitObserver>>,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            transport: Transport::Tls,
            watch_history: 10_000,
            kubeconfig_path: None,
            bookmark_interval: Duration::from_secs(10),
            webhook_services: BTreeMap::new(),
            commit_observer: None,
        }
    }
}

impl EmbeddedConfig {
    /// The default configuration with plain HTTP instead of TLS.
    pub fn plain_http() -> Self {
        Self {
            transport: Transport::PlainHttp,
            ..Self::default()
        }
    }
}
