//! PATCH with JSON patch, merge patch, strategic merge patch and server-side apply.

use std::sync::Arc;

use serde_json::Value;

use super::admitted::{self, Change};
use super::commit::{self, Part};
use super::field_validation::{self, Directive, Shown};
use super::present::{apply_scale, present, scale_view};
use super::write::shape;
use super::{Call, Reply};
use crate::admission::Operation;
use crate::managed;
use crate::status::{ApiError, Cause};

/// A parsed patch body.
enum Patch {
    Json(json_patch::Patch),
    Merge(Value),
    Strategic(Value),
    Apply(Value),
}

fn parse(content_type: &str, body: &[u8]) -> Result<Patch, ApiError> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let json = |body: &[u8]| -> Result<Value, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
    };
    match media {
        "application/json-patch+json" => {
            let v = json(body)?;
            serde_json::from_value(v)
                .map(Patch::Json)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
        }
        "application/merge-patch+json" => Ok(Patch::Merge(json(body)?)),
        "application/strategic-merge-patch+json" => {
            let v = json(body)?;
            if !v.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: strategic merge patch must be a JSON object",
                ));
            }
            Ok(Patch::Strategic(v))
        }
        "application/apply-patch+yaml" => {
            let v: Value = serde_norway::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
            if !v.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding YAML: the applied configuration must be an object",
                ));
            }
            Ok(Patch::Apply(v))
        }
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

fn apply_patch(call: &Call<'_>, patch: &Patch, base: &Value) -> Result<Value, ApiError> {
    match patch {
        Patch::Json(p) => {
            let mut doc = base.clone();
            json_patch::patch(&mut doc, p).map_err(|e| ApiError {
                code: 422,
                reason: "Invalid",
                message: format!(
                    "the server rejected our request due to an error in our request: {e}"
                ),
                details: None,
            })?;
            Ok(doc)
        }
        Patch::Merge(p) => {
            let mut doc = base.clone();
            json_patch::merge(&mut doc, p);
            Ok(doc)
        }
        Patch::Strategic(p) => {
            let meta = managed::patch_meta(&call.rt).ok_or_else(|| {
                ApiError::unsupported_media_type("application/strategic-merge-patch+json")
            })?;
            k8s_patch::strategic_merge_patch(base, p, meta).map_err(managed::patch_error)
        }
        Patch::Apply(_) => Err(ApiError::internal("apply is handled separately")),
    }
}

/// PATCH of an object or its status/scale.
pub async fn patch(call: &Call<'_>, name: &str) -> Result<Reply, ApiError> {
    let patch = parse(&call.content_type, &call.body)?;
    if matches!(patch, Patch::Strategic(_)) && call.rt.custom {
        return Err(ApiError::unsupported_media_type(
            "application/strategic-merge-patch+json",
        ));
    }
    if matches!(patch, Patch::Apply(_)) && call.params.field_manager.is_none() {
        return Err(ApiError::invalid_field(
            "PatchOptions",
            "meta.k8s.io",
            "",
            Cause {
                reason: "FieldValueRequired".to_owned(),
                message: "Required value: is required for apply patch".to_owned(),
                field: "fieldManager".to_owned(),
            },
        ));
    }
    let directive = Directive::parse(call.params.field_validation.as_deref(), "PatchOptions")?;
    let sub = call.sub.as_deref();
    if let Patch::Apply(applied) = &patch
        && sub != Some("scale")
    {
        field_validation::check_applied(&call.rt, applied)?;
    }
    let mut ctx = call.write_ctx(call.params.dry_run);
    if matches!(patch, Patch::Apply(_)) {
        ctx.fields = commit::FieldOwnership::Applied;
    }
    let part = if sub == Some("status") {
        Part::Status
    } else {
        Part::Main
    };
    let force = call.params.force;
    let compute = |old: Option<&Arc<Value>>| -> Result<Change, ApiError> {
        match (&patch, old) {
            (Patch::Apply(applied), None) if sub.is_none() => {
                let mut applied = applied.clone();
                crate::objects::set_meta(&mut applied, "name", serde_json::json!(name));
                managed::apply(&ctx, None, &applied, force).map(Change::Create)
            }
            (_, None) => Err(ApiError::not_found(ctx.target(name))),
            (Patch::Apply(applied), Some(old)) => {
                let live = present(&call.rt, old);
                let base = if sub == Some("scale") {
                    scale_view(&call.rt, old)
                } else {
                    live.clone()
                };
                let patched = managed::apply(&ctx, Some(&base), applied, force)?;
                let new = if sub == Some("scale") {
                    let mut new = live;
                    apply_scale(&call.rt, &mut new, &patched);
                    new
                } else {
                    patched
                };
                Ok(Change::Update(new))
            }
            (p, Some(old)) => {
                let new = if sub == Some("scale") {
                    let patched = apply_patch(call, p, &scale_view(&call.rt, old))?;
                    let mut new = present(&call.rt, old);
                    apply_scale(&call.rt, &mut new, &patched);
                    new
                } else {
                    let new = apply_patch(call, p, &present(&call.rt, old))?;
                    let shown = match p {
                        Patch::Strategic(patch) => Shown::StrategicPatch(patch),
                        _ => Shown::Patched,
                    };
                    field_validation::check_patched(call, directive, &new, shown)?;
                    new
                };
                Ok(Change::Update(new))
            }
        }
    };
    let operations: &[Operation] = if matches!(patch, Patch::Apply(_)) {
        &[Operation::Create, Operation::Update]
    } else {
        &[Operation::Update]
    };
    if call.calls_out(operations) {
        let (code, stored) = admitted::update(call, &ctx, name, part, true, compute).await?;
        return Ok(Reply::json(code, shape(&call.rt, sub, &stored)));
    }
    let (code, stored) = call.srv.store.write(|txn| {
        let old = txn.get(&ctx.key(), &ctx.namespace, name);
        match (compute(old.as_ref())?, old) {
            (Change::Create(new), _) => commit::create(txn, &ctx, new).map(|o| (201, o)),
            (Change::Update(new), Some(old)) => {
                commit::update(txn, &ctx, &old, new, part).map(|o| (200, o))
            }
            (Change::Update(_), None) => Err(ApiError::not_found(ctx.target(name))),
        }
    })?;
    Ok(Reply::json(code, shape(&call.rt, sub, &stored)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_patch_types_are_unsupported_media() {
        let err = parse("text/plain", b"{}").err().unwrap();
        assert_eq!((err.code, err.reason), (415, "UnsupportedMediaType"));
    }

    #[test]
    fn malformed_patch_bodies_are_bad_requests() {
        for ct in [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        ] {
            let err = parse(ct, b"{not json").err().unwrap();
            assert_eq!(err.code, 400, "{ct}");
        }
        let err = parse("application/json-patch+json", br#"{"op":"add"}"#)
            .err()
            .unwrap();
        assert_eq!(err.code, 400);
    }

    #[test]
    fn apply_bodies_are_yaml() {
        assert!(matches!(
            parse(
                "application/apply-patch+yaml",
                b"kind: ConfigMap\ndata:\n  a: b\n"
            ),
            Ok(Patch::Apply(_))
        ));
    }
}
