//! `TaskQueue`: an ordered task list with O(1) push/pop and per-key chains for combining and
//! emergency compaction.
//!
//! Tasks live in a slab of doubly linked nodes. Besides the queue order every node with a
//! combine key is also linked into its key's chain, so combining touches only the tasks it
//! merges and compaction touches only the tasks of the one key (never the whole queue).

use std::collections::HashMap;

use crate::task::{MergeReason, QueueTask};

/// Upstream compacts a key once it has this many tasks queued and the queue is longer than it.
pub const DEFAULT_COMPACTION_THRESHOLD: usize = 100;

/// What an emergency compaction did, for logs and the compaction metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction<K> {
    /// The key whose tasks were merged.
    pub key: K,
    /// How many tasks were merged into the first one (and removed from the queue).
    pub merged: usize,
}

/// A FIFO of tasks; see the module docs.
pub struct TaskQueue<T: QueueTask> {
    slots: Vec<Slot<T>>,
    free: Option<usize>,
    head: Option<usize>,
    tail: Option<usize>,
    len: usize,
    keys: HashMap<T::Key, Chain>,
    compaction_threshold: usize,
    visits: u64,
}

enum Slot<T: QueueTask> {
    Used(Node<T>),
    Free(Option<usize>),
}

struct Node<T: QueueTask> {
    task: T,
    key: Option<T::Key>,
    prev: Option<usize>,
    next: Option<usize>,
    key_prev: Option<usize>,
    key_next: Option<usize>,
}

#[derive(Clone, Copy)]
struct Chain {
    first: usize,
    last: usize,
    len: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Front,
    Back,
}

impl<T: QueueTask> Default for TaskQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: QueueTask> TaskQueue<T> {
    /// An empty queue with the upstream compaction threshold (100).
    pub fn new() -> Self {
        Self::with_compaction_threshold(DEFAULT_COMPACTION_THRESHOLD)
    }

    /// An empty queue that compacts a key once `threshold` of its tasks are queued.
    pub fn with_compaction_threshold(threshold: usize) -> Self {
        Self {
            slots: Vec::new(),
            free: None,
            head: None,
            tail: None,
            len: 0,
            keys: HashMap::new(),
            compaction_threshold: threshold.max(2),
            visits: 0,
        }
    }

    /// Number of queued tasks.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no task is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of queued tasks with this combine key.
    pub fn key_count(&self, key: &T::Key) -> usize {
        self.keys.get(key).map_or(0, |c| c.len)
    }

    /// How many nodes were visited by combining and compaction so far: the structural cost
    /// measure tests use to prove that no operation rescans the queue.
    pub fn visits(&self) -> u64 {
        self.visits
    }

    /// The head task, if any.
    pub fn front(&self) -> Option<&T> {
        self.head.and_then(|i| self.node(i)).map(|n| &n.task)
    }

    /// Adds a task at the head (a follow-up task that must run next).
    pub fn push_front(&mut self, task: T) {
        self.insert(task, End::Front);
    }

    /// Adds a task at the tail. If this makes the task's key cross the compaction threshold,
    /// all queued tasks with that key are merged into the first of them (O(tasks of that key)).
    pub fn push_back(&mut self, task: T) -> Option<Compaction<T::Key>> {
        let key = self.insert(task, End::Back)?;
        let count = self.key_count(&key);
        if count >= self.compaction_threshold && self.len > self.compaction_threshold {
            return self.compact(&key);
        }
        None
    }

    /// Removes and returns the head task, without combining.
    pub fn pop_front(&mut self) -> Option<T> {
        let head = self.head?;
        self.unlink(head)
    }

    /// Removes the head task and merges into it the consecutive following tasks with the same key
    /// (see [`TaskQueue::absorb_followers`]).
    pub fn pop_combined(&mut self) -> Option<T> {
        let mut task = self.pop_front()?;
        self.absorb_followers(&mut task);
        Some(task)
    }

    /// Merges into `head` (a task that was just taken from the head of this queue) the tasks now at
    /// the head that share its key, stopping at the first one that does not. Returns how many were
    /// merged. Does nothing for tasks without a key or that do not combine followers.
    pub fn absorb_followers(&mut self, head: &mut T) -> usize {
        let Some(key) = head.combine_key() else {
            return 0;
        };
        if !head.combines_followers() {
            return 0;
        }
        let mut later = Vec::new();
        while let Some(i) = self.head {
            self.visits += 1;
            let same = self.node(i).is_some_and(|n| n.key.as_ref() == Some(&key));
            if !same {
                break;
            }
            match self.unlink(i) {
                Some(task) => later.push(task),
                None => break,
            }
        }
        let merged = later.len();
        if merged > 0 {
            head.merge(later, MergeReason::Combine);
        }
        merged
    }

