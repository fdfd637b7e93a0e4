//! One started binding's view of its objects: filter results, checksums and the decision to emit events.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use binding_context::ObjectJson;
use jq_filter::JqFilter;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::event::{KubeEvent, ObjectKey, Snapshot, SnapshotItem};
use crate::spec::{BindingId, EventTypes, WatchEventType};
use crate::watch::WatchKey;

/// Time one object change took in a binding (for `kube_jq_filter_duration_seconds` and
/// `kube_event_duration_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTiming {
    /// The jq filter, when the binding has one.
    pub filter: Option<Duration>,
    /// The whole change: filter, checksum, cache update and the event decision.
    pub total: Duration,
}

/// One state of an object as a watch received it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observed<'a> {
    /// Parsed, for filters and checksums.
    pub(crate) value: &'a Value,
    /// Compact, when some subscriber of the watch keeps full objects (shared with its cache).
    pub(crate) full: Option<&'a ObjectJson>,
}

impl<'a> Observed<'a> {
    pub(crate) fn new(value: &'a Value, full: Option<&'a ObjectJson>) -> Self {
        Self { value, full }
    }
}

/// What the binding remembers about one object.
#[derive(Debug, Clone)]
struct Entry {
    object: Option<ObjectJson>,
    filter_result: Option<Value>,
    checksum: String,
}

/// State of a started binding, kept under the manager's lock.
pub(crate) struct BindingState {
    pub(crate) id: BindingId,
    filter: Option<JqFilter>,
    keep_full: bool,
    event_types: EventTypes,
    entries: BTreeMap<ObjectKey, Entry>,
    seq: u64,
    synced: bool,
    /// Watches whose initial list this binding still waits for.
    pub(crate) pending: BTreeSet<WatchKey>,
    /// Whether the namespace watcher has not finished its first list yet.
    pub(crate) namespaces_pending: bool,
    /// Every watch the binding is subscribed to.
    pub(crate) watches: BTreeSet<WatchKey>,
    /// Cancels the binding's own tasks (the namespace watcher).
    pub(crate) cancel: CancellationToken,
    /// Timings of object changes since the manager last took them.
    timings: Vec<EventTiming>,
}

