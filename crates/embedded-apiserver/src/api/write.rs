//! Create, update, delete and deletecollection.

use std::sync::Arc;

use serde_json::{Value, json};

use super::commit::{self, Part, WriteCtx, parse_body};
use super::params::{DeleteOptions, Propagation};
use super::present::{apply_scale, present, scale_view};
use super::{Call, Reply};
use crate::objects::{finalizers, meta_str, set_finalizers, set_meta};
use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::{self, ApiError, Target};
use crate::store::Txn;

/// Finalizer of dependents-first deletion.
pub const FOREGROUND: &str = "foregroundDeletion";
/// Finalizer of orphaning deletion.
pub const ORPHAN: &str = "orphan";

/// POST to a collection.
pub fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let obj = parse_body(&call.content_type, &call.body)?;
    let ctx = call.write_ctx(call.params.dry_run);
    let stored = call.srv.store.write(|txn| commit::create(txn, &ctx, obj))?;
    Ok(Reply::json(201, present(&call.rt, &stored)))
}

/// PUT to an object or its status/scale.
pub fn update(call: &Call<'_>, name: &str) -> Result<Reply, ApiError> {
    let body = parse_body(&call.content_type, &call.body)?;
    let ctx = call.write_ctx(call.params.dry_run);
    let rt = call.rt.clone();
    let sub = call.sub.as_deref();
    let stored = call.srv.store.write(|txn| {
        let Some(old) = txn.get(&ctx.key(), &ctx.namespace, name) else {
            return Err(ApiError::not_found(ctx.target(name)));
        };
        match sub {
            Some("scale") => {
                let current = meta_str(&old, "resourceVersion").unwrap_or_default();
                if let Some(rv) = meta_str(&body, "resourceVersion").filter(|rv| !rv.is_empty())
                    && rv != current
                {
                    return Err(ApiError::conflict(ctx.target(name)));
                }
                let mut new = (*old).clone();
                apply_scale(&rt, &mut new, &body);
                commit::update(txn, &ctx, &old, new, Part::Main)
            }
            Some("status") => commit::update(txn, &ctx, &old, body, Part::Status),
            _ => commit::update(txn, &ctx, &old, body, Part::Main),
        }
    })?;
    Ok(Reply::json(200, shape(&call.rt, sub, &stored)))
}

/// The response body for a write to `sub`.
pub fn shape(rt: &ResourceType, sub: Option<&str>, obj: &Value) -> Value {
    if sub == Some("scale") {
        scale_view(rt, obj)
    } else {
        present(rt, obj)
    }
}

/// What a delete did.
pub enum Deleted {
    /// The object is gone.
    Gone(Arc<Value>),
    /// The object waits for finalizers.
    Pending(Arc<Value>),
}

