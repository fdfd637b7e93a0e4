//! What the manager hands to its owner: events, synchronizations and snapshots.

use binding_context::ObjectJson;
use serde_json::Value;

use crate::spec::{BindingId, WatchEventType};

/// Namespace and name of an object; orders snapshots by namespace, then name (cluster-scoped first).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// The key of a JSON object from its `metadata`.
    pub fn of(object: &Value) -> Self {
        let meta = object.get("metadata");
        let field = |f: &str| {
            meta.and_then(|m| m.get(f))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            namespace: field("namespace"),
            name: field("name"),
        }
    }
}

/// One object of a binding as hooks see it: `object` and `filterResult` of binding-context items.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotItem {
    /// The full object (shared with the watch cache); `None` with `keepFullObjectsInMemory: false`.
    pub object: Option<ObjectJson>,
    /// The jq filter result; `None` without a jqFilter.
    pub filter_result: Option<Value>,
}

/// A binding's objects sorted by namespace/name, with the sequence number of the last change they include.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// The objects, sorted by namespace, then name.
    pub items: Vec<SnapshotItem>,
    /// Events of this binding with `seq <= self.seq` are already reflected in `items`.
    pub seq: u64,
}

/// Output of the manager, delivered in order through one bounded channel.
#[derive(Debug, Clone, PartialEq)]
pub enum KubeEvent {
    /// Every watch of the binding finished its initial list; read the objects with
    /// [`crate::KubeEventsManager::snapshot`] when the hook runs.
    Synchronization {
        /// The binding.
        binding_id: BindingId,
        /// Sequence number of the binding's state at synchronization.
        seq: u64,
    },
    /// An object changed in a way the binding subscribed to.
    Event {
        /// The binding.
        binding_id: BindingId,
        /// Added, Modified or Deleted.
        watch_event: WatchEventType,
        /// Which object.
        key: ObjectKey,
        /// The object at the time of the event (last state for Deleted); `None` with
        /// `keepFullObjectsInMemory: false`.
        object: Option<ObjectJson>,
        /// The jq filter result; `None` without a jqFilter.
        filter_result: Option<Value>,
        /// Sequence number of the change; snapshots with a `seq` at least this large include it.
        seq: u64,
    },
}

impl KubeEvent {
    /// The binding the event is for.
    pub fn binding_id(&self) -> &BindingId {
        match self {
            Self::Synchronization { binding_id, .. } | Self::Event { binding_id, .. } => binding_id,
        }
    }
}
