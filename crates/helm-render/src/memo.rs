//! A bounded memo of a pure function of text: values keyed by a (name, text) pair.
//!
//! Used for what renders recompute from identical text again and again (parsed templates,
//! document heads). Keys are compared in full, so a hit is exactly what recomputing would
//! give; when the memo grows past its limits the least recently used half is dropped.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use crate::fast_hash::{BuildFastHasher, FastHasher};

struct Entry<V> {
    name: Box<str>,
    text: Box<str>,
    value: V,
    last_used: u64,
}

/// Values by (name, text), bounded in entries and in text bytes.
pub struct TextMemo<V> {
    entries: HashMap<u64, Vec<Entry<V>>, BuildIdentity>,
    len: usize,
    bytes: usize,
    tick: u64,
    max_entries: usize,
    max_bytes: usize,
}

impl<V> std::fmt::Debug for TextMemo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextMemo")
            .field("entries", &self.len)
            .field("bytes", &self.bytes)
            .finish()
    }
}

fn key(name: &str, text: &str) -> u64 {
    let mut h = BuildFastHasher::default().build_hasher();
    name.hash(&mut h);
    text.hash(&mut h);
    h.finish()
}

/// The map's keys are already hashes.
type BuildIdentity = std::hash::BuildHasherDefault<Identity>;

#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = FastHasher::default();
        h.write(bytes);
        self.0 = h.finish();
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl<V: Clone> TextMemo<V> {
    /// An empty memo holding at most `max_entries` entries and `max_bytes` of keys.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        TextMemo {
            entries: HashMap::default(),
            len: 0,
            bytes: 0,
            tick: 0,
            max_entries: max_entries.max(1),
            max_bytes,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value for (name, text), computing and keeping it if absent. Errors are not kept.
    pub fn get_or_try_insert<E>(
        &mut self,
        name: &str,
        text: &str,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        self.tick += 1;
        let k = key(name, text);
        if let Some(e) = self
            .entries
            .get_mut(&k)
            .and_then(|b| b.iter_mut().find(|e| &*e.name == name && &*e.text == text))
        {
            e.last_used = self.tick;
            return Ok(e.value.clone());
        }
        let value = compute()?;
        let size = name.len() + text.len();
        if self.len + 1 > self.max_entries || self.bytes + size > self.max_bytes {
            self.evict_older_half();
        }
        self.len += 1;
        self.bytes += size;
        self.entries.entry(k).or_default().push(Entry {
            name: name.into(),
            text: text.into(),
            value: value.clone(),
            last_used: self.tick,
        });
        Ok(value)
    }

    fn evict_older_half(&mut self) {
        let mut ticks: Vec<u64> = self
            .entries
            .values()
            .flat_map(|b| b.iter().map(|e| e.last_used))
            .collect();
        ticks.sort_unstable();
        let cutoff = ticks.get(ticks.len() / 2).copied().unwrap_or(u64::MAX);
        for bucket in self.entries.values_mut() {
            bucket.retain(|e| e.last_used > cutoff);
        }
        self.entries.retain(|_, b| !b.is_empty());
        self.len = self.entries.values().map(Vec::len).sum();
        self.bytes = self
            .entries
            .values()
            .flat_map(|b| b.iter().map(|e| e.name.len() + e.text.len()))
            .sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(m: &mut TextMemo<usize>, name: &str, text: &str, calls: &mut usize) -> usize {
        m.get_or_try_insert(name, text, || {
            *calls += 1;
            Ok::<_, ()>(text.len())
        })
        .unwrap_or(usize::MAX)
    }

    #[test]
    fn a_hit_needs_the_same_name_and_text() {
        let mut m = TextMemo::new(10, 1 << 20);
        let mut calls = 0;
        assert_eq!(get(&mut m, "a", "xx", &mut calls), 2);
        assert_eq!(get(&mut m, "a", "xx", &mut calls), 2);
        assert_eq!(calls, 1);
        get(&mut m, "b", "xx", &mut calls);
        get(&mut m, "a", "xy", &mut calls);
        assert_eq!((calls, m.len()), (3, 3));
    }

    #[test]
    fn errors_are_not_kept() {
        let mut m: TextMemo<usize> = TextMemo::new(10, 1 << 20);
        assert_eq!(m.get_or_try_insert("a", "x", || Err("bad")), Err("bad"));
        assert!(m.is_empty());
    }

    #[test]
    fn limits_drop_the_least_recently_used_half() {
        let mut m = TextMemo::new(8, 1 << 20);
        let mut calls = 0;
        for i in 0..8 {
            get(&mut m, "n", &i.to_string(), &mut calls);
        }
        // "0" is used again, so it survives the eviction the ninth entry causes.
        get(&mut m, "n", "0", &mut calls);
        get(&mut m, "n", "8", &mut calls);
        assert!(m.len() <= 8 && m.len() >= 4);
        let before = calls;
        get(&mut m, "n", "0", &mut calls);
        assert_eq!(calls, before);
        let mut small = TextMemo::new(100, 10);
        for t in ["aaaa", "bbbb", "cccc"] {
            get(&mut small, "", t, &mut calls);
        }
        assert!(small.len() < 3);
    }
}
