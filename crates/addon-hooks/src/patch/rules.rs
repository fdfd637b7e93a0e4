//! What a hook may patch (upstream's `ValidateHookValuesPatch`): `add` and `remove` only, a module
//! hook only `/<moduleKey>/...`, a global hook `/global/...` and `/<module>Enabled`. The
//! `*Enabled` operations of a global hook are split out: they set the dynamic enabled flags, not
//! values.
//!
//! Messages keep upstream's wording; where upstream appends the operation's value, the path is
//! shown instead (values are never put in messages).

use serde_json::Value;

use super::enabled::{ENABLED_SUFFIX, EnabledOperation};
use super::parse::RawOperation;
use super::{PatchOp, PatchOperation};

/// The key global values live under.
pub const GLOBAL_KEY: &str = "global";

/// Whose patch it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchScope<'a> {
    /// A global hook: `/global/...` and `/<module>Enabled`.
    Global,
    /// A module hook: `/<key>/...` only.
    Module {
        /// The module's values key (`someModule`).
        key: &'a str,
    },
}

impl PatchScope<'_> {
    /// The root key the values operations must start with.
    pub fn root_key(&self) -> &str {
        match self {
            PatchScope::Global => GLOBAL_KEY,
            PatchScope::Module { key } => key,
        }
    }
}

/// A patch that follows the rules, split by destination.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedPatch {
    /// Operations on values (`/global/...` or `/<key>/...`), in file order.
    pub operations: Vec<PatchOperation>,
    /// `*Enabled` operations of a global hook, in file order.
    pub enabled: Vec<EnabledOperation>,
}

/// An operation a hook may not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Anything but `add` and `remove` (upstream rejects `replace`; `move`, `copy` and `test`
    /// cannot be compacted or replayed and are rejected too).
    #[error("unsupported patch operation '{op}': path '{path}'")]
    UnsupportedOperation {
        /// The op as written.
        op: String,
        /// Its path.
        path: String,
    },
    /// A path outside the permitted root.
    #[error("unacceptable patch operation for path '{root}' ({permitted}): path '{path}'")]
    UnacceptableRoot {
        /// The first segment of the path.
        root: String,
        /// `only 'someModule' accepted` or `only 'global' and '*Enabled' are permitted`.
        permitted: String,
        /// The whole path.
        path: String,
    },
    /// An `add` without `value`.
    #[error("patch operation 'add' for path '{path}' has no value")]
    MissingValue {
        /// The path.
        path: String,
    },
    /// A `*Enabled` operation that is not on the flag itself or whose value is not a boolean.
    #[error(
        "patch operation for path '{path}': a '*Enabled' flag takes true, false, \"true\" or \"false\" at '/<module>Enabled'"
    )]
    BadEnabled {
        /// The path.
        path: String,
    },
}

/// Checks every operation of one file; the first violation rejects the whole file.
pub fn check_operations(
    raw: Vec<RawOperation>,
    scope: PatchScope<'_>,
) -> Result<CheckedPatch, RuleError> {
    let mut checked = CheckedPatch::default();
    for op in raw {
        let kind = match op.op.as_str() {
            "add" => PatchOp::Add,
            "remove" => PatchOp::Remove,
            _ => {
                return Err(RuleError::UnsupportedOperation {
                    op: op.op,
                    path: op.path,
                });
            }
        };
        let root = root_of(&op.path);
        if root == scope.root_key() && op.path.starts_with('/') {
            let value = match kind {
                PatchOp::Add => Some(op.value.ok_or_else(|| RuleError::MissingValue {
                    path: op.path.clone(),
                })?),
                PatchOp::Remove => None,
            };
            checked.operations.push(PatchOperation {
                op: kind,
                path: op.path,
                value,
            });
            continue;
        }
        if scope == PatchScope::Global && root.ends_with(ENABLED_SUFFIX) {
            checked
                .enabled
                .push(enabled_operation(kind, &op.path, op.value)?);
            continue;
        }
        let permitted = match scope {
            PatchScope::Global => {
                format!("only '{GLOBAL_KEY}' and '*{ENABLED_SUFFIX}' are permitted")
            }
            PatchScope::Module { key } => format!("only '{key}' accepted"),
        };
        return Err(RuleError::UnacceptableRoot {
            root: root.to_owned(),
            permitted,
            path: op.path,
        });
    }
    Ok(checked)
}

/// The first segment of a JSON pointer (`/a/b` → `a`), `""` for `""` and `/`.
fn root_of(path: &str) -> &str {
    let rest = path.strip_prefix('/').unwrap_or("");
    rest.split('/').next().unwrap_or("")
}

