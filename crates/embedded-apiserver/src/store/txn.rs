//! One atomic batch of writes under the store lock.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Event, EventKind, State, Stored};
use crate::crds;
use crate::resources::StorageKey;

/// Exclusive access to the store; changes become events when the transaction ends.
pub struct Txn<'a> {
    state: &'a mut State,
    events: Vec<Arc<Event>>,
    wake_controller: bool,
}

impl<'a> Txn<'a> {
    pub(super) fn new(state: &'a mut State) -> Self {
        Self {
            state,
            events: Vec::new(),
            wake_controller: false,
        }
    }

    pub(super) fn finish(self) -> (Vec<Arc<Event>>, bool) {
        (self.events, self.wake_controller)
    }

    /// Read access to everything.
    pub fn state(&self) -> &State {
        self.state
    }

    /// One object, parsed.
    pub fn get(&self, key: &StorageKey, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.state.get(key, namespace, name)
    }

    /// One object as stored.
    pub fn stored(&self, key: &StorageKey, namespace: &str, name: &str) -> Option<&Arc<Stored>> {
        self.state.stored(key, namespace, name)
    }

    /// The resourceVersion the next write gets.
    pub fn next_rv(&self) -> u64 {
        self.state.rv + 1
    }

    /// Stores `obj` with a new resourceVersion, or removes it when its deletion is complete
    /// (it has a deletionTimestamp and no finalizers left).
    pub fn put(
        &mut self,
        key: &StorageKey,
        namespace: &str,
        name: &str,
        mut obj: Value,
    ) -> Arc<Value> {
        if deletion_complete(key, &obj) {
            self.state.tables.entry(key.clone()).or_default().insert(
                (namespace.to_owned(), name.to_owned()),
                Arc::new(Stored::new(&obj)),
            );
            if let Some(gone) = self.remove(key, namespace, name) {
                return gone;
            }
        }
        self.state.rv += 1;
        let rv = self.state.rv;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".to_owned(), json!(rv.to_string()));
        }
        if needs_controller(&obj) {
            self.wake_controller = true;
        }
        let stored = Arc::new(Stored::new(&obj));
        let previous = self
            .state
            .tables
            .entry(key.clone())
            .or_default()
            .insert((namespace.to_owned(), name.to_owned()), stored.clone());
        if crds::is_crd(key) {
            crds::sync_registry(&mut self.state.registry, &obj);
            self.wake_controller = true;
        }
        let kind = if previous.is_some() {
            EventKind::Modified
        } else {
            EventKind::Added
        };
        self.events.push(Arc::new(Event::new(
            rv,
            kind,
            key.clone(),
            namespace.to_owned(),
            name.to_owned(),
            stored,
            previous,
        )));
        Arc::new(obj)
    }

    /// Removes an object; the returned copy carries the deletion's resourceVersion.
    pub fn remove(&mut self, key: &StorageKey, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let table = self.state.tables.get_mut(key)?;
        let previous = table.remove(&(namespace.to_owned(), name.to_owned()))?;
        self.state.rv += 1;
        let rv = self.state.rv;
        let mut last = previous.value();
        if let Some(meta) = last.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".to_owned(), json!(rv.to_string()));
        }
        if crds::is_crd(key) {
            crds::unregister(&mut self.state.registry, &last);
        }
        self.wake_controller = true;
        self.events.push(Arc::new(Event::new(
            rv,
            EventKind::Deleted,
            key.clone(),
            namespace.to_owned(),
            name.to_owned(),
            Arc::new(Stored::new(&last)),
            Some(previous),
        )));
        Some(Arc::new(last))
    }
}

/// Whether a write of this object needs the background controller to look at it.
fn needs_controller(obj: &Value) -> bool {
    let meta = &obj["metadata"];
    !meta["deletionTimestamp"].is_null()
        || meta["ownerReferences"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
}

/// Whether an object being deleted has no finalizers left.
pub fn deletion_complete(key: &StorageKey, obj: &Value) -> bool {
    let meta = &obj["metadata"];
    if meta["deletionTimestamp"].is_null() {
        return false;
    }
    let no_meta_finalizers = meta["finalizers"].as_array().is_none_or(Vec::is_empty);
    let no_spec_finalizers = key.group.is_empty() && key.plural == "namespaces" && {
        obj.pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    let is_namespace = key.group.is_empty() && key.plural == "namespaces";
    no_meta_finalizers && (!is_namespace || no_spec_finalizers)
}
