//! Loaded charts by directory, reused while the directory's [`Fingerprint`] is unchanged.
//!
//! The operator renders the same module again and again; loading it (reading every file,
//! unpacking `.tgz` subcharts, parsing Chart.yaml and values.yaml) each time costs more than
//! rendering. Each lookup still stats every directory and file the chart was loaded from, so
//! edits, new and removed files are picked up on the next render.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use super::fingerprint::{Fingerprint, RACY_WINDOW};
use super::{Chart, ChartError, load_dir_fingerprinted};

/// Charts kept before the least recently used half is dropped.
const MAX_CHARTS: usize = 64;

struct Entry {
    fingerprint: Fingerprint,
    chart: Rc<Chart>,
    last_used: u64,
}

/// Loaded charts by the directory they were loaded from.
pub struct ChartCache {
    entries: HashMap<PathBuf, Entry>,
    tick: u64,
    racy_window: Duration,
}

impl Default for ChartCache {
    fn default() -> Self {
        ChartCache {
            entries: HashMap::new(),
            tick: 0,
            racy_window: RACY_WINDOW,
        }
    }
}

impl std::fmt::Debug for ChartCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartCache")
            .field("charts", &self.entries.len())
            .finish()
    }
}

impl ChartCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache that trusts file times however recent (for tests that write charts and
    /// load them at once; see [`RACY_WINDOW`]).
    pub fn trusting_recent_changes() -> Self {
        ChartCache {
            racy_window: Duration::ZERO,
            ..Self::default()
        }
    }

    /// Number of charts kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no chart is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The chart in `dir`: the one loaded before if the directory is unchanged, else loaded now.
    /// Treat it as read-only: renders share it.
    pub fn load(&mut self, dir: &Path) -> Result<Rc<Chart>, ChartError> {
        self.tick += 1;
        if let Some(e) = self.entries.get_mut(dir)
            && e.fingerprint.unchanged()
        {
            e.last_used = self.tick;
            return Ok(e.chart.clone());
        }
        self.entries.remove(dir);
        let (chart, fingerprint) = load_dir_fingerprinted(dir, self.racy_window)?;
        let chart = Rc::new(chart);
        if self.entries.len() >= MAX_CHARTS {
            self.evict_older_half();
        }
        self.entries.insert(
            dir.to_path_buf(),
            Entry {
                fingerprint,
                chart: chart.clone(),
                last_used: self.tick,
            },
        );
        Ok(chart)
    }

    fn evict_older_half(&mut self) {
        let mut ticks: Vec<u64> = self.entries.values().map(|e| e.last_used).collect();
        ticks.sort_unstable();
        let cutoff = ticks.get(ticks.len() / 2).copied().unwrap_or(u64::MAX);
        self.entries.retain(|_, e| e.last_used > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_default();
        }
        std::fs::write(p, text).unwrap_or_default();
    }

    #[test]
    fn an_unchanged_chart_is_loaded_once_and_an_edited_one_again() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let d = dir.path();
        write(d, "Chart.yaml", "name: a\nversion: 1.0.0\n");
        write(d, "templates/a.yaml", "a: 1\n");
        let mut cache = ChartCache::trusting_recent_changes();
        let load = |c: &mut ChartCache| c.load(d).unwrap_or_else(|e| unreachable!("{e}"));
        let first = load(&mut cache);
        assert!(Rc::ptr_eq(&first, &load(&mut cache)));
        write(d, "templates/a.yaml", "a: 22\n");
        let edited = load(&mut cache);
        assert!(!Rc::ptr_eq(&first, &edited));
        assert_eq!(&*edited.templates[0].data, b"a: 22\n");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_chart_changed_just_before_loading_is_loaded_again() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        write(dir.path(), "Chart.yaml", "name: a\n");
        let mut cache = ChartCache::new();
        let first = cache.load(dir.path());
        let second = cache.load(dir.path());
        match (first, second) {
            (Ok(a), Ok(b)) => assert!(!Rc::ptr_eq(&a, &b)),
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn errors_are_not_kept() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let d = dir.path();
        write(d, "Chart.yaml", "name: [\n");
        let mut cache = ChartCache::new();
        assert!(cache.load(d).is_err());
        assert!(cache.is_empty());
        write(d, "Chart.yaml", "name: a\n");
        assert!(cache.load(d).is_ok());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let mut cache = ChartCache::new();
        for i in 0..MAX_CHARTS + 5 {
            let d = dir.path().join(i.to_string());
            write(&d, "Chart.yaml", "name: a\n");
            assert!(cache.load(&d).is_ok());
        }
        assert!(cache.len() <= MAX_CHARTS);
    }
}
