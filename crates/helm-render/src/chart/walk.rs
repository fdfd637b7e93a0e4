//! The files of a chart directory, as Helm's loader sees them: symlinks followed, entries in
//! name order, `.helmignore` honoured, and for modules without Chart.yaml the folders
//! addon-operator leaves out skipped.
//!
//! Loading reads each file the walk yields; the chart cache also records every directory and
//! file it saw (see [`super::Fingerprint`]).

use std::path::Path;

use super::ChartError;
use super::ignore::IgnoreRules;

/// Top-level folders addon-operator leaves out of a module that has no Chart.yaml.
const MODULE_EXCLUDED_DIRS: &[&str] = &["crds", "docs", "hooks", "images", "lib"];
/// Symlinked folders may loop; no real chart is this deep.
const MAX_WALK_DEPTH: usize = 32;

/// What a directory entry turned out to be (symlinks resolved).
enum Entry {
    Dir,
    File(std::fs::Metadata),
    /// A dangling symlink, or removed while listing: skipped.
    Gone,
}

impl Entry {
    fn of(meta: std::io::Result<std::fs::Metadata>) -> Entry {
        match meta {
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(m) => Entry::File(m),
            Err(_) => Entry::Gone,
        }
    }
}

/// A chart directory about to be walked.
#[derive(Debug)]
pub struct ChartTree<'a> {
    root: &'a Path,
    rules: IgnoreRules,
    has_chart_yaml: bool,
}

/// What the walk reports.
pub trait Visitor {
    /// A directory about to be listed (full path; the root too).
    fn dir(&mut self, _full: &Path) {}

    /// A file: chart-relative path (with `/`), full path, metadata (symlinks followed).
    fn file(
        &mut self,
        path: String,
        full: &Path,
        meta: &std::fs::Metadata,
    ) -> Result<(), ChartError>;
}

impl<'a> ChartTree<'a> {
    /// Reads `.helmignore` and checks for Chart.yaml.
    pub fn open(root: &'a Path) -> Result<Self, ChartError> {
        let has_chart_yaml = root.join("Chart.yaml").is_file();
        let rules = match std::fs::read_to_string(root.join(".helmignore")) {
            Ok(text) => IgnoreRules::parse(&text).map_err(|message| ChartError::Ignore {
                chart: root.display().to_string(),
                message,
            })?,
            Err(_) => IgnoreRules::parse("").unwrap_or_default(),
        };
        Ok(ChartTree {
            root,
            rules,
            has_chart_yaml,
        })
    }

    /// Whether the directory has a Chart.yaml (otherwise it is a module, named after the folder).
    pub fn has_chart_yaml(&self) -> bool {
        self.has_chart_yaml
    }

    /// Reports every directory listed and every file that belongs to the chart, in Helm's order.
    pub fn walk(&self, visit: &mut dyn Visitor) -> Result<(), ChartError> {
        self.walk_dir("", 0, visit)
    }

    fn walk_dir(&self, rel: &str, depth: usize, visit: &mut dyn Visitor) -> Result<(), ChartError> {
        let root = self.root;
        if depth > MAX_WALK_DEPTH {
            return Err(ChartError::Io {
                path: root.join(rel).display().to_string(),
                message: "directory nesting too deep (symlink loop?)".into(),
            });
        }
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel)
        };
        let io = |e: std::io::Error| ChartError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        };
        visit.dir(&dir);
        let mut entries: Vec<(String, std::fs::DirEntry)> = std::fs::read_dir(&dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let module_mode = !self.has_chart_yaml;
        for (name, entry) in entries {
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let full = entry.path();
            // Follow symlinks, as Helm's sympath.Walk does. A directory entry's type comes
            // with the listing; other entries are stat'ed relative to the open directory,
            // which spares the kernel a lookup of the whole path.
            let meta = match entry.file_type() {
                Ok(t) if t.is_dir() => Entry::Dir,
                Ok(t) if !t.is_symlink() => Entry::of(entry.metadata()),
                _ => Entry::of(std::fs::metadata(&full)),
            };
            match meta {
                Entry::Gone => {}
                Entry::Dir => {
                    if self.rules.ignored(&path, true)
                        || (module_mode
                            && rel.is_empty()
                            && MODULE_EXCLUDED_DIRS.contains(&name.as_str()))
                    {
                        continue;
                    }
                    self.walk_dir(&path, depth + 1, visit)?;
                }
                Entry::File(meta) => {
                    if self.rules.ignored(&path, false) {
                        continue;
                    }
                    visit.file(path, &full, &meta)?;
                }
            }
        }
        Ok(())
    }
}