    /// Merges every queued task with `key` into the first of them, wherever they are.
    pub fn compact(&mut self, key: &T::Key) -> Option<Compaction<T::Key>> {
        let chain = *self.keys.get(key)?;
        if chain.len < 2 {
            return None;
        }
        let first = chain.first;
        let mut later = Vec::with_capacity(chain.len - 1);
        let mut cursor = self.node(first).and_then(|n| n.key_next);
        while let Some(i) = cursor {
            self.visits += 1;
            cursor = self.node(i).and_then(|n| n.key_next);
            if let Some(task) = self.unlink(i) {
                later.push(task);
            }
        }
        let merged = later.len();
        if let Some(Slot::Used(node)) = self.slots.get_mut(first) {
            node.task.merge(later, MergeReason::EmergencyCompaction);
        }
        Some(Compaction {
            key: key.clone(),
            merged,
        })
    }

    /// The queued tasks in order, head first.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        let mut cursor = self.head;
        std::iter::from_fn(move || {
            let node = self.node(cursor?)?;
            cursor = node.next;
            Some(&node.task)
        })
    }

    fn node(&self, i: usize) -> Option<&Node<T>> {
        match self.slots.get(i) {
            Some(Slot::Used(n)) => Some(n),
            _ => None,
        }
    }

    fn node_mut(&mut self, i: usize) -> Option<&mut Node<T>> {
        match self.slots.get_mut(i) {
            Some(Slot::Used(n)) => Some(n),
            _ => None,
        }
    }

    /// Links a new node at one end; returns its key.
    fn insert(&mut self, task: T, end: End) -> Option<T::Key> {
        let key = task.combine_key();
        let (prev, next) = match end {
            End::Front => (None, self.head),
            End::Back => (self.tail, None),
        };
        let mut node = Node {
            task,
            key: key.clone(),
            prev,
            next,
            key_prev: None,
            key_next: None,
        };
        let chain = key.as_ref().and_then(|k| self.keys.get(k).copied());
        if let Some(c) = chain {
            match end {
                End::Front => node.key_next = Some(c.first),
                End::Back => node.key_prev = Some(c.last),
            }
        }
        let i = self.alloc(node);
        match (end, prev, next) {
            (End::Front, _, Some(n)) => self.set_prev(n, Some(i)),
            (End::Back, Some(p), _) => self.set_next(p, Some(i)),
            _ => {}
        }
        if end == End::Front || self.head.is_none() {
            self.head = Some(i);
        }
        if end == End::Back || self.tail.is_none() {
            self.tail = Some(i);
        }
        self.len += 1;
        if let Some(k) = &key {
            let updated = match (chain, end) {
                (None, _) => Chain {
                    first: i,
                    last: i,
                    len: 1,
                },
                (Some(c), End::Front) => {
                    if let Some(n) = self.node_mut(c.first) {
                        n.key_prev = Some(i);
                    }
                    Chain {
                        first: i,
                        len: c.len + 1,
                        ..c
                    }
                }
                (Some(c), End::Back) => {
                    if let Some(n) = self.node_mut(c.last) {
                        n.key_next = Some(i);
                    }
                    Chain {
                        last: i,
                        len: c.len + 1,
                        ..c
                    }
                }
            };
            self.keys.insert(k.clone(), updated);
        }
        key
    }

    fn alloc(&mut self, node: Node<T>) -> usize {
        if let Some(i) = self.free
            && let Some(slot) = self.slots.get_mut(i)
        {
            self.free = match slot {
                Slot::Free(next) => *next,
                Slot::Used(_) => None,
            };
            *slot = Slot::Used(node);
            return i;
        }
        self.slots.push(Slot::Used(node));
        self.slots.len() - 1
    }

    fn set_prev(&mut self, i: usize, prev: Option<usize>) {
        if let Some(n) = self.node_mut(i) {
            n.prev = prev;
        }
    }

    fn set_next(&mut self, i: usize, next: Option<usize>) {
        if let Some(n) = self.node_mut(i) {
            n.next = next;
        }
    }

    /// Unlinks node `i` from the queue order and its key chain and frees its slot.
    fn unlink(&mut self, i: usize) -> Option<T> {
        let slot = self.slots.get_mut(i)?;
        let Slot::Used(node) = std::mem::replace(slot, Slot::Free(self.free)) else {
            return None;
        };
        self.free = Some(i);
        match node.prev {
            Some(p) => self.set_next(p, node.next),
            None => self.head = node.next,
        }
        match node.next {
            Some(n) => self.set_prev(n, node.prev),
            None => self.tail = node.prev,
        }
        self.len -= 1;
        if let Some(key) = &node.key {
            if let Some(p) = node.key_prev
                && let Some(n) = self.node_mut(p)
            {
                n.key_next = node.key_next;
            }
            if let Some(nx) = node.key_next
                && let Some(n) = self.node_mut(nx)
            {
                n.key_prev = node.key_prev;
            }
            let remove = match self.keys.get_mut(key) {
                Some(c) if c.len <= 1 => true,
                Some(c) => {
                    c.len -= 1;
                    if c.first == i
                        && let Some(nx) = node.key_next
                    {
                        c.first = nx;
                    }
                    if c.last == i
                        && let Some(p) = node.key_prev
                    {
                        c.last = p;
                    }
                    false
                }
                None => false,
            };
            if remove {
                self.keys.remove(key);
            }
        }
        if self.len == 0 {
            // Keep memory proportional to the current length after a storm drains.
            self.slots.clear();
            self.slots.shrink_to(64);
            self.free = None;
        }
        Some(node.task)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A task holding the ids it was merged from.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Item {
        pub(crate) key: Option<u32>,
        pub(crate) ids: Vec<u32>,
        pub(crate) collects: bool,
        pub(crate) merges: Vec<MergeReason>,
    }

    pub(crate) fn item(key: u32, id: u32) -> Item {
        Item {
            key: Some(key),
            ids: vec![id],
            collects: true,
            merges: Vec::new(),
        }
    }

    impl QueueTask for Item {
        type Key = u32;
        fn combine_key(&self) -> Option<u32> {
            self.key
        }
        fn combines_followers(&self) -> bool {
            self.collects
        }
        fn merge(&mut self, later: Vec<Self>, reason: MergeReason) {
            self.merges.push(reason);
            for t in later {
                self.ids.extend(t.ids);
            }
        }
        fn describe(&self) -> String {
            format!("Item:{:?}:{:?}", self.key, self.ids)
        }
    }

    fn ids(q: &TaskQueue<Item>) -> Vec<Vec<u32>> {
        q.iter().map(|t| t.ids.clone()).collect()
    }

    #[test]
    fn tasks_come_out_in_fifo_order_and_push_front_jumps_the_line() {
        let mut q = TaskQueue::new();
        q.push_back(item(1, 1));
        q.push_back(item(2, 2));
        q.push_front(item(3, 3));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_front())
            .map(|t| t.ids[0])
            .collect();
        assert_eq!(order, vec![3, 1, 2]);
        assert!(q.is_empty());
        assert_eq!(q.key_count(&1), 0);
    }

    #[test]
    fn combining_takes_consecutive_same_key_tasks_and_stops_at_the_first_other_key() {
        let mut q = TaskQueue::new();
        for (key, id) in [(1, 1), (1, 2), (2, 3), (1, 4), (1, 5)] {
            q.push_back(item(key, id));
        }
        let first = q.pop_combined();
        assert_eq!(first.as_ref().map(|t| t.ids.clone()), Some(vec![1, 2]));
        assert_eq!(first.map(|t| t.merges), Some(vec![MergeReason::Combine]));
        assert_eq!(ids(&q), vec![vec![3], vec![4], vec![5]]);
        assert_eq!(q.pop_combined().map(|t| t.ids), Some(vec![3]));
        assert_eq!(q.pop_combined().map(|t| t.ids), Some(vec![4, 5]));
        assert!(q.pop_combined().is_none());
    }

    #[test]
    fn a_head_that_does_not_collect_followers_runs_alone_but_can_be_absorbed() {
        let mut q = TaskQueue::new();
        q.push_back(Item {
            collects: false,
            ..item(1, 1)
        });
        q.push_back(item(1, 2));
        q.push_back(Item {
            collects: false,
            ..item(1, 3)
        });
        assert_eq!(q.pop_combined().map(|t| t.ids), Some(vec![1]));
        assert_eq!(q.pop_combined().map(|t| t.ids), Some(vec![2, 3]));
    }

    #[test]
    fn tasks_without_a_key_are_never_merged() {
        let mut q = TaskQueue::new();
        for id in 0..3 {
            q.push_back(Item {
                key: None,
                ..item(0, id)
            });
        }
        let out: Vec<Vec<u32>> = std::iter::from_fn(|| q.pop_combined())
            .map(|t| t.ids)
            .collect();
        assert_eq!(out, vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn emergency_compaction_merges_scattered_tasks_of_one_key_into_the_first() {
        let mut q = TaskQueue::with_compaction_threshold(4);
        let mut compactions = Vec::new();
        for (key, id) in [(9, 0), (1, 1), (2, 2), (1, 3), (2, 4), (1, 5)] {
            compactions.extend(q.push_back(item(key, id)));
        }
        assert!(compactions.is_empty());
        compactions.extend(q.push_back(item(1, 6)));
        assert_eq!(compactions, vec![Compaction { key: 1, merged: 3 }]);
        assert_eq!(ids(&q), vec![vec![0], vec![1, 3, 5, 6], vec![2], vec![4]]);
        assert_eq!(q.key_count(&1), 1);
        assert_eq!(q.front().map(|t| t.ids.clone()), Some(vec![0]));
        let merged = q.iter().nth(1).map(|t| t.merges.clone());
        assert_eq!(merged, Some(vec![MergeReason::EmergencyCompaction]));
    }

    #[test]
    fn compaction_needs_the_queue_to_be_longer_than_the_threshold() {
        let mut q = TaskQueue::with_compaction_threshold(3);
        let c: Vec<_> = (0..3).filter_map(|id| q.push_back(item(1, id))).collect();
        assert!(c.is_empty(), "3 tasks in a queue of 3 are not compacted");
        assert_eq!(
            q.push_back(item(1, 3)),
            Some(Compaction { key: 1, merged: 3 })
        );
        assert_eq!(ids(&q), vec![vec![0, 1, 2, 3]]);
    }

    #[test]
    fn removing_from_the_middle_of_a_key_chain_keeps_it_consistent() {
        let mut q = TaskQueue::with_compaction_threshold(100);
        for (key, id) in [(1, 0), (2, 1), (1, 2), (2, 3), (1, 4)] {
            q.push_back(item(key, id));
        }
        q.pop_front();
        q.push_front(item(2, 5));
        assert_eq!(q.key_count(&1), 2);
        assert_eq!(q.key_count(&2), 3);
        assert_eq!(q.compact(&2), Some(Compaction { key: 2, merged: 2 }));
        assert_eq!(ids(&q), vec![vec![5, 1, 3], vec![2], vec![4]]);
        assert_eq!(q.compact(&1), Some(Compaction { key: 1, merged: 1 }));
        assert_eq!(ids(&q), vec![vec![5, 1, 3], vec![2, 4]]);
    }

    #[test]
    fn one_hundred_thousand_tasks_cost_a_constant_number_of_visits_each() {
        // 100,000 tasks spread round robin over 1,000 keys: every key crosses the threshold
        // once near the end. A compaction that rescanned the queue would visit ~10^8 nodes.
        let n: u32 = 100_000;
        let mut q = TaskQueue::new();
        let mut compactions = 0;
        for id in 0..n {
            compactions += usize::from(q.push_back(item(id % 1_000, id)).is_some());
        }
        assert_eq!(compactions, 1_000);
        assert!(
            q.visits() <= u64::from(n),
            "compaction visits: {}",
            q.visits()
        );
        let mut seen = 0;
        while let Some(t) = q.pop_combined() {
            seen += t.ids.len();
        }
        assert_eq!(seen, n as usize);
        assert!(
            q.visits() <= 3 * u64::from(n),
            "total visits: {}",
            q.visits()
        );
    }

    #[test]
    fn one_hundred_thousand_distinct_tasks_push_and_pop_without_any_scan() {
        let n: u32 = 100_000;
        let mut q = TaskQueue::new();
        for id in 0..n {
            q.push_back(Item {
                key: None,
                ..item(0, id)
            });
            q.push_front(Item {
                key: None,
                ..item(0, n + id)
            });
        }
        assert_eq!(q.len(), 2 * n as usize);
        let mut count = 0;
        while q.pop_combined().is_some() {
            count += 1;
        }
        assert_eq!(count, 2 * n);
        assert_eq!(q.visits(), 0);
    }

    #[test]
    fn a_storm_for_one_key_stays_bounded_by_the_threshold() {
        let mut q = TaskQueue::new();
        let mut max_len = 0;
        for id in 0..100_000 {
            q.push_back(item(7, id));
            max_len = max_len.max(q.len());
        }
        assert!(max_len <= DEFAULT_COMPACTION_THRESHOLD + 1, "{max_len}");
        let all: Vec<u32> = std::iter::from_fn(|| q.pop_combined())
            .flat_map(|t| t.ids)
            .collect();
        assert_eq!(
            all,
            (0..100_000).collect::<Vec<u32>>(),
            "nothing lost, order kept"
        );
    }
}
