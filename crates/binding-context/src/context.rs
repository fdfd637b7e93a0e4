//! What happened, as the engine records it: one [`BindingContext`] per hook trigger.
//!
//! The JSON a hook reads is derived from these values by [`crate::render`], following upstream's
//! rules (a grouped Event becomes a `Group` context, and so on), so the engine stores facts and
//! never pre-shaped JSON.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::object::ObjectJson;

/// One cached object as hooks see it: in `objects`, in `snapshots[*]`, and merged into Events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectItem {
    /// The full object; `None` when the binding has `keepFullObjectsInMemory: false`.
    pub object: Option<ObjectJson>,
    /// The jq filter result; `None` when the binding has no jqFilter (the key is then absent).
    /// With a filter, build it with [`filter_result_from_outputs`].
    pub filter_result: Option<Arc<Value>>,
}

impl ObjectItem {
    /// An item with the full object and, if the binding has a jqFilter, its result.
    pub fn new(object: impl Into<ObjectJson>, filter_result: Option<Arc<Value>>) -> ObjectItem {
        ObjectItem {
            object: Some(object.into()),
            filter_result,
        }
    }

    /// The same item without `object`, for `keepFullObjectsInMemory: false`.
    pub fn without_object(self) -> ObjectItem {
        ObjectItem {
            object: None,
            ..self
        }
    }
}

/// upstream's `filterResult` from jq outputs: none gives `null`, one gives that value, several
/// give an array of them.
pub fn filter_result_from_outputs(mut outputs: Vec<Value>) -> Value {
    match outputs.len() {
        0 => Value::Null,
        1 => outputs.pop().unwrap_or(Value::Null),
        _ => Value::Array(outputs),
    }
}

/// Items of one binding, shared between all contexts of a run.
pub type Items = Arc<[ObjectItem]>;

/// `snapshots`: binding name to items. Keys are sorted, as Go's `encoding/json` sorts map keys.
pub type Snapshots = BTreeMap<String, Items>;

/// Builds `snapshots` with a key for every included binding name (in any order; keys are
/// sorted), reading each binding once. A binding `read` knows nothing about gives `[]`.
pub fn collect_snapshots<'a>(
    names: impl IntoIterator<Item = &'a str>,
    mut read: impl FnMut(&str) -> Option<Items>,
) -> Snapshots {
    let mut snapshots = Snapshots::new();
    for name in names {
        if !snapshots.contains_key(name) {
            let items = read(name).unwrap_or_else(|| Arc::from(Vec::new()));
            snapshots.insert(name.to_owned(), items);
        }
    }
    snapshots
}

/// A kubernetes watch event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchEvent {
    /// `Added` (v0: `add`)
    Added,
    /// `Modified` (v0: `update`)
    Modified,
    /// `Deleted` (v0: `delete`)
    Deleted,
}

impl WatchEvent {
    /// The v1 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEvent::Added => "Added",
            WatchEvent::Modified => "Modified",
            WatchEvent::Deleted => "Deleted",
        }
    }

    /// The v0 `resourceEvent` spelling.
    pub fn v0_str(self) -> &'static str {
        match self {
            WatchEvent::Added => "add",
            WatchEvent::Modified => "update",
            WatchEvent::Deleted => "delete",
        }
    }
}

/// What triggered the hook.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextEvent {
    /// `onStartup`.
    OnStartup,
    /// A schedule binding fired.
    Schedule,
    /// A kubernetes binding's initial list (`objects` sorted by namespace, then name).
    Synchronization {
        /// The binding's objects, read just before the run.
        objects: Items,
    },
    /// A kubernetes watch event.
    Event {
        /// Added, Modified or Deleted.
        watch_event: WatchEvent,
        /// The object as it was when the event happened.
        item: ObjectItem,
    },
    /// A validating admission request. `review` holds `{"request": ...}` only.
    Validating {
        /// The AdmissionReview without apiVersion/kind.
        review: Arc<Value>,
    },
    /// A mutating admission request. `review` holds `{"request": ...}` only.
    Mutating {
        /// The AdmissionReview without apiVersion/kind.
        review: Arc<Value>,
    },
    /// One step of a CRD conversion.
    Conversion {
        /// As spelled in the rule (may be a short version).
        from_version: String,
        /// As spelled in the rule.
        to_version: String,
        /// The ConversionReview with `request` only.
        review: Arc<Value>,
    },
    /// addon-operator ordered bindings (`beforeHelm`, `afterAll`, ...): `binding` and
    /// `snapshots` only.
    Lifecycle,
}

