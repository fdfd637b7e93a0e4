//! Applying operations to values with RFC 6902 semantics (the `json-patch` crate): strictly for
//! a hook's new patch (`add` needs the parent, `remove` of a missing path fails), leniently when
//! stored patches are replayed over recalculated values (a `remove` of a missing path is
//! skipped).

use serde_json::Value;

use super::PatchOperation;

/// An operation that does not apply to the values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("apply patch operation '{op}' for path '{path}': {reason}")]
pub struct ApplyError {
    /// `add` or `remove`.
    pub op: &'static str,
    /// The path.
    pub path: String,
    /// Why (`path is invalid`: a missing parent or a missing path to remove).
    pub reason: String,
}

/// Whether a `remove` of a missing path is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// Every operation must apply (a hook's new patch).
    Strict,
    /// `remove` of a missing path is skipped (replaying stored patches).
    IgnoreMissingRemoves,
}

/// Applies `operations` in order to a copy of `doc`; `doc` is untouched on error.
pub fn apply_operations(
    doc: &Value,
    operations: &[PatchOperation],
    mode: ApplyMode,
) -> Result<Value, ApplyError> {
    let mut result = doc.clone();
    for op in operations {
        if mode == ApplyMode::IgnoreMissingRemoves
            && op.value.is_none()
            && result.pointer(&op.path).is_none()
        {
            continue;
        }
        let err = |reason: String| ApplyError {
            op: op.op.as_str(),
            path: op.path.clone(),
            reason,
        };
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(vec![op.to_json()]))
            .map_err(|e| err(e.to_string()))?;
        json_patch::patch(&mut result, &patch).map_err(|e| err(e.kind.to_string()))?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strict(doc: Value, ops: &[PatchOperation]) -> Result<Value, String> {
        apply_operations(&doc, ops, ApplyMode::Strict).map_err(|e| e.to_string())
    }

    #[test]
    fn add_needs_an_existing_parent() {
        assert_eq!(
            strict(json!({"m": {}}), &[PatchOperation::add("/m/a/b", json!(1))]).unwrap_err(),
            "apply patch operation 'add' for path '/m/a/b': path is invalid"
        );
        assert_eq!(
            strict(
                json!({"m": {}}),
                &[PatchOperation::add("/m/a", json!({"b": 1}))]
            )
            .unwrap(),
            json!({"m": {"a": {"b": 1}}})
        );
    }

    #[test]
    fn add_replaces_an_existing_value_and_appends_to_arrays() {
        assert_eq!(
            strict(
                json!({"m": {"a": 1, "l": [1]}}),
                &[
                    PatchOperation::add("/m/a", json!(2)),
                    PatchOperation::add("/m/l/-", json!(2)),
                ]
            )
            .unwrap(),
            json!({"m": {"a": 2, "l": [1, 2]}})
        );
    }

    #[test]
    fn strict_remove_of_a_missing_path_fails_and_lenient_skips_it() {
        let doc = json!({"m": {"a": 1}});
        let ops = [
            PatchOperation::remove("/m/gone"),
            PatchOperation::remove("/m/a"),
        ];
        assert_eq!(
            strict(doc.clone(), &ops).unwrap_err(),
            "apply patch operation 'remove' for path '/m/gone': path is invalid"
        );
        assert_eq!(
            apply_operations(&doc, &ops, ApplyMode::IgnoreMissingRemoves).unwrap(),
            json!({"m": {}})
        );
    }

    #[test]
    fn lenient_mode_still_fails_an_add_without_parent() {
        let err = apply_operations(
            &json!({"m": {}}),
            &[PatchOperation::add("/m/x/y", json!(1))],
            ApplyMode::IgnoreMissingRemoves,
        )
        .unwrap_err();
        assert_eq!(err.path, "/m/x/y");
    }

    #[test]
    fn escaped_pointer_segments_are_understood() {
        assert_eq!(
            strict(
                json!({"m": {"a/b": 1}}),
                &[PatchOperation::remove("/m/a~1b")]
            )
            .unwrap(),
            json!({"m": {}})
        );
    }
}
