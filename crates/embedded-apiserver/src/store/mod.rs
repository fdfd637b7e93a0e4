//! The object store: every object as JSON, one cluster-wide resourceVersion, and the change history.

mod history;
mod object;
mod txn;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;
use tokio::sync::{Notify, broadcast};

pub use history::{Event, EventKind, History, watch_line};
pub use object::Stored;
pub use txn::Txn;

use crate::observer::{Commit, CommitObserver};
use crate::resources::{Registry, StorageKey};

/// Objects of one resource, keyed by namespace (empty for cluster scope) and name.
pub type Table = BTreeMap<(String, String), Arc<Stored>>;

/// Everything guarded by the store lock.
#[derive(Debug)]
pub struct State {
    /// The latest resourceVersion handed out.
    pub rv: u64,
    /// Objects per resource.
    pub tables: HashMap<StorageKey, Table>,
    /// Recent changes, for watches resuming from a resourceVersion.
    pub history: History,
    /// Served resource types, extended by CRDs.
    pub registry: Registry,
}

impl State {
    /// The objects of one resource, if any were ever stored.
    pub fn table(&self, key: &StorageKey) -> Option<&Table> {
        self.tables.get(key)
    }

    /// One object as stored.
    pub fn stored(&self, key: &StorageKey, namespace: &str, name: &str) -> Option<&Arc<Stored>> {
        self.tables
            .get(key)
            .and_then(|t| t.get(&(namespace.to_owned(), name.to_owned())))
    }

    /// One object, parsed.
    pub fn get(&self, key: &StorageKey, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.stored(key, namespace, name)
            .map(|s| Arc::new(s.value()))
    }
}

/// The shared store.
#[derive(Debug)]
pub struct Store {
    state: RwLock<State>,
    events: broadcast::Sender<Arc<Event>>,
    /// Woken when a write may need background work (finalizers, GC, namespace and CRD cleanup).
    pub controller_wakeup: Notify,
    observer: Option<Arc<dyn CommitObserver>>,
}

impl Store {
    /// An empty store keeping `history` events.
    #[cfg(test)]
    pub fn new(history: usize) -> Self {
        Self::with_observer(history, None)
    }

    /// An empty store keeping `history` events, telling `observer` about every commit.
    pub fn with_observer(history: usize, observer: Option<Arc<dyn CommitObserver>>) -> Self {
        let (events, _) = broadcast::channel(history.clamp(1024, 65_536));
        Self {
            state: RwLock::new(State {
                rv: 0,
                tables: HashMap::new(),
                history: History::new(history),
                registry: Registry::builtin(),
            }),
            events,
            controller_wakeup: Notify::new(),
            observer,
        }
    }

    /// Runs `f` with shared access.
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let guard = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// Runs `f` with exclusive access, then publishes the changes it made.
    pub fn write<R>(&self, f: impl FnOnce(&mut Txn<'_>) -> R) -> R {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let mut txn = Txn::new(&mut guard);
        let out = f(&mut txn);
        let (events, wake) = txn.finish();
        for event in events {
            if let Some(observer) = &self.observer {
                observer.committed(&Commit {
                    resource_version: event.rv,
                    kind: event.kind,
                    group: &event.storage.group,
                    resource: &event.storage.plural,
                    namespace: &event.namespace,
                    name: &event.name,
                });
            }
            guard.history.push(event.clone());
            // No receivers is fine: nobody is watching.
            let _ = self.events.send(event);
        }
        drop(guard);
        if wake {
            self.controller_wakeup.notify_one();
        }
        out
    }

    /// Subscribes to changes while looking at the state, so nothing falls between the two.
    pub fn subscribe<R>(
        &self,
        f: impl FnOnce(&State) -> R,
    ) -> (broadcast::Receiver<Arc<Event>>, R) {
        let guard = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let rx = self.events.subscribe();
        let out = f(&guard);
        (rx, out)
    }

    /// Drops all retained history: watches from any older resourceVersion get 410 Gone.
    pub fn forget_history(&self) {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let rv = guard.rv;
        guard.history.forget(rv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm() -> StorageKey {
        StorageKey::new("", "configmaps")
    }

    #[test]
    fn writes_bump_one_cluster_wide_resource_version() {
        let store = Store::new(100);
        let a = store.write(|t| t.put(&cm(), "ns", "a", json!({ "metadata": { "name": "a" } })));
        let b = store.write(|t| {
            t.put(
                &StorageKey::new("", "secrets"),
                "ns",
                "b",
                json!({ "metadata": { "name": "b" } }),
            )
        });
        assert_eq!(a["metadata"]["resourceVersion"], "1");
        assert_eq!(b["metadata"]["resourceVersion"], "2");
        assert_eq!(store.read(|s| s.rv), 2);
    }

    #[test]
    fn subscribers_see_added_modified_deleted_in_order() {
        let store = Store::new(100);
        let (mut rx, ()) = store.subscribe(|_| ());
        store.write(|t| t.put(&cm(), "ns", "a", json!({ "metadata": { "name": "a" } })));
        store.write(|t| {
            t.put(
                &cm(),
                "ns",
                "a",
                json!({ "metadata": { "name": "a" }, "data": {} }),
            )
        });
        store.write(|t| t.remove(&cm(), "ns", "a"));
        let kinds: Vec<EventKind> = (0..3).map(|_| rx.try_recv().unwrap().kind).collect();
        assert_eq!(
            kinds,
            vec![EventKind::Added, EventKind::Modified, EventKind::Deleted]
        );
    }

    #[test]
    fn deleted_event_carries_a_new_resource_version() {
        let store = Store::new(100);
        store.write(|t| t.put(&cm(), "ns", "a", json!({ "metadata": { "name": "a" } })));
        let gone = store.write(|t| t.remove(&cm(), "ns", "a")).unwrap();
        assert_eq!(gone["metadata"]["resourceVersion"], "2");
    }

    #[derive(Debug, Default)]
    struct Recorder(std::sync::Mutex<Vec<(u64, EventKind, String)>>);

    impl CommitObserver for Recorder {
        fn committed(&self, commit: &Commit<'_>) {
            self.0.lock().unwrap().push((
                commit.resource_version,
                commit.kind,
                format!("{}/{}/{}", commit.resource, commit.namespace, commit.name),
            ));
        }
    }

    #[test]
    fn the_commit_observer_sees_every_change_in_resource_version_order() {
        let recorder = Arc::new(Recorder::default());
        let store = Store::with_observer(100, Some(recorder.clone()));
        store.write(|t| {
            t.put(&cm(), "ns", "a", json!({ "metadata": { "name": "a" } }));
            t.put(&cm(), "ns", "b", json!({ "metadata": { "name": "b" } }));
        });
        store.write(|t| t.remove(&cm(), "ns", "a"));
        assert_eq!(
            *recorder.0.lock().unwrap(),
            vec![
                (1, EventKind::Added, "configmaps/ns/a".to_owned()),
                (2, EventKind::Added, "configmaps/ns/b".to_owned()),
                (3, EventKind::Deleted, "configmaps/ns/a".to_owned()),
            ]
        );
    }

    #[test]
    fn forgetting_history_moves_the_compaction_point_to_now() {
        let store = Store::new(100);
        store.write(|t| t.put(&cm(), "ns", "a", json!({ "metadata": { "name": "a" } })));
        store.forget_history();
        assert_eq!(store.read(|s| s.history.since(0).map(|v| v.len())), Err(1));
        assert_eq!(store.read(|s| s.history.since(1).map(|v| v.len())), Ok(0));
    }
}