/// Deletes one object as the real registry does: finalizers keep it with a deletionTimestamp.
pub fn delete_object(
    txn: &mut Txn<'_>,
    ctx: &WriteCtx,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Deleted, ApiError> {
    let key = ctx.key();
    let Some(old) = txn.get(&key, &ctx.namespace, name) else {
        return Err(ApiError::not_found(ctx.target(name)));
    };
    if let Some(uid) = &opts.uid {
        let actual = meta_str(&old, "uid").unwrap_or_default();
        if uid != actual {
            return Err(ApiError::conflict_with(
                ctx.target(name),
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"
                ),
            ));
        }
    }
    if let Some(rv) = &opts.resource_version {
        let actual = meta_str(&old, "resourceVersion").unwrap_or_default();
        if rv != actual {
            return Err(ApiError::conflict_with(
                ctx.target(name),
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {actual}"
                ),
            ));
        }
    }
    if ctx.rt.group.is_empty()
        && ctx.rt.plural == "namespaces"
        && matches!(name, "default" | "kube-system" | "kube-public")
    {
        return Err(ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!(
                "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
            ),
            details: Some(json!({ "name": name, "kind": "namespaces" })),
        });
    }
    let mut list = finalizers(&old);
    match opts.propagation {
        Propagation::Foreground if !list.iter().any(|f| f == FOREGROUND) => {
            list.push(FOREGROUND.to_owned());
        }
        Propagation::Orphan if !list.iter().any(|f| f == ORPHAN) => list.push(ORPHAN.to_owned()),
        _ => {}
    }
    let is_namespace = ctx.rt.group.is_empty() && ctx.rt.plural == "namespaces";
    let deleting = !old["metadata"]["deletionTimestamp"].is_null();
    if list.is_empty() && !is_namespace && !deleting {
        if ctx.dry_run {
            return Ok(Deleted::Gone(old));
        }
        let gone = txn.remove(&key, &ctx.namespace, name).unwrap_or(old);
        return Ok(Deleted::Gone(gone));
    }
    let mut new = (*old).clone();
    if !deleting {
        set_meta(&mut new, "deletionTimestamp", json!(ctx.now));
        set_meta(&mut new, "deletionGracePeriodSeconds", json!(0));
    }
    if !deleting || list != finalizers(&old) {
        set_finalizers(&mut new, &list);
    }
    if is_namespace {
        crate::objects::set_path(&mut new, ".status.phase", json!("Terminating"));
    }
    if ctx.dry_run || new == *old {
        return Ok(Deleted::Pending(Arc::new(new)));
    }
    let stored = txn.put(&key, &ctx.namespace, name, new);
    if stored["metadata"]["deletionTimestamp"].is_null()
        || txn.get(&key, &ctx.namespace, name).is_none()
    {
        return Ok(Deleted::Gone(stored));
    }
    Ok(Deleted::Pending(stored))
}

/// DELETE of one object.
pub fn delete(call: &Call<'_>, name: &str) -> Result<Reply, ApiError> {
    let opts = DeleteOptions::from_request(&call.params, &call.body)?;
    let ctx = call.write_ctx(opts.dry_run);
    let outcome = call
        .srv
        .store
        .write(|txn| delete_object(txn, &ctx, name, &opts))?;
    Ok(match outcome {
        Deleted::Pending(obj) => Reply::json(200, present(&call.rt, &obj)),
        Deleted::Gone(obj) if call.rt.custom => Reply::json(200, present(&call.rt, &obj)),
        Deleted::Gone(obj) => {
            let uid = meta_str(&obj, "uid").unwrap_or_default();
            let target = Target {
                group: &call.rt.group,
                plural: &call.rt.plural,
                name,
            };
            Reply::json(200, status::success(target, uid))
        }
    })
}

/// DELETE of a collection, honouring label and field selectors.
pub fn delete_collection(call: &Call<'_>) -> Result<Reply, ApiError> {
    let labels = LabelSelector::parse(&call.params.label_selector)?;
    let fields = FieldSelector::parse(&call.params.field_selector)?;
    let opts = DeleteOptions::from_request(&call.params, &call.body)?;
    let ctx = call.write_ctx(opts.dry_run);
    let namespace = call.namespace.clone();
    let deleted = call.srv.store.write(|txn| {
        let names: Vec<(String, String)> = txn
            .state()
            .table(&ctx.key())
            .map(|t| {
                t.iter()
                    .filter(|((ns, _), _)| namespace.as_ref().is_none_or(|want| want == ns))
                    .filter(|(_, obj)| labels.matches(obj) && fields.matches(obj))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for (ns, name) in names {
            let ctx = WriteCtx {
                namespace: ns,
                ..ctx.clone()
            };
            match delete_object(txn, &ctx, &name, &opts)? {
                Deleted::Gone(o) | Deleted::Pending(o) => out.push(o),
            }
        }
        Ok::<_, ApiError>(out)
    })?;
    let items: Vec<Value> = deleted.iter().map(|o| present(&call.rt, o)).collect();
    Ok(Reply::json(
        200,
        json!({
            "kind": call.rt.list_kind(),
            "apiVersion": call.rt.api_version(),
            "metadata": {},
            "items": items,
        }),
    ))
}
