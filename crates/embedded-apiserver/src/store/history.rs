//! Bounded log of change events for watches that resume from a resourceVersion.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::Value;

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
    /// The object after the change (for deletes: the last state with the deletion's resourceVersion).
    pub object: Arc<Value>,
    /// The object before the change, for selector transitions.
    pub previous: Option<Arc<Value>>,
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
        Arc::new(Event {
            rv,
            kind: EventKind::Added,
            storage: StorageKey::new("", "configmaps"),
            namespace: String::new(),
            object: Arc::new(Value::Null),
            previous: None,
        })
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
