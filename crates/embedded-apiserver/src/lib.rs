//! An embedded Kubernetes API server for tests, demos and `--embedded-cluster`.
//!
//! It calls admission webhooks (`ValidatingWebhookConfiguration`, `MutatingWebhookConfiguration`)
//! and CRD conversion webhooks like the real server. Webhooks named by Service are reached through
//! [`EmbeddedConfig::webhook_services`] and [`EmbeddedCluster::register_service`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), embedded_apiserver::Error> {
//! use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
//! let cluster = EmbeddedCluster::start(EmbeddedConfig::default()).await?;
//! let client = cluster.client()?;
//! println!("kubectl --kubeconfig {}", cluster.kubeconfig_path().display());
//! # drop(client);
//! cluster.faults().close_watches();
//! # Ok(()) }
//! ```

mod admission;
mod api;
mod cluster;
mod config;
mod controller;
mod conversion;
mod crds;
pub mod entry;
mod error;
mod faults;
mod kubeconfig;
mod managed;
mod objects;
mod observer;
mod proto;
mod resources;
mod selectors;
mod server;
mod status;
mod store;
mod tls;
mod webhook;

pub use cluster::{EmbeddedCluster, INITIAL_NAMESPACES};
pub use config::{EmbeddedConfig, Transport};
pub use error::Error;
pub use faults::Faults;
pub use observer::{ChangeKind, Commit, CommitObserver};
pub use resources::{Registry, ResourceType, ScalePaths, StorageKey};
pub use selectors::{FieldSelector, LabelSelector};
pub use status::ApiError;
pub use webhook::{ServiceRef, ServiceRegistry};