impl BindingState {
    pub(crate) fn new(
        id: BindingId,
        filter: Option<JqFilter>,
        keep_full: bool,
        event_types: EventTypes,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            id,
            filter,
            keep_full,
            event_types,
            entries: BTreeMap::new(),
            seq: 0,
            synced: false,
            pending: BTreeSet::new(),
            timings: Vec::new(),
            namespaces_pending: false,
            watches: BTreeSet::new(),
            cancel,
        }
    }

    /// Whether the binding needs full objects from its watches.
    pub(crate) fn keep_full(&self) -> bool {
        self.keep_full
    }

    /// The timings recorded since the last call.
    pub(crate) fn take_timings(&mut self) -> Vec<EventTiming> {
        std::mem::take(&mut self.timings)
    }

    /// Records the current state of an object; returns the event to deliver, if any.
    pub(crate) fn apply(&mut self, key: &ObjectKey, object: Observed<'_>) -> Option<KubeEvent> {
        let started = Instant::now();
        let mut filter = None;
        let event = self.apply_timed(key, object, &mut filter);
        self.timings.push(EventTiming {
            filter,
            total: started.elapsed(),
        });
        event
    }

    fn apply_timed(
        &mut self,
        key: &ObjectKey,
        object: Observed<'_>,
        filter_time: &mut Option<Duration>,
    ) -> Option<KubeEvent> {
        let filter_started = Instant::now();
        let (filter_result, checksum) = match &self.filter {
            Some(filter) => match filter.apply(object.value).inspect(|_| {
                *filter_time = Some(filter_started.elapsed());
            }) {
                Ok(out) => (Some(out.result), out.checksum),
                Err(err) => {
                    tracing::error!(binding = %self.id, object = ?key, error = %error_report::Report(&err), "jqFilter failed, object ignored");
                    return None;
                }
            },
            None => (None, object_checksum(object.value)),
        };
        let event_type = match self.entries.get(key) {
            Some(old) if old.checksum == checksum => {
                // Same filter result: keep the newest object for snapshots, emit nothing.
                if self.keep_full
                    && let Some(entry) = self.entries.get_mut(key)
                {
                    entry.object = Some(full_object(object));
                }
                return None;
            }
            Some(_) => WatchEventType::Modified,
            None => WatchEventType::Added,
        };
        let entry = Entry {
            object: self.keep_full.then(|| full_object(object)),
            filter_result,
            checksum,
        };
        self.seq += 1;
        let event = self.event(event_type, key, &entry);
        self.entries.insert(key.clone(), entry);
        event
    }

    /// Records that an object is gone; `last` is its final state when the API server sent one.
    pub(crate) fn remove(
        &mut self,
        key: &ObjectKey,
        last: Option<Observed<'_>>,
    ) -> Option<KubeEvent> {
        let mut entry = self.entries.remove(key)?;
        if let Some(last) = last {
            if self.keep_full {
                entry.object = Some(full_object(last));
            }
            if let Some(filter) = &self.filter
                && let Ok(out) = filter.apply(last.value)
            {
                entry.filter_result = Some(out.result);
            }
        }
        self.seq += 1;
        self.event(WatchEventType::Deleted, key, &entry)
    }

    /// Drops objects silently (their namespace stopped matching), as upstream does.
    pub(crate) fn forget(&mut self, mut gone: impl FnMut(&ObjectKey) -> bool) {
        let before = self.entries.len();
        self.entries.retain(|k, _| !gone(k));
        if self.entries.len() != before {
            self.seq += 1;
        }
    }

    /// Marks the binding synchronized when nothing is pending; returns the Synchronization event once.
    pub(crate) fn try_synchronize(&mut self) -> Option<KubeEvent> {
        if self.synced || self.namespaces_pending || !self.pending.is_empty() {
            return None;
        }
        self.synced = true;
        Some(KubeEvent::Synchronization {
            binding_id: self.id.clone(),
            seq: self.seq,
        })
    }

    /// The objects sorted by namespace/name.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            items: self
                .entries
                .values()
                .map(|e| SnapshotItem {
                    object: e.object.clone(),
                    filter_result: e.filter_result.clone(),
                })
                .collect(),
            seq: self.seq,
        }
    }

    fn event(
        &self,
        watch_event: WatchEventType,
        key: &ObjectKey,
        entry: &Entry,
    ) -> Option<KubeEvent> {
        if !self.synced || !self.event_types.contains(watch_event) {
            return None;
        }
        Some(KubeEvent::Event {
            binding_id: self.id.clone(),
            watch_event,
            key: key.clone(),
            object: entry.object.clone(),
            filter_result: entry.filter_result.clone(),
            seq: self.seq,
        })
    }
}

/// The compact object the watch shares, or a copy of its own when the watch kept none.
fn full_object(object: Observed<'_>) -> ObjectJson {
    object
        .full
        .cloned()
        .unwrap_or_else(|| ObjectJson::from_value(object.value))
}

