//! Hook discovery: which files under the hooks directory are hooks, and what they are called.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Directory names whose content is never loaded as hooks, at any depth.
const LIBRARY_DIR: &str = "lib";
/// File extensions that are never hooks, even when executable.
const SKIPPED_EXTENSIONS: &[&str] = &["yaml", "json", "md", "txt"];

/// An executable found under the hooks directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookFile {
    /// The path relative to the hooks directory, with `/` separators; this is the hook's name in
    /// logs, metrics labels and temporary file names.
    pub name: String,
    /// The absolute path used to run the hook.
    pub path: PathBuf,
}

/// Why the hooks directory could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The hooks directory does not exist or is not a directory.
    #[error("hooks directory: path '{}' not exist", .0.display())]
    MissingDir(PathBuf),
    /// The current directory was needed to make a relative hooks dir absolute.
    #[error("hooks directory: resolve '{}'", path.display())]
    Absolutize {
        /// The relative path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A directory or an entry inside it could not be read.
    #[error("walk hooks directory: read '{}'", path.display())]
    Read {
        /// The entry that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Makes `dir` absolute (relative to the current directory) and checks that it is a directory.
pub fn resolve_hooks_dir(dir: &Path) -> Result<PathBuf, DiscoveryError> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| DiscoveryError::Absolutize {
                path: dir.to_path_buf(),
                source,
            })?
            .join(dir)
    };
    if !abs.is_dir() {
        return Err(DiscoveryError::MissingDir(abs));
    }
    Ok(abs)
}

/// Walks `hooks_dir` (already absolute) and returns the hooks sorted by path.
///
/// Rules, as upstream: entries are inspected with `lstat`, so a symlink counts as an executable file
/// and symlinked directories are not entered; hidden files and directories are skipped; nothing in a
/// directory named `lib` is loaded (executables there get a warning); `.yaml`, `.json`, `.md` and
/// `.txt` files are skipped; other files without an executable bit are skipped with a warning.
pub fn discover_hooks(hooks_dir: &Path) -> Result<Vec<HookFile>, DiscoveryError> {
    discover_hooks_excluding(hooks_dir, &[])
}

/// [`discover_hooks`], also skipping directories with one of the `excluded` names at any depth,
/// silently (addon-operator skips a module's Python `venv`).
pub fn discover_hooks_excluding(
    hooks_dir: &Path,
    excluded: &[&str],
) -> Result<Vec<HookFile>, DiscoveryError> {
    if !hooks_dir.is_dir() {
        return Err(DiscoveryError::MissingDir(hooks_dir.to_path_buf()));
    }
    let mut found = Vec::new();
    walk(hooks_dir, hooks_dir, false, excluded, &mut found)?;
    // Byte order of the absolute path, as upstream sorts.
    found.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    Ok(found)
}

fn walk(
    root: &Path,
    dir: &Path,
    in_lib: bool,
    excluded: &[&str],
    found: &mut Vec<HookFile>,
) -> Result<(), DiscoveryError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DiscoveryError::Read { path, source }
    };
    let entries = fs::read_dir(dir).map_err(read_err(dir))?;
    for entry in entries {
        let entry = entry.map_err(read_err(dir))?;
        let path = entry.path();
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with('.') {
            continue;
        }
        let meta = fs::symlink_metadata(&path).map_err(read_err(&path))?;
        if meta.is_dir() {
            if excluded.contains(&&*file_name) {
                continue;
            }
            let in_lib = in_lib || file_name == LIBRARY_DIR;
            walk(root, &path, in_lib, excluded, found)?;
            continue;
        }
        let rel = relative_name(root, &path);
        let executable = meta.file_type().is_symlink() || meta.permissions().mode() & 0o111 != 0;
        if in_lib {
            if executable {
                tracing::warn!(
                    path = %rel,
                    "file has executable permissions and is located in the ignored 'lib' directory"
                );
            }
            continue;
        }
        let skipped_ext = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SKIPPED_EXTENSIONS.contains(&e));
        if skipped_ext {
            continue;
        }
        if !executable {
            tracing::warn!(path = %rel, "file is skipped because it is not executable, chmod +x is required to run this hook");
            continue;
        }
        found.push(HookFile { name: rel, path });
    }
    Ok(())
}

fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn touch(root: &Path, rel: &str, mode: u32) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        discover_hooks(dir)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect()
    }

    #[test]
    fn only_executables_outside_lib_hidden_and_doc_files_are_hooks() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        touch(root, "aa/exec.py", 0o777);
        touch(root, "check.py", 0o777);
        touch(root, "lib/lib.py", 0o777);
        touch(root, "sub/lib/deep.sh", 0o777);
        touch(root, "a.yaml", 0o777);
        touch(root, "notes.md", 0o777);
        touch(root, "c.json", 0o777);
        touch(root, "d.txt", 0o777);
        touch(root, ".hidden.sh", 0o777);
        touch(root, "sub/.dir/x.sh", 0o777);
        touch(root, "noexec.sh", 0o644);
        assert_eq!(names(root), vec!["aa/exec.py", "check.py"]);
    }

    #[test]
    fn excluded_directories_are_skipped_at_any_depth() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        touch(root, "venv/bin/python3", 0o755);
        touch(root, "sub/venv/x.sh", 0o755);
        touch(root, "sub/y.sh", 0o755);
        let found: Vec<String> = discover_hooks_excluding(root, &["venv"])
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(found, vec!["sub/y.sh"]);
        assert_eq!(names(root).len(), 3, "nothing is excluded by default");
    }

    #[test]
    fn hooks_are_sorted_by_path_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        touch(root, "b.sh", 0o755);
        touch(root, "a/z.sh", 0o755);
        touch(root, "B.sh", 0o755);
        touch(root, "a.sh", 0o755);
        assert_eq!(names(root), vec!["B.sh", "a.sh", "a/z.sh", "b.sh"]);
    }

    #[test]
    fn a_symlink_counts_as_an_executable_file() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        touch(root, "lib/real.sh", 0o644);
        symlink(root.join("lib/real.sh"), root.join("link.sh")).unwrap();
        let hooks = discover_hooks(root).unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].name, "link.sh");
        assert_eq!(hooks[0].path, root.join("link.sh"));
    }

    #[test]
    fn a_missing_hooks_dir_is_an_error_naming_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let err = resolve_hooks_dir(&missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("hooks directory: path '{}' not exist", missing.display())
        );
    }
}
