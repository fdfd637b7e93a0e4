//! Values patches written by hooks to `$VALUES_JSON_PATCH_PATH` and
//! `$CONFIG_VALUES_JSON_PATCH_PATH`: the JSON stream format ([`parse`]), the rules on what a hook
//! may patch ([`rules`]), applying them strictly or for replay ([`apply`]), compacting stored
//! patches ([`compact`]) and the `*Enabled` flags global hooks set ([`enabled`]).

pub mod apply;
pub mod compact;
pub mod enabled;
pub mod parse;
pub mod rules;

use std::fmt;

use serde_json::{Map, Value};

/// Env var with the path of the in-memory values patch file.
pub const VALUES_JSON_PATCH_PATH: &str = "VALUES_JSON_PATCH_PATH";
/// Env var with the path of the config values patch file (persisted to the ConfigMap).
pub const CONFIG_VALUES_JSON_PATCH_PATH: &str = "CONFIG_VALUES_JSON_PATCH_PATH";

/// Which patch file an operation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchFile {
    /// `$VALUES_JSON_PATCH_PATH`: in-memory values.
    Values,
    /// `$CONFIG_VALUES_JSON_PATCH_PATH`: config values, written to the ConfigMap.
    ConfigValues,
}

impl PatchFile {
    /// The env var naming the file.
    pub fn env_var(self) -> &'static str {
        match self {
            PatchFile::Values => VALUES_JSON_PATCH_PATH,
            PatchFile::ConfigValues => CONFIG_VALUES_JSON_PATCH_PATH,
        }
    }
}

impl fmt::Display for PatchFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.env_var())
    }
}

/// The two operations hooks may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    /// `add`: sets the value at `path` (its parent must exist).
    Add,
    /// `remove`: deletes the value at `path`.
    Remove,
}

impl PatchOp {
    /// The RFC 6902 name.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOp::Add => "add",
            PatchOp::Remove => "remove",
        }
    }
}

/// One checked operation: `add` always carries a value, `remove` never does.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// `add` or `remove`.
    pub op: PatchOp,
    /// An RFC 6901 JSON pointer starting with `/<root key>`.
    pub path: String,
    /// The value of an `add`.
    pub value: Option<Value>,
}

impl PatchOperation {
    /// An `add` of `value` at `path`.
    pub fn add(path: impl Into<String>, value: Value) -> PatchOperation {
        PatchOperation {
            op: PatchOp::Add,
            path: path.into(),
            value: Some(value),
        }
    }

    /// A `remove` of `path`.
    pub fn remove(path: impl Into<String>) -> PatchOperation {
        PatchOperation {
            op: PatchOp::Remove,
            path: path.into(),
            value: None,
        }
    }

    /// The operation as JSON (`{"op":"add","path":"/a","value":1}`), as `module patches` shows it.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("op".to_owned(), Value::from(self.op.as_str()));
        map.insert("path".to_owned(), Value::from(self.path.as_str()));
        if let Some(value) = &self.value {
            map.insert("value".to_owned(), value.clone());
        }
        Value::Object(map)
    }
}

/// Operations as a JSON array.
pub fn to_json(operations: &[PatchOperation]) -> Value {
    Value::Array(operations.iter().map(PatchOperation::to_json).collect())
}
