//! The manager's state: shared watches and started bindings, and how watch events and re-lists change them.
//!
//! Pure and synchronous: the manager holds it under one lock, applies changes, and queues the resulting
//! events before unlocking, so events leave in the order the state changed.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use binding_context::ObjectJson;
use kube::runtime::watcher::Event;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::binding::{BindingState, EventTiming, Observed};
use crate::event::{KubeEvent, ObjectKey, Snapshot};
use crate::spec::BindingId;
use crate::watch::{WatchKey, WatchState};

/// What the caller must do after a subscription.
#[derive(Debug)]
pub(crate) enum Subscribed {
    /// A new watch: spawn its task.
    Spawn {
        restart: Arc<Notify>,
        cancel: CancellationToken,
    },
    /// The watch exists but has no objects to share: it was asked to re-list.
    Relisting,
    /// Nothing to do.
    Ready,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) watches: HashMap<WatchKey, WatchState>,
    pub(crate) bindings: HashMap<BindingId, BindingState>,
}

impl State {
    /// Takes the timings the subscribers of watch `key` recorded.
    pub(crate) fn take_timings(&mut self, key: &WatchKey) -> Vec<(BindingId, EventTiming)> {
        let Some(watch) = self.watches.get(key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in &watch.subscribers {
            if let Some(b) = self.bindings.get_mut(id) {
                out.extend(b.take_timings().into_iter().map(|t| (id.clone(), t)));
            }
        }
        out
    }
}

impl State {
    /// Applies one watcher event of watch `key`, pushing the events bindings must see to `out`.
    pub(crate) fn on_event(
        &mut self,
        key: &WatchKey,
        event: Event<Value>,
        out: &mut Vec<KubeEvent>,
    ) {
        let Some(watch) = self.watches.get_mut(key) else {
            return;
        };
        match event {
            Event::Apply(object) => {
                let okey = ObjectKey::of(&object);
                let full = watch.keep_full.then(|| ObjectJson::from_value(&object));
                let seen = Observed::new(&object, full.as_ref());
                for id in &watch.subscribers {
                    if let Some(b) = self.bindings.get_mut(id) {
                        out.extend(b.apply(&okey, seen));
                    }
                }
                watch.objects.insert(okey, full);
            }
            Event::Delete(object) => {
                let okey = ObjectKey::of(&object);
                watch.objects.remove(&okey);
                let full = watch.keep_full.then(|| ObjectJson::from_value(&object));
                let seen = Observed::new(&object, full.as_ref());
                for id in &watch.subscribers {
                    if let Some(b) = self.bindings.get_mut(id) {
                        out.extend(b.remove(&okey, Some(seen)));
                    }
                }
            }
            Event::Init => watch.relist = Some(Vec::new()),
            Event::InitApply(object) => watch
                .relist
                .get_or_insert_with(Vec::new)
                .push((ObjectKey::of(&object), ObjectJson::from_value(&object))),
            Event::InitDone => {
                let listed = watch.relist.take().unwrap_or_default();
                let fresh: BTreeSet<&ObjectKey> = listed.iter().map(|(k, _)| k).collect();
                // Objects that vanished while the watch was broken: Deleted with their cached state.
                let gone: Vec<(ObjectKey, Option<ObjectJson>)> = watch
                    .objects
                    .iter()
                    .filter(|(k, _)| !fresh.contains(k))
                    .map(|(k, o)| (k.clone(), o.clone()))
                    .collect();
                for (okey, last) in gone {
                    watch.objects.remove(&okey);
                    let value = last.as_ref().map(ObjectJson::to_value);
                    let seen = value.as_ref().map(|v| Observed::new(v, last.as_ref()));
                    for id in &watch.subscribers {
                        if let Some(b) = self.bindings.get_mut(id) {
                            out.extend(b.remove(&okey, seen));
                        }
                    }
                }
                // Everything listed: each binding's checksum decides Added, Modified or nothing.
                // One object is parsed at a time.
                for (okey, json) in listed {
                    let value = json.to_value();
                    let full = watch.keep_full.then_some(json);
                    let seen = Observed::new(&value, full.as_ref());
                    for id in &watch.subscribers {
                        if let Some(b) = self.bindings.get_mut(id) {
                            out.extend(b.apply(&okey, seen));
                        }
                    }
                    watch.objects.insert(okey, full);
                }
                watch.synced = true;
                for id in &watch.subscribers {
                    if let Some(b) = self.bindings.get_mut(id) {
                        b.pending.remove(key);
                        out.extend(b.try_synchronize());
                    }
                }
            }
        }
    }

