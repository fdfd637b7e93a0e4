//! Helpers of the unit tests.

use std::path::Path;

/// Writes `text` to `path`, creating the parent directories.
pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}
