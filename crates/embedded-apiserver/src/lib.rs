//! An embedded Kubernetes API server for tests, demos and `--embedded-cluster`.
//!
//! It calls admission webhooks (`ValidatingWebhookConfiguration`, `MutatingWebhookConfiguration`)
//! and CRD conversion webhooks like the real server. Webhooks named by Service are reached through
//! [`EmbeddedConfig::webhook_services`] and [`EmbeddedCluster::register_service`].
//!
//! Writes honour `fieldValidation` (`Strict`, `Warn` by default, `Ignore`) for unknown fields of
//! custom resources with structural schemas and for fields a JSON body repeats. Limits: built-in
//! types have no type schemas here, so their unknown fields are neither reported nor pruned;
//! server-side apply bodies are not checked for unknown fields; objects nested more than 100
//! levels deep are refused with 400 BadRequest, because clients could not parse them back.
//!
//! [`EmbeddedConfig::commit_observer`] is told the instant each change is committed, for measuring
//! watch and informer latency from there.
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