    /// Subscribes a started binding to watch `key`, creating the watch when it is new.
    pub(crate) fn subscribe(
        &mut self,
        id: &BindingId,
        key: WatchKey,
        root: &CancellationToken,
        out: &mut Vec<KubeEvent>,
    ) -> Subscribed {
        let Some(b) = self.bindings.get_mut(id) else {
            return Subscribed::Ready;
        };
        if !b.watches.insert(key.clone()) {
            return Subscribed::Ready;
        }
        match self.watches.entry(key.clone()) {
            MapEntry::Vacant(slot) => {
                let mut watch = WatchState::new(root.child_token());
                watch.keep_full = b.keep_full();
                watch.subscribers.insert(id.clone());
                let spawned = Subscribed::Spawn {
                    restart: Arc::clone(&watch.restart),
                    cancel: watch.cancel.clone(),
                };
                slot.insert(watch);
                b.pending.insert(key);
                spawned
            }
            MapEntry::Occupied(mut slot) => {
                let watch = slot.get_mut();
                watch.subscribers.insert(id.clone());
                if !watch.synced {
                    watch.keep_full |= b.keep_full();
                    b.pending.insert(key);
                    return Subscribed::Ready;
                }
                let cached: Option<Vec<(ObjectKey, ObjectJson)>> = watch
                    .objects
                    .iter()
                    .map(|(k, o)| o.as_ref().map(|o| (k.clone(), o.clone())))
                    .collect();
                match cached {
                    Some(objects) => {
                        for (okey, object) in objects {
                            let value = object.to_value();
                            out.extend(b.apply(&okey, Observed::new(&value, Some(&object))));
                        }
                        out.extend(b.try_synchronize());
                        Subscribed::Ready
                    }
                    None => {
                        // The cache holds keys only: list again to give the new binding the objects.
                        watch.keep_full |= b.keep_full();
                        b.pending.insert(key);
                        watch.restart.notify_one();
                        Subscribed::Relisting
                    }
                }
            }
        }
    }

    /// Unsubscribes a binding from watch `key`; the watch stops when nobody uses it any more.
    pub(crate) fn unsubscribe(&mut self, id: &BindingId, key: &WatchKey) {
        if let Some(b) = self.bindings.get_mut(id) {
            b.watches.remove(key);
            b.pending.remove(key);
        }
        let MapEntry::Occupied(mut slot) = self.watches.entry(key.clone()) else {
            return;
        };
        let watch = slot.get_mut();
        watch.subscribers.remove(id);
        if watch.subscribers.is_empty() {
            watch.cancel.cancel();
            slot.remove();
            return;
        }
        let keep_full = watch
            .subscribers
            .iter()
            .any(|s| self.bindings.get(s).is_some_and(BindingState::keep_full));
        if watch.keep_full && !keep_full {
            watch.keep_full = false;
            for object in watch.objects.values_mut() {
                *object = None;
            }
        }
    }

    /// Stops a binding: unsubscribes it everywhere and cancels its own tasks.
    pub(crate) fn remove_binding(&mut self, id: &BindingId) -> bool {
        let Some(b) = self.bindings.get(id) else {
            return false;
        };
        let keys: Vec<WatchKey> = b.watches.iter().cloned().collect();
        for key in &keys {
            self.unsubscribe(id, key);
        }
        if let Some(b) = self.bindings.remove(id) {
            b.cancel.cancel();
        }
        true
    }

