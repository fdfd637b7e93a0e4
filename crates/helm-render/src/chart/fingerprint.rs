//! A cheap check that a loaded chart directory is unchanged on disk.
//!
//! While a chart is loaded, every directory listed and every file read is stat'ed (before it
//! is listed or read) and its size, modification and change times and inode are kept. The
//! chart is unchanged while every one of those stats still gives the same answer:
//! - a file edited in place changes its own times and size;
//! - a file or directory added, removed, renamed or replaced (a symlink re-pointed too)
//!   changes the times of the directory that holds it, and every listed directory is kept;
//! - `.helmignore`, which decides what is walked, is kept whether or not it is walked itself.
//!
//! Checking costs one `stat` per directory and file, without listing or reading anything.
//!
//! File times are coarse (the kernel stamps them from a clock that ticks every few
//! milliseconds; some filesystems keep whole seconds), so two changes close together can
//! leave the same times. As git does with its "racily clean" entries, a fingerprint that saw
//! anything changed less than [`RACY_WINDOW`] before it was taken is never trusted: the next
//! render loads the chart again, until everything has been quiet for that long. Beyond that,
//! like `make`, this trusts timestamps: only setting the clock back defeats it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Changes younger than this when a chart is loaded make its fingerprint untrusted.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Size, times and identity of a file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec()),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
        }
    }

    /// The stamp of what `path` names now (symlinks followed); `None` when it is gone.
    fn at(path: &Path) -> Option<Stamp> {
        std::fs::metadata(path).ok().map(|m| Stamp::of(&m))
    }

    /// Whether it was modified or changed after `since` (or its times are unknown).
    fn changed_after(&self, since: SystemTime) -> bool {
        let modified = self.modified.is_none_or(|m| m > since);
        #[cfg(unix)]
        let changed = {
            let (secs, nanos) = self.changed;
            let at = u64::try_from(secs).ok().and_then(|s| {
                let nanos = u32::try_from(nanos).unwrap_or(0);
                SystemTime::UNIX_EPOCH.checked_add(Duration::new(s, nanos))
            });
            at.is_none_or(|c| c > since)
        };
        #[cfg(not(unix))]
        let changed = false;
        modified || changed
    }
}

/// What a loaded chart directory depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    stamps: Vec<(PathBuf, Option<Stamp>)>,
    /// Something had changed too recently for its times to be told apart from a later change.
    racy: bool,
}

impl Fingerprint {
    /// Whether every directory and file the chart was loaded from is as it was then (never,
    /// for a fingerprint taken right after a change).
    pub fn unchanged(&self) -> bool {
        !self.racy && self.stamps.iter().all(|(p, s)| Stamp::at(p) == *s)
    }

    /// Number of paths checked by [`Fingerprint::unchanged`].
    pub fn len(&self) -> usize {
        self.stamps.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.stamps.is_empty()
    }
}

/// Collects a [`Fingerprint`] while a chart directory is loaded.
#[derive(Debug)]
pub struct Recorder {
    stamps: Vec<(PathBuf, Option<Stamp>)>,
    /// Anything changed after this makes the fingerprint racy.
    quiet_since: SystemTime,
}

impl Recorder {
    /// Starts recording the load of the chart at `root`; call before reading `.helmignore`.
    /// Changes younger than `racy_window` ([`RACY_WINDOW`] normally) make it untrusted.
    pub fn new(root: &Path, racy_window: Duration) -> Recorder {
        let helmignore = root.join(".helmignore");
        let stamp = Stamp::at(&helmignore);
        let now = SystemTime::now();
        Recorder {
            stamps: vec![(helmignore, stamp)],
            quiet_since: now.checked_sub(racy_window).unwrap_or(now),
        }
    }

    /// A directory about to be listed.
    pub fn dir(&mut self, full: &Path) {
        self.stamps.push((full.to_path_buf(), Stamp::at(full)));
    }

    /// A file about to be read, with the metadata the walk got for it.
    pub fn file(&mut self, full: &Path, meta: &std::fs::Metadata) {
        self.stamps
            .push((full.to_path_buf(), Some(Stamp::of(meta))));
    }

    /// The fingerprint of everything recorded.
    pub fn finish(self) -> Fingerprint {
        let racy = self.stamps.iter().any(|(_, s)| {
            s.as_ref()
                .is_some_and(|s| s.changed_after(self.quiet_since))
        });
        Fingerprint {
            stamps: self.stamps,
            racy,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::chart::load_dir_fingerprinted;

    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_default();
        }
        std::fs::write(p, text).unwrap_or_default();
    }

    /// Files in these tests were just written: trust their times anyway.
    fn fp(dir: &Path) -> Fingerprint {
        load_dir_fingerprinted(dir, Duration::ZERO)
            .map(|(_, f)| f)
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_chart_changed_just_before_loading_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        write(dir.path(), "Chart.yaml", "name: a\n");
        let fresh = load_dir_fingerprinted(dir.path(), RACY_WINDOW).map(|(_, f)| f);
        assert!(fresh.is_ok_and(|f| !f.unchanged()));
    }

    #[test]
    fn edits_additions_and_removals_are_noticed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let d = dir.path();
        write(d, "Chart.yaml", "name: a\n");
        write(d, "templates/a.yaml", "a: 1\n");
        let first = fp(d);
        assert!(first.unchanged());
        write(d, "templates/a.yaml", "a: 22\n");
        assert!(!first.unchanged());
        let edited = fp(d);
        write(d, "templates/sub/b.yaml", "b: 1\n");
        assert!(!edited.unchanged());
        let added = fp(d);
        std::fs::remove_file(d.join("templates/sub/b.yaml")).unwrap_or_default();
        assert!(!added.unchanged());
        assert!(fp(d).unchanged());
    }

    #[test]
    fn ignored_files_do_not_count_but_helmignore_does() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let d = dir.path();
        write(d, "Chart.yaml", "name: a\n");
        write(d, ".helmignore", "*.bak\nignored/\n");
        write(d, "ignored/x", "1");
        let first = fp(d);
        write(d, "ignored/x", "22");
        assert!(first.unchanged());
        write(d, ".helmignore", "*.orig\n");
        assert!(!first.unchanged());
    }

    #[cfg(unix)]
    #[test]
    fn a_re_pointed_symlinked_subchart_is_noticed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let d = dir.path();
        for lib in ["lib1", "lib2"] {
            write(&d.join(lib), "Chart.yaml", "name: lib\n");
            write(&d.join(lib), "templates/_h.tpl", lib);
        }
        let app = d.join("app");
        write(&app, "Chart.yaml", "name: app\n");
        std::fs::create_dir_all(app.join("charts")).unwrap_or_default();
        let link = app.join("charts/lib");
        std::os::unix::fs::symlink(d.join("lib1"), &link).unwrap_or_default();
        let first = fp(&app);
        assert!(first.unchanged());
        write(&d.join("lib1"), "templates/_h.tpl", "edited");
        assert!(!first.unchanged());
        let second = fp(&app);
        std::fs::remove_file(&link).unwrap_or_default();
        std::os::unix::fs::symlink(d.join("lib2"), &link).unwrap_or_default();
        assert!(!second.unchanged());
    }
}
