//! Kubernetes side of hook bindings: kind discovery, shared watches, per-binding caches, events and snapshots.
//!
//! [`KubeEventsManager::start_binding`] resolves a [`BindingSpec`] to watches (shared between identical
//! bindings), keeps each object once (as compact JSON text, [`binding_context::ObjectJson`], and only while a
//! binding wants full objects), computes each binding's jq filter result and checksum, and sends
//! [`KubeEvent`]s in order through a bounded channel. [`KubeEventsManager::snapshot`] gives the objects a hook
//! sees at run time.

mod binding;
mod error;
mod event;
mod manager;
mod metrics;
mod namespaces;
mod outbox;
mod resolve;
mod selector;
mod spec;
mod state;
mod watch;

pub use binding::EventTiming;
pub use binding_context::ObjectJson;
pub use error::Error;
pub use event::{KubeEvent, ObjectKey, Snapshot, SnapshotItem};
pub use manager::{KubeEventsManager, ManagerConfig};
pub use metrics::{NoopSink, WatchErrorSink, WatchErrorType};
pub use resolve::{KindResolver, ResolvedKind};
pub use selector::{
    FieldExpression, FieldOperator, LabelExpression, LabelOperator, LabelSelector, field_query,
};
pub use spec::{BindingId, BindingSpec, EventTypes, NamespaceSelector, WatchEventType};
pub use watch::WatchBackoff;