    /// A namespace stopped matching: its objects leave the binding without Deleted events.
    pub(crate) fn drop_namespace(
        &mut self,
        id: &BindingId,
        namespace: &str,
        out: &mut Vec<KubeEvent>,
    ) {
        let Some(b) = self.bindings.get(id) else {
            return;
        };
        let keys: Vec<WatchKey> = b
            .watches
            .iter()
            .filter(|k| k.namespace == namespace)
            .cloned()
            .collect();
        for key in &keys {
            self.unsubscribe(id, key);
        }
        if let Some(b) = self.bindings.get_mut(id) {
            b.forget(|k| k.namespace == namespace);
            out.extend(b.try_synchronize());
        }
    }

    /// The namespace watcher of a binding finished its first list.
    pub(crate) fn namespaces_listed(&mut self, id: &BindingId, out: &mut Vec<KubeEvent>) {
        if let Some(b) = self.bindings.get_mut(id) {
            b.namespaces_pending = false;
            out.extend(b.try_synchronize());
        }
    }

    /// Re-checks whether a binding is synchronized (after subscriptions that needed no listing).
    pub(crate) fn check_synchronized(&mut self, id: &BindingId, out: &mut Vec<KubeEvent>) {
        if let Some(b) = self.bindings.get_mut(id) {
            out.extend(b.try_synchronize());
        }
    }

