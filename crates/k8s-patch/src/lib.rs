//! Strategic merge patch and server-side apply field management for Kubernetes objects.
//!
//! Everything works on `serde_json::Value`: the embedded API server stores objects as JSON and hands
//! them here to compute the result of a `kubectl patch --type strategic`, a `kubectl apply`
//! (client-side, which sends strategic merge patches) or a server-side apply.
//!
//! ```
//! use serde_json::json;
//!
//! let meta = k8s_patch::builtin_patch_meta("apps", "Deployment").ok_or("built in")?;
//! let live = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "s:1"}
//! ]}}}});
//! let patch = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "app", "image": "app:2"}
//! ]}}}});
//! let out = k8s_patch::strategic_merge_patch(&live, &patch, meta)?;
//! assert_eq!(out["spec"]["template"]["spec"]["containers"][0]["image"], "app:2");
//! assert_eq!(out["spec"]["template"]["spec"]["containers"][1]["name"], "sidecar");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod error;
mod strategic;

pub use apply::{
    ApplyRequest, WriteScope, record_update, record_update_scoped, server_side_apply,
    server_side_apply_scoped,
};
pub use error::{FieldConflict, PatchError};
pub use strategic::{
    ListStrategy, PatchMeta, builtin_patch_meta, go_format, strategic_merge_patch,
};
