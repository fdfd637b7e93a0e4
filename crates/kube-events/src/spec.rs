//! What a binding asks to watch: the validated input of [`crate::KubeEventsManager::start_binding`].
//!
//! Kept small and hook-agnostic so that hook-config's kubernetes binding maps onto it field by field.

use std::fmt;
use std::sync::Arc;

use crate::selector::{FieldExpression, LabelSelector};

/// Identifies one started binding; chosen by the owner (e.g. `<hook>/<binding name>/<index>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingId(pub Arc<str>);

impl BindingId {
    /// A binding id from any string.
    pub fn new(id: impl AsRef<str>) -> Self {
        Self(Arc::from(id.as_ref()))
    }
}

impl fmt::Display for BindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of change an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchEventType {
    /// The object appeared (or its filter result was first seen).
    Added,
    /// The object's filter result (or the whole object without a filter) changed.
    Modified,
    /// The object is gone.
    Deleted,
}

impl WatchEventType {
    /// The name used in binding contexts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "Added",
            Self::Modified => "Modified",
            Self::Deleted => "Deleted",
        }
    }
}

/// Which event types are delivered (`executeHookOnEvent`); the others still update the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTypes {
    /// Deliver `Added`.
    pub added: bool,
    /// Deliver `Modified`.
    pub modified: bool,
    /// Deliver `Deleted`.
    pub deleted: bool,
}

impl EventTypes {
    /// All three types (the default).
    pub const ALL: Self = Self {
        added: true,
        modified: true,
        deleted: true,
    };
    /// No events at all (`executeHookOnEvent: []`).
    pub const NONE: Self = Self {
        added: false,
        modified: false,
        deleted: false,
    };

    /// The set built from a list of types.
    pub fn from_types(types: &[WatchEventType]) -> Self {
        let mut set = Self::NONE;
        for t in types {
            match t {
                WatchEventType::Added => set.added = true,
                WatchEventType::Modified => set.modified = true,
                WatchEventType::Deleted => set.deleted = true,
            }
        }
        set
    }

    /// Whether `t` is delivered.
    pub fn contains(self, t: WatchEventType) -> bool {
        match t {
            WatchEventType::Added => self.added,
            WatchEventType::Modified => self.modified,
            WatchEventType::Deleted => self.deleted,
        }
    }
}

impl Default for EventTypes {
    fn default() -> Self {
        Self::ALL
    }
}

/// Which namespaces a binding watches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NamespaceSelector {
    /// All namespaces (or cluster-scoped objects): one watch on `""`.
    #[default]
    All,
    /// These namespaces: one watch per namespace.
    Names(Vec<String>),
    /// Namespaces matching the selector, followed as they start and stop matching.
    Labels(LabelSelector),
}

/// A kubernetes binding's watch request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingSpec {
    /// `apiVersion`, `None` for the preferred version of the group that has the kind.
    pub api_version: Option<String>,
    /// `kind`, matched case-insensitively against Kind, plural, singular and short names.
    pub kind: String,
    /// `nameSelector.matchNames`; empty means all objects.
    pub names: Vec<String>,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelector>,
    /// `fieldSelector.matchExpressions`, ANDed.
    pub field_selector: Vec<FieldExpression>,
    /// `namespace`.
    pub namespace: NamespaceSelector,
    /// `jqFilter`.
    pub jq_filter: Option<String>,
    /// `keepFullObjectsInMemory` (default true).
    pub keep_full_objects: bool,
    /// `executeHookOnEvent`.
    pub event_types: EventTypes,
}

impl BindingSpec {
    /// A spec watching every object of `kind` with defaults for everything else.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            api_version: None,
            kind: kind.into(),
            names: Vec::new(),
            label_selector: None,
            field_selector: Vec::new(),
            namespace: NamespaceSelector::All,
            jq_filter: None,
            keep_full_objects: true,
            event_types: EventTypes::ALL,
        }
    }
}