/// Checksum of a whole object, used when the binding has no jqFilter.
pub(crate) fn object_checksum(object: &Value) -> String {
    let bytes = serde_json::to_vec(object).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn binding(filter: Option<&str>, keep_full: bool, types: EventTypes) -> BindingState {
        let filter = filter.and_then(|f| JqFilter::compile(f).ok());
        let mut b = BindingState::new(
            BindingId::new("b"),
            filter,
            keep_full,
            types,
            CancellationToken::new(),
        );
        assert!(b.try_synchronize().is_some());
        b
    }

    fn pod(name: &str, labels: Value, phase: &str) -> (ObjectKey, Value) {
        let obj = json!({"metadata": {"namespace": "default", "name": name, "labels": labels}, "status": {"phase": phase}});
        (ObjectKey::of(&obj), obj)
    }

    fn seen(value: &Value) -> Observed<'_> {
        Observed::new(value, None)
    }

    fn kind(ev: Option<KubeEvent>) -> Option<WatchEventType> {
        match ev {
            Some(KubeEvent::Event { watch_event, .. }) => Some(watch_event),
            _ => None,
        }
    }

    #[test]
    fn a_status_change_is_swallowed_when_the_filter_result_is_unchanged() {
        let mut b = binding(Some(".metadata.labels"), true, EventTypes::ALL);
        let (k, v1) = pod("a", json!({"app": "x"}), "Pending");
        assert_eq!(kind(b.apply(&k, seen(&v1))), Some(WatchEventType::Added));
        let (_, v2) = pod("a", json!({"app": "x"}), "Running");
        assert_eq!(kind(b.apply(&k, seen(&v2))), None);
        // The snapshot still shows the newest object.
        let newest = b.snapshot().items[0]
            .object
            .as_ref()
            .map(ObjectJson::to_value);
        assert_eq!(newest, Some(v2));
        let (_, v3) = pod("a", json!({"app": "y"}), "Running");
        assert_eq!(kind(b.apply(&k, seen(&v3))), Some(WatchEventType::Modified));
        assert_eq!(kind(b.remove(&k, None)), Some(WatchEventType::Deleted));
    }

    #[test]
    fn without_a_filter_any_change_of_the_object_is_modified() {
        let mut b = binding(None, true, EventTypes::ALL);
        let (k, v1) = pod("a", json!({}), "Pending");
        b.apply(&k, seen(&v1));
        let (_, v2) = pod("a", json!({}), "Running");
        assert_eq!(kind(b.apply(&k, seen(&v2))), Some(WatchEventType::Modified));
        assert_eq!(kind(b.apply(&k, seen(&v2))), None);
    }

    #[test]
    fn unsubscribed_event_types_still_update_the_snapshot() {
        let mut b = binding(None, true, EventTypes::from_types(&[WatchEventType::Added]));
        let (k, v1) = pod("a", json!({}), "Pending");
        assert_eq!(kind(b.apply(&k, seen(&v1))), Some(WatchEventType::Added));
        assert_eq!(kind(b.remove(&k, Some(seen(&v1)))), None);
        assert!(b.snapshot().items.is_empty());
        assert_eq!(b.snapshot().seq, 2);
    }

    #[test]
    fn without_full_objects_only_the_filter_result_is_kept() {
        let mut b = binding(Some(".metadata.name"), false, EventTypes::ALL);
        let (k, v1) = pod("a", json!({}), "Pending");
        match b.apply(&k, seen(&v1)) {
            Some(KubeEvent::Event {
                object,
                filter_result,
                ..
            }) => {
                assert_eq!(object, None);
                assert_eq!(filter_result, Some(json!("a")));
            }
            other => panic!("unexpected {other:?}"),
        }
        let snap = b.snapshot();
        assert_eq!(
            snap.items,
            vec![SnapshotItem {
                object: None,
                filter_result: Some(json!("a"))
            }]
        );
    }

    #[test]
    fn deleted_carries_the_last_state_sent_by_the_server() {
        let mut b = binding(Some(".metadata.labels"), true, EventTypes::ALL);
        let (k, v1) = pod("a", json!({"app": "x"}), "Pending");
        b.apply(&k, seen(&v1));
        let (_, last) = pod("a", json!({"app": "z"}), "Succeeded");
        match b.remove(&k, Some(seen(&last))) {
            Some(KubeEvent::Event {
                object,
                filter_result,
                watch_event,
                ..
            }) => {
                assert_eq!(watch_event, WatchEventType::Deleted);
                assert_eq!(object.map(|o| o.to_value()), Some(last));
                assert_eq!(filter_result, Some(json!({"app": "z"})));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nothing_is_emitted_before_synchronization_and_sync_is_emitted_once() {
        let mut b = BindingState::new(
            BindingId::new("b"),
            None,
            true,
            EventTypes::ALL,
            CancellationToken::new(),
        );
        b.namespaces_pending = true;
        let (k, v1) = pod("a", json!({}), "Pending");
        assert!(b.apply(&k, seen(&v1)).is_none());
        assert!(b.try_synchronize().is_none());
        b.namespaces_pending = false;
        assert_eq!(
            b.try_synchronize(),
            Some(KubeEvent::Synchronization {
                binding_id: BindingId::new("b"),
                seq: 1
            })
        );
        assert!(b.try_synchronize().is_none());
    }

    #[test]
    fn forgetting_objects_emits_nothing_and_sorts_remaining_by_namespace_and_name() {
        let mut b = binding(Some(".metadata.name"), false, EventTypes::ALL);
        for (ns, name) in [("b", "1"), ("a", "2"), ("a", "1"), ("c", "0")] {
            let obj = json!({"metadata": {"namespace": ns, "name": name}});
            b.apply(&ObjectKey::of(&obj), seen(&obj));
        }
        b.forget(|k| k.namespace == "c");
        let names: Vec<_> = b
            .snapshot()
            .items
            .into_iter()
            .filter_map(|i| i.filter_result)
            .collect();
        assert_eq!(names, vec![json!("1"), json!("2"), json!("1")]);
    }
}
