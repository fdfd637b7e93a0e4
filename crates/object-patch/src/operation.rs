//! Validated operations of a patch file.

use jq_filter::JqFilter;
use serde_json::Value;

/// What happens when the object to create already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    /// `Create`: AlreadyExists is an error.
    Create,
    /// `CreateIfNotExists`: AlreadyExists is ignored.
    IfNotExists,
    /// `CreateOrUpdate`: AlreadyExists leads to a full PUT with the current resourceVersion.
    OrUpdate,
}

/// Propagation policy of a delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    /// `Delete`: Foreground, then wait until the object is gone.
    Foreground,
    /// `DeleteInBackground`.
    Background,
    /// `DeleteNonCascading`: Orphan.
    NonCascading,
}

/// The action of one operation.
#[derive(Debug)]
pub enum Action {
    /// Create an object (apiVersion, kind and namespace come from the object).
    Create {
        /// The object.
        object: Value,
        /// What to do when it exists.
        mode: CreateMode,
    },
    /// Delete the target.
    Delete(DeleteMode),
    /// GET, run jq on the whole object, PUT when the result differs.
    JqPatch(JqFilter),
    /// PATCH `application/merge-patch+json`.
    MergePatch(Value),
    /// PATCH `application/json-patch+json`.
    JsonPatch(json_patch::Patch),
}

/// Which object an operation is about (unused by `Create*`, which take it from the object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// `apiVersion`; empty for the preferred version.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `namespace`; empty for cluster-scoped objects.
    pub namespace: String,
    /// `name`.
    pub name: String,
    /// `subresource`, used by the patch operations only (as upstream).
    pub subresource: String,
}

/// One validated operation of a patch file.
#[derive(Debug)]
pub struct Operation {
    /// What to do.
    pub action: Action,
    /// On which object.
    pub target: Target,
    /// NotFound is not an error.
    pub ignore_missing_object: bool,
    /// The engine applies this operation even when the hook failed.
    pub ignore_hook_error: bool,
}

impl Operation {
    /// The name of the operation as written in the file.
    pub fn name(&self) -> &'static str {
        match &self.action {
            Action::Create {
                mode: CreateMode::Create,
                ..
            } => "Create",
            Action::Create {
                mode: CreateMode::IfNotExists,
                ..
            } => "CreateIfNotExists",
            Action::Create {
                mode: CreateMode::OrUpdate,
                ..
            } => "CreateOrUpdate",
            Action::Delete(DeleteMode::Foreground) => "Delete",
            Action::Delete(DeleteMode::Background) => "DeleteInBackground",
            Action::Delete(DeleteMode::NonCascading) => "DeleteNonCascading",
            Action::JqPatch(_) => "JQPatch",
            Action::MergePatch(_) => "MergePatch",
            Action::JsonPatch(_) => "JSONPatch",
        }
    }

    /// A description for error messages, e.g. `MergePatch ConfigMap default/cm`.
    pub fn description(&self) -> String {
        let (kind, namespace, name) = match &self.action {
            Action::Create { object, .. } => {
                let meta = object.get("metadata");
                let field = |f: &str| {
                    meta.and_then(|m| m.get(f))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                };
                (
                    object
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    field("namespace"),
                    field("name"),
                )
            }
            _ => (
                self.target.kind.as_str(),
                self.target.namespace.as_str(),
                self.target.name.as_str(),
            ),
        };
        if namespace.is_empty() {
            format!("{} {kind} {name}", self.name())
        } else {
            format!("{} {kind} {namespace}/{name}", self.name())
        }
    }
}