/// One binding context, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingContext {
    /// The binding name (`onStartup` for onStartup, `beforeHelm` for lifecycle bindings).
    pub binding: String,
    /// The binding's group, if any. Makes Schedule, Synchronization and Event contexts render
    /// as `Group` and drives group compaction when combining.
    pub group: Option<String>,
    /// `Some` when the binding includes snapshots (after the group merge), even if empty.
    pub snapshots: Option<Snapshots>,
    /// What happened.
    pub event: ContextEvent,
}

impl BindingContext {
    fn plain(binding: impl Into<String>, event: ContextEvent) -> BindingContext {
        BindingContext {
            binding: binding.into(),
            group: None,
            snapshots: None,
            event,
        }
    }

    /// `[{"binding":"onStartup"}]`.
    pub fn on_startup() -> BindingContext {
        BindingContext::plain("onStartup", ContextEvent::OnStartup)
    }

    /// A schedule binding fired.
    pub fn schedule(binding: impl Into<String>) -> BindingContext {
        BindingContext::plain(binding, ContextEvent::Schedule)
    }

    /// A kubernetes Synchronization.
    pub fn synchronization(binding: impl Into<String>, objects: Items) -> BindingContext {
        BindingContext::plain(binding, ContextEvent::Synchronization { objects })
    }

    /// A kubernetes Event.
    pub fn event(
        binding: impl Into<String>,
        watch_event: WatchEvent,
        item: ObjectItem,
    ) -> BindingContext {
        BindingContext::plain(binding, ContextEvent::Event { watch_event, item })
    }

    /// A validating admission request.
    pub fn validating(binding: impl Into<String>, review: Arc<Value>) -> BindingContext {
        BindingContext::plain(binding, ContextEvent::Validating { review })
    }

    /// A mutating admission request.
    pub fn mutating(binding: impl Into<String>, review: Arc<Value>) -> BindingContext {
        BindingContext::plain(binding, ContextEvent::Mutating { review })
    }

    /// A conversion step.
    pub fn conversion(
        binding: impl Into<String>,
        from_version: impl Into<String>,
        to_version: impl Into<String>,
        review: Arc<Value>,
    ) -> BindingContext {
        BindingContext::plain(
            binding,
            ContextEvent::Conversion {
                from_version: from_version.into(),
                to_version: to_version.into(),
                review,
            },
        )
    }

    /// An addon-operator lifecycle binding (`beforeHelm`, ...). Its snapshots hold every
    /// kubernetes binding of the hook, so they start as `{}`.
    pub fn lifecycle(binding: impl Into<String>) -> BindingContext {
        BindingContext {
            snapshots: Some(Snapshots::new()),
            ..BindingContext::plain(binding, ContextEvent::Lifecycle)
        }
    }

    /// Sets the group (`""` means none, as upstream).
    pub fn with_group(mut self, group: Option<impl Into<String>>) -> BindingContext {
        self.group = group.map(Into::into).filter(|g: &String| !g.is_empty());
        self
    }

    /// Sets the snapshots.
    pub fn with_snapshots(mut self, snapshots: Snapshots) -> BindingContext {
        self.snapshots = Some(snapshots);
        self
    }

    /// Whether this is a kubernetes Synchronization.
    pub fn is_synchronization(&self) -> bool {
        matches!(self.event, ContextEvent::Synchronization { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_result_is_null_one_value_or_an_array() {
        assert_eq!(filter_result_from_outputs(vec![]), Value::Null);
        assert_eq!(
            filter_result_from_outputs(vec![json!({"a": 1})]),
            json!({"a": 1})
        );
        assert_eq!(
            filter_result_from_outputs(vec![json!(1), json!(2)]),
            json!([1, 2])
        );
    }

    #[test]
    fn every_included_name_gets_a_key_and_each_binding_is_read_once() {
        let mut reads = Vec::new();
        let snapshots = collect_snapshots(["pods", "missing", "pods"], |name| {
            reads.push(name.to_owned());
            (name == "pods").then(|| Arc::from(vec![ObjectItem::default()]))
        });
        assert_eq!(reads, ["pods", "missing"]);
        assert_eq!(snapshots["pods"].len(), 1);
        assert!(snapshots["missing"].is_empty());
    }

    #[test]
    fn an_empty_group_name_means_no_group() {
        assert_eq!(
            BindingContext::schedule("s").with_group(Some("")).group,
            None
        );
        assert_eq!(
            BindingContext::schedule("s")
                .with_group(Some("g"))
                .group
                .as_deref(),
            Some("g")
        );
    }
}
