//! An embedded Kubernetes API server for tests, demos and `--embedded-cluster`.
//!
//! It calls admission webhooks (`ValidatingWebhookConfiguration`, `MutatingWebhookConfiguration`)
//! and CRD conversion webhooks like the real server. Webhooks named by Service are reached through
//! [`EmbeddedConfig::webhook_services`] and [`EmbeddedCluster::register_service`].
//!
//! Writes honour `fieldValidation` (`Strict`, `Warn` by default, `Ignore`) for unknown fields of
//! built-in objects (those their `k8s-openapi` type does not declare, metadata and status
//! included), of custom resources with structural schemas (their `metadata` read as an
//! `ObjectMeta`, as the real server does), and for fields a JSON body repeats;
//! unknown fields are never stored. Server-side apply refuses a configuration with undeclared
//! fields whatever the directive, as the real field manager does (500, `failed to create typed
//! patch object`). Limits: apply error paths name keyed list items by one merge key
//! (`containers[name="app"]`; the real server lists every key of multi-key lists such as ports)
//! and custom resource list items by index; repeated keys of YAML bodies are not reported (the
//! real server reports them by line); a built-in value of the wrong type (a string for
//! `replicas`) is stored rather than refused, and unknown fields after it are not found; objects
//! nested more than 100 levels deep are refused with 400 BadRequest, because clients could not
//! parse them back.
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
mod builtin_fields;
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
