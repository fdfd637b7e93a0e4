//! The values patches hooks stored for one values owner (`global` or a module), kept compacted
//! in memory and replayed leniently over the recalculated values (reference §2.1 layer 6).

use serde_json::{Map, Value};

use crate::patch::PatchOperation;
use crate::patch::apply::{ApplyError, ApplyMode, apply_operations};
use crate::patch::compact::compact;

/// Stored values patches of one owner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredPatches {
    operations: Vec<PatchOperation>,
}

impl StoredPatches {
    /// The compacted operations, sorted by path (`module patches` shows them).
    pub fn operations(&self) -> &[PatchOperation] {
        &self.operations
    }

    /// Adds a hook's operations, compacting.
    pub fn append(&mut self, operations: &[PatchOperation]) {
        self.operations = compact(&self.operations, operations);
    }

    /// Forgets every patch (module deleted).
    pub fn clear(&mut self) {
        self.operations.clear();
    }

    /// The effective values: `base` (the layers below the patches) under `key`, with the stored
    /// operations replayed; a `remove` of a missing path is skipped.
    pub fn replay(
        &self,
        key: &str,
        base: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ApplyError> {
        if self.operations.is_empty() {
            return Ok(base.clone());
        }
        let doc = wrap(key, Value::Object(base.clone()));
        let patched = apply_operations(&doc, &self.operations, ApplyMode::IgnoreMissingRemoves)?;
        Ok(section_map(patched, key))
    }
}

/// `{key: value}`.
pub(crate) fn wrap(key: &str, value: Value) -> Value {
    let mut doc = Map::new();
    doc.insert(key.to_owned(), value);
    Value::Object(doc)
}

/// The map under `key` of a patched document (`{}` when a patch removed it or made it a
/// non-map).
fn section_map(doc: Value, key: &str) -> Map<String, Value> {
    match doc {
        Value::Object(mut map) => match map.remove(key) {
            Some(Value::Object(section)) => section,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn replay_applies_the_compacted_patches_and_skips_removes_of_missing_paths() {
        let mut stored = StoredPatches::default();
        stored.append(&[
            PatchOperation::add("/m/internal", json!({})),
            PatchOperation::add("/m/internal/a", json!(1)),
            PatchOperation::remove("/m/gone"),
        ]);
        assert_eq!(stored.operations().len(), 3);
        let base = map(json!({"x": 1}));
        assert_eq!(
            Value::Object(stored.replay("m", &base).unwrap()),
            json!({"x": 1, "internal": {"a": 1}})
        );
        stored.append(&[PatchOperation::remove("/m/internal")]);
        assert_eq!(
            stored.operations(),
            &[
                PatchOperation::remove("/m/gone"),
                PatchOperation::remove("/m/internal")
            ]
        );
        assert_eq!(
            Value::Object(stored.replay("m", &base).unwrap()),
            json!({"x": 1})
        );
        stored.clear();
        assert!(stored.operations().is_empty());
    }
}