/// `add` true/false/"true"/"false" sets the flag, `remove` (with or without a value) clears it.
fn enabled_operation(
    kind: PatchOp,
    path: &str,
    value: Option<Value>,
) -> Result<EnabledOperation, RuleError> {
    let bad = || RuleError::BadEnabled {
        path: path.to_owned(),
    };
    let flag = path
        .strip_prefix('/')
        .filter(|k| !k.contains('/'))
        .ok_or_else(bad)?;
    let key = flag
        .strip_suffix(ENABLED_SUFFIX)
        .filter(|k| !k.is_empty())
        .ok_or_else(bad)?;
    let enabled = match kind {
        PatchOp::Remove => None,
        PatchOp::Add => Some(match value {
            Some(Value::Bool(b)) => b,
            Some(Value::String(s)) if s == "true" => true,
            Some(Value::String(s)) if s == "false" => false,
            _ => return Err(bad()),
        }),
    };
    Ok(EnabledOperation {
        key: key.to_owned(),
        enabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::PatchFile;
    use crate::patch::parse::parse_patch_file;
    use serde_json::json;

    fn check(text: &str, scope: PatchScope<'_>) -> Result<CheckedPatch, String> {
        let raw = parse_patch_file(PatchFile::Values, text.as_bytes()).unwrap();
        check_operations(raw, scope).map_err(|e| e.to_string())
    }

    const MODULE: PatchScope<'static> = PatchScope::Module { key: "someModule" };

    #[test]
    fn replace_is_unsupported() {
        assert_eq!(
            check(
                r#"[{"op":"replace","path":"/someModule/a","value":1}]"#,
                MODULE
            )
            .unwrap_err(),
            "unsupported patch operation 'replace': path '/someModule/a'"
        );
        assert_eq!(
            check(
                r#"{"op":"move","from":"/someModule/a","path":"/someModule/b"}"#,
                MODULE
            )
            .unwrap_err(),
            "unsupported patch operation 'move': path '/someModule/b'"
        );
    }

    #[test]
    fn a_module_hook_may_only_patch_its_own_key() {
        assert_eq!(
            check(r#"[{"op":"add","path":"/global/x","value":1}]"#, MODULE).unwrap_err(),
            "unacceptable patch operation for path 'global' (only 'someModule' accepted): path '/global/x'"
        );
        assert_eq!(
            check(
                r#"[{"op":"add","path":"/fooEnabled","value":true}]"#,
                MODULE
            )
            .unwrap_err(),
            "unacceptable patch operation for path 'fooEnabled' (only 'someModule' accepted): path '/fooEnabled'"
        );
        // Upstream lets the empty pointer (the whole document) through; it is rejected here.
        assert_eq!(
            check(r#"[{"op":"add","path":"","value":{}}]"#, MODULE).unwrap_err(),
            "unacceptable patch operation for path '' (only 'someModule' accepted): path ''"
        );
        let ok = check(
            r#"{"op":"add","path":"/someModule/param3","value":"newValue"}
{"op":"remove","path":"/someModule/old","value":"ignored"}"#,
            MODULE,
        )
        .unwrap();
        assert_eq!(
            ok.operations,
            vec![
                PatchOperation::add("/someModule/param3", json!("newValue")),
                PatchOperation::remove("/someModule/old"),
            ]
        );
        assert!(ok.enabled.is_empty());
    }

    #[test]
    fn a_global_hook_may_patch_global_and_enabled_flags_which_are_split_out() {
        assert_eq!(
            check(
                r#"[{"op":"add","path":"/someModule/x","value":1}]"#,
                PatchScope::Global
            )
            .unwrap_err(),
            "unacceptable patch operation for path 'someModule' (only 'global' and '*Enabled' are permitted): path '/someModule/x'"
        );
        let ok = check(
            r#"[{"op":"add","path":"/global/a","value":1},
                {"op":"add","path":"/fooEnabled","value":false},
                {"op":"add","path":"/barEnabled","value":"true"},
                {"op":"remove","path":"/bazEnabled"}]"#,
            PatchScope::Global,
        )
        .unwrap();
        assert_eq!(
            ok.operations,
            vec![PatchOperation::add("/global/a", json!(1))]
        );
        let flags: Vec<(&str, Option<bool>)> = ok
            .enabled
            .iter()
            .map(|e| (e.key.as_str(), e.enabled))
            .collect();
        assert_eq!(
            flags,
            vec![("foo", Some(false)), ("bar", Some(true)), ("baz", None)]
        );
    }

    #[test]
    fn enabled_flags_need_a_boolean_at_the_flag_itself() {
        for text in [
            r#"{"op":"add","path":"/fooEnabled","value":"yes"}"#,
            r#"{"op":"add","path":"/fooEnabled"}"#,
            r#"{"op":"add","path":"/fooEnabled/x","value":true}"#,
            r#"{"op":"add","path":"/Enabled","value":true}"#,
        ] {
            let err = check(text, PatchScope::Global).unwrap_err();
            assert!(err.starts_with("patch operation for path '/"), "{err}");
        }
    }

    #[test]
    fn an_add_needs_a_value_but_null_is_one() {
        assert_eq!(
            check(r#"{"op":"add","path":"/global/a"}"#, PatchScope::Global).unwrap_err(),
            "patch operation 'add' for path '/global/a' has no value"
        );
        let ok = check(
            r#"{"op":"add","path":"/global/a","value":null}"#,
            PatchScope::Global,
        )
        .unwrap();
        assert_eq!(ok.operations[0].value, Some(Value::Null));
    }
}
