//! Helpers of the unit tests.

use std::path::Path;

use crate::discovery::discover;
use crate::module_set::{GlobalDef, ModuleSet};

/// Writes `text` to `path`, creating the parent directories.
pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// The modules of `root` (which must load without errors), with an empty ConfigMap.
pub fn module_set_in(root: &Path) -> ModuleSet {
    let found = discover(&[root.to_owned()], 1);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let global = GlobalDef {
        static_values: found.global_static,
        ..GlobalDef::default()
    };
    ModuleSet::new(found.modules, global)
}
