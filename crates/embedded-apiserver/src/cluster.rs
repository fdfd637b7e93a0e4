//! `EmbeddedCluster`: starting the server, handing out clients, shutting down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admission::Admission;
use crate::api::{Server, commit};
use crate::config::{EmbeddedConfig, Transport};
use crate::conversion::Converter;
use crate::faults::Faults;
use crate::resources::Registry;
use crate::store::Store;
use crate::tls::Pki;
use crate::webhook::{self, ServiceRef, ServiceRegistry};
use crate::{Error, controller, kubeconfig, server};

/// Namespaces that exist when the cluster starts.
pub const INITIAL_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// How long [`EmbeddedCluster::shutdown`] waits for tasks before giving up on them.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// A running embedded API server. Dropping it stops the server.
pub struct EmbeddedCluster {
    addr: SocketAddr,
    base_url: String,
    kubeconfig_path: PathBuf,
    // Keeps a temporary kubeconfig alive until the cluster goes away.
    _kubeconfig_temp: Option<tempfile::TempPath>,
    kube_config: kube::Config,
    faults: Faults,
    services: ServiceRegistry,
    store: Arc<Store>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl std::fmt::Debug for EmbeddedCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedCluster")
            .field("base_url", &self.base_url)
            .field("kubeconfig_path", &self.kubeconfig_path)
            .finish_non_exhaustive()
    }
}

fn seed(store: &Store) {
    let Some(rt) = Registry::builtin().get("", "v1", "namespaces") else {
        return;
    };
    let ctx = commit::WriteCtx {
        rt,
        namespace: String::new(),
        dry_run: false,
        manager: "kube-apiserver".to_owned(),
        now: crate::objects::now(),
        fields: crate::api::commit::FieldOwnership::RecordUpdate,
    };
    store.write(|txn| {
        for name in INITIAL_NAMESPACES {
            if let Err(e) = commit::create(txn, &ctx, json!({ "metadata": { "name": name } })) {
                tracing::warn!(namespace = name, error = %e.message, "seeding a namespace failed");
            }
        }
    });
}

impl EmbeddedCluster {
    /// Starts a server as configured and waits until it accepts connections.
    pub async fn start(config: EmbeddedConfig) -> Result<Self, Error> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
        let (scheme, pki) = match config.transport {
            Transport::Tls => ("https", Some(Pki::generate()?)),
            Transport::PlainHttp => ("http", None),
        };
        let acceptor = match &pki {
            Some(pki) => Some(tokio_rustls::TlsAcceptor::from(pki.server_config()?)),
            None => None,
        };
        let base_url = format!("{scheme}://{addr}");
        let text = kubeconfig::render(&base_url, pki.as_ref().map(|p| p.ca_pem.as_str()));
        let (kubeconfig_path, temp) = match &config.kubeconfig_path {
            Some(path) => {
                std::fs::write(path, &text).map_err(|source| Error::Kubeconfig {
                    path: path.clone(),
                    source,
                })?;
                (path.clone(), None)
            }
            None => {
                let write = || -> std::io::Result<tempfile::TempPath> {
                    let mut file = tempfile::Builder::new()
                        .prefix("embedded-kubeconfig-")
                        .suffix(".yaml")
                        .tempfile()?;
                    std::io::Write::write_all(&mut file, text.as_bytes())?;
                    Ok(file.into_temp_path())
                };
                let temp = write().map_err(|source| Error::Kubeconfig {
                    path: std::env::temp_dir(),
                    source,
                })?;
                (temp.to_path_buf(), Some(temp))
            }
        };
        let kube_config = kube_config(&text).await?;

        let store = Arc::new(Store::with_observer(
            config.watch_history,
            config.commit_observer.clone(),
        ));
        seed(&store);
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let faults = Faults::new(store.clone(), shutdown.clone());
        let services = ServiceRegistry::from_routes(config.webhook_services.clone());
        let client = Arc::new(webhook::Client::new(services.clone()));
        let converter = Arc::new(Converter::new(client.clone(), store.clone()));
        let admission = Arc::new(Admission::new(client, converter.clone(), store.clone()));
        let srv = Arc::new(Server {
            store: store.clone(),
            faults: faults.clone(),
            bookmark_interval: config.bookmark_interval,
            address: addr.to_string(),
            admission,
            converter,
        });
        tracker.spawn(controller::run(store.clone(), shutdown.clone()));
        tracker.spawn(server::accept_loop(
            listener,
            acceptor,
            srv,
            shutdown.clone(),
            tracker.clone(),
        ));
        tracing::info!(url = %base_url, kubeconfig = %kubeconfig_path.display(), "embedded api server started");
        Ok(Self {
            addr,
            base_url,
            kubeconfig_path,
            _kubeconfig_temp: temp,
            kube_config,
            faults,
            services,
            store,
            shutdown,
            tracker,
        })
    }

    /// A new kube client for this cluster.
    pub fn client(&self) -> Result<kube::Client, Error> {
        kube::Client::try_from(self.kube_config.clone()).map_err(Error::Client)
    }

    /// The kube client configuration (server URL, CA, token).
    pub fn kube_config(&self) -> &kube::Config {
        &self.kube_config
    }

    /// `https://127.0.0.1:PORT` (or `http://` for plain HTTP).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Path of the kubeconfig pointing at this cluster.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// Fault injection handle.
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }

    /// Routes every port of the Service `namespace/name` to `addr`, so webhooks whose
    /// `clientConfig.service` names it are called there; replaces an earlier route.
    pub fn register_service(&self, namespace: &str, name: &str, addr: SocketAddr) {
        self.services
            .register(ServiceRef::new(namespace, name), addr);
    }

    /// Routes one port of the Service `namespace/name` to `addr`; wins over the any-port route.
    pub fn register_service_port(&self, namespace: &str, name: &str, port: u16, addr: SocketAddr) {
        self.services
            .register(ServiceRef::new(namespace, name).with_port(port), addr);
    }

    /// The registry of Service routes, shared with the running server; cheap to clone.
    pub fn services(&self) -> ServiceRegistry {
        self.services.clone()
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store.read(|s| s.rv)
    }

    /// Stops accepting requests, lets open connections finish briefly, then waits for all tasks.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(SHUTDOWN_DEADLINE, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("embedded api server tasks did not stop in time");
        }
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.tracker.close();
    }
}

async fn kube_config(text: &str) -> Result<kube::Config, Error> {
    let kubeconfig = kube::config::Kubeconfig::from_yaml(text).map_err(Error::LoadKubeconfig)?;
    kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(Error::LoadKubeconfig)
}
