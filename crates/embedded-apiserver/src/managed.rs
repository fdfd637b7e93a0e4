//! Bridges to `k8s-patch`: patch metadata of built-in types, managedFields and server-side apply.

use serde_json::Value;

use crate::api::commit::WriteCtx;
use crate::resources::ResourceType;
use crate::status::{ApiError, Cause};

/// Lists of types `k8s-patch` has no metadata for are replaced whole.
struct AtomicLists;

impl k8s_patch::PatchMeta for AtomicLists {
    fn list_strategy(&self, _path: &[&str]) -> k8s_patch::ListStrategy {
        k8s_patch::ListStrategy::Atomic
    }
}

static ATOMIC_LISTS: AtomicLists = AtomicLists;

/// The strategic-merge metadata of a resource; `None` for custom resources, which refuse it.
pub fn patch_meta(rt: &ResourceType) -> Option<&'static dyn k8s_patch::PatchMeta> {
    if rt.custom {
        return None;
    }
    Some(k8s_patch::builtin_patch_meta(&rt.group, &rt.kind).unwrap_or(&ATOMIC_LISTS))
}

/// Records an `Update` managedFields entry for a non-apply write.
pub fn record(old: Option<&Value>, new: &mut Value, ctx: &WriteCtx) {
    k8s_patch::record_update(
        old,
        new,
        &ctx.manager,
        &ctx.rt.api_version(),
        &ctx.now,
        patch_meta(&ctx.rt),
    );
}

/// Maps a patch failure to the status the real server answers with.
pub fn patch_error(err: k8s_patch::PatchError) -> ApiError {
    // An if-chain rather than a match, so new variants in k8s-patch do not break this crate.
    if let k8s_patch::PatchError::Conflict(conflicts) = &err {
        let causes = conflicts
            .iter()
            .map(|c| Cause {
                reason: "FieldManagerConflict".to_owned(),
                message: c.message(),
                field: c.field.clone(),
            })
            .collect();
        ApiError::apply_conflict(err.to_string(), causes)
    } else if matches!(err, k8s_patch::PatchError::InvalidPatch(_)) {
        ApiError::bad_request(err.to_string())
    } else {
        ApiError {
            code: 422,
            reason: "Invalid",
            message: err.to_string(),
            details: None,
        }
    }
}

/// Runs server-side apply of `applied` onto `live`.
pub fn apply(
    ctx: &WriteCtx,
    live: Option<&Value>,
    applied: &Value,
    force: bool,
) -> Result<Value, ApiError> {
    let api_version = ctx.rt.api_version();
    k8s_patch::server_side_apply(&k8s_patch::ApplyRequest {
        live,
        applied,
        manager: &ctx.manager,
        force,
        api_version: &api_version,
        now: &ctx.now,
        meta: patch_meta(&ctx.rt),
    })
    .map_err(patch_error)
}