    pub(crate) fn snapshot(&self, id: &BindingId) -> Option<Snapshot> {
        self.bindings.get(id).map(BindingState::snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::EventTypes;
    use serde_json::json;

    fn key() -> WatchKey {
        WatchKey {
            group: String::new(),
            version: "v1".into(),
            plural: "configmaps".into(),
            namespace: String::new(),
            labels: String::new(),
            fields: String::new(),
        }
    }

    fn cm(name: &str, data: &str) -> Value {
        json!({"metadata": {"namespace": "ns", "name": name}, "data": {"x": data}})
    }

    fn state_with(bindings: &[(&str, bool)]) -> (State, Vec<KubeEvent>) {
        let mut state = State::default();
        let root = CancellationToken::new();
        let mut out = Vec::new();
        for (id, keep_full) in bindings {
            let id = BindingId::new(id);
            state.bindings.insert(
                id.clone(),
                BindingState::new(
                    id.clone(),
                    None,
                    *keep_full,
                    EventTypes::ALL,
                    CancellationToken::new(),
                ),
            );
            state.subscribe(&id, key(), &root, &mut out);
        }
        (state, out)
    }

    fn list(state: &mut State, objects: Vec<Value>) -> Vec<KubeEvent> {
        let mut out = Vec::new();
        state.on_event(&key(), Event::Init, &mut out);
        for o in objects {
            state.on_event(&key(), Event::InitApply(o), &mut out);
        }
        state.on_event(&key(), Event::InitDone, &mut out);
        out
    }

    fn summary(events: &[KubeEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                KubeEvent::Synchronization { binding_id, .. } => format!("{binding_id}:Sync"),
                KubeEvent::Event {
                    binding_id,
                    watch_event,
                    key,
                    ..
                } => {
                    format!("{binding_id}:{}:{}", watch_event.as_str(), key.name)
                }
            })
            .collect()
    }

    #[test]
    fn the_first_list_synchronizes_every_subscriber_without_events() {
        let (mut state, out) = state_with(&[("a", true), ("b", false)]);
        assert!(out.is_empty());
        let out = list(&mut state, vec![cm("x", "1"), cm("y", "1")]);
        assert_eq!(summary(&out), ["a:Sync", "b:Sync"]);
        assert_eq!(
            state.snapshot(&BindingId::new("a")).map(|s| s.items.len()),
            Some(2)
        );
    }

    #[test]
    fn a_relist_emits_exactly_the_difference_with_the_cache() {
        let (mut state, _) = state_with(&[("a", true)]);
        list(
            &mut state,
            vec![cm("keep", "1"), cm("change", "1"), cm("gone", "1")],
        );
        let out = list(
            &mut state,
            vec![cm("keep", "1"), cm("change", "2"), cm("new", "1")],
        );
        assert_eq!(
            summary(&out),
            ["a:Deleted:gone", "a:Modified:change", "a:Added:new"]
        );
        // The Deleted event carries the cached last state.
        let KubeEvent::Event { object, .. } = &out[0] else {
            panic!("not an event")
        };
        let last = object.as_ref().map(ObjectJson::to_value);
        assert_eq!(last, Some(cm("gone", "1")));
        // Listing the same again changes nothing.
        let out = list(
            &mut state,
            vec![cm("keep", "1"), cm("change", "2"), cm("new", "1")],
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_binding_joining_a_synced_watch_is_synchronized_from_the_shared_cache() {
        let (mut state, _) = state_with(&[("a", true)]);
        list(&mut state, vec![cm("x", "1")]);
        let id = BindingId::new("late");
        state.bindings.insert(
            id.clone(),
            BindingState::new(
                id.clone(),
                None,
                true,
                EventTypes::ALL,
                CancellationToken::new(),
            ),
        );
        let mut out = Vec::new();
        let sub = state.subscribe(&id, key(), &CancellationToken::new(), &mut out);
        assert!(matches!(sub, Subscribed::Ready));
        assert_eq!(summary(&out), ["late:Sync"]);
        // Both bindings hold the same allocation as the watch cache.
        let a = state
            .snapshot(&BindingId::new("a"))
            .and_then(|s| s.items[0].object.clone());
        let late = state.snapshot(&id).and_then(|s| s.items[0].object.clone());
        assert!(matches!((a, late), (Some(a), Some(l)) if a.same_text(&l)));
    }

    #[test]
    fn a_binding_joining_a_keys_only_watch_triggers_a_relist() {
        let (mut state, _) = state_with(&[("a", false)]);
        list(&mut state, vec![cm("x", "1")]);
        let id = BindingId::new("late");
        state.bindings.insert(
            id.clone(),
            BindingState::new(
                id.clone(),
                None,
                true,
                EventTypes::ALL,
                CancellationToken::new(),
            ),
        );
        let mut out = Vec::new();
        let sub = state.subscribe(&id, key(), &CancellationToken::new(), &mut out);
        assert!(matches!(sub, Subscribed::Relisting));
        assert!(out.is_empty());
        let out = list(&mut state, vec![cm("x", "1")]);
        assert_eq!(summary(&out), ["late:Sync"]);
    }

    #[test]
    fn unsubscribing_the_last_full_object_binding_drops_cached_objects() {
        let (mut state, _) = state_with(&[("a", true), ("b", false)]);
        list(&mut state, vec![cm("x", "1")]);
        state.remove_binding(&BindingId::new("a"));
        assert!(
            state
                .watches
                .get(&key())
                .is_some_and(|w| w.objects.values().all(Option::is_none))
        );
        state.remove_binding(&BindingId::new("b"));
        assert!(state.watches.is_empty());
    }

    #[test]
    fn watch_events_after_sync_reach_every_subscriber() {
        let (mut state, _) = state_with(&[("a", true), ("b", true)]);
        list(&mut state, vec![]);
        let mut out = Vec::new();
        state.on_event(&key(), Event::Apply(cm("x", "1")), &mut out);
        state.on_event(&key(), Event::Apply(cm("x", "1")), &mut out);
        state.on_event(&key(), Event::Delete(cm("x", "1")), &mut out);
        assert_eq!(
            summary(&out),
            ["a:Added:x", "b:Added:x", "a:Deleted:x", "b:Deleted:x"]
        );
    }
}
