//! Bounded log of change events for watches that resume from a resourceVersion.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::Stored;
use crate::resources::StorageKey;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

/// One committed change.
#[derive(Debug)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// What happened.
    pub kind: EventKind,
    /// Which resource.
    pub storage: StorageKey,
    /// Namespace, empty for cluster scope.
    pub namespace: String,
    /// Name of the object.
    pub name: String,
    /// The object after the change (for deletes: the last state with the deletion's resourceVersion).
    pub object: Arc<Stored>,
    /// The object before the change, for selector transitions.
    pub previous: Option<Arc<Stored>>,
    /// Watch-stream lines of the object as stored, one per event type, built by the first watcher
    /// that needs one and shared by all others.
    lines: [OnceLock<Bytes>; 3],
}

/// The event types of watch-stream lines.
const LINE_TYPES: [&str; 3] = ["ADDED", "MODIFIED", "DELETED"];

impl Event {
    /// A change of `object` at `rv`.
    pub fn new(
        rv: u64,
        kind: EventKind,
        storage: StorageKey,
        namespace: String,
        name: String,
        object: Arc<Stored>,
        previous: Option<Arc<Stored>>,
    ) -> Self {
        Self {
            rv,
            kind,
            storage,
            namespace,
            name,
            object,
            previous,
            lines: Default::default(),
        }
    }

    /// The watch-stream line `{"type":<type>,"object":<object as stored>}` for `event_type`
    /// (`ADDED`, `MODIFIED` or `DELETED`), serialized once per event however many watchers send it.
    pub fn line(&self, event_type: &str) -> Bytes {
        let Some(slot) = LINE_TYPES.iter().position(|t| *t == event_type) else {
            return watch_line(event_type, self.object.json());
        };
        self.lines[slot]
            .get_or_init(|| watch_line(event_type, self.object.json()))
            .clone()
    }
}

/// One line of a watch stream around an object's JSON.
pub fn watch_line(event_type: &str, object: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(object.len() + event_type.len() + 24);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(event_type.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(object);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

/// The retained events.
#[derive(Debug)]
pub struct History {
    events: VecDeque<Arc<Event>>,
    capacity: usize,
    /// Every event with a resourceVersion above this is retained.
    compacted: u64,
}

impl History {
    /// Keeps up to `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            compacted: 0,
        }
    }

    /// Appends an event, dropping the oldest past capacity.
    pub fn push(&mut self, event: Arc<Event>) {
        if self.events.len() == self.capacity
            && let Some(old) = self.events.pop_front()
        {
            self.compacted = old.rv;
        }
        self.events.push_back(event);
    }

    /// Drops everything up to `rv`.
    pub fn forget(&mut self, rv: u64) {
        self.events.clear();
        self.compacted = self.compacted.max(rv);
    }

    /// The oldest resourceVersion a watch can resume from.
    pub fn compacted(&self) -> u64 {
        self.compacted
    }

    /// Events after `rv`, or `Err(oldest available)` when they were dropped.
    pub fn since(&self, rv: u64) -> Result<Vec<Arc<Event>>, u64> {
        if rv < self.compacted {
            return Err(self.compacted);
        }
        let start = self.events.partition_point(|e| e.rv <= rv);
        Ok(self.events.range(start..).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(rv: u64) -> Arc<Event> {
        Arc::new(Event::new(
            rv,
            EventKind::Added,
            StorageKey::new("", "configmaps"),
            String::new(),
            "a".to_owned(),
            Arc::new(Stored::new(
                &serde_json::json!({ "metadata": { "name": "a" } }),
            )),
            None,
        ))
    }

    #[test]
    fn watch_lines_wrap_the_stored_json_and_are_shared() {
        let e = event(1);
        let line = e.line("ADDED");
        assert_eq!(
            &line[..],
            b"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
        );
        assert_eq!(e.line("ADDED").as_ptr(), line.as_ptr());
        assert!(e.line("MODIFIED").starts_with(b"{\"type\":\"MODIFIED\""));
    }

    #[test]
    fn since_returns_only_newer_events() {
        let mut h = History::new(10);
        for rv in 1..=5 {
            h.push(event(rv));
        }
        let rvs: Vec<u64> = h.since(3).unwrap().iter().map(|e| e.rv).collect();
        assert_eq!(rvs, vec![4, 5]);
    }

    #[test]
    fn overflow_makes_old_versions_expire() {
        let mut h = History::new(2);
        for rv in 1..=4 {
            h.push(event(rv));
        }
        assert_eq!(h.since(1).unwrap_err(), 2);
        assert_eq!(h.since(2).unwrap().len(), 2);
    }
}
