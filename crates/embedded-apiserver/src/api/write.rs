//! Create, update, delete and deletecollection.

use std::sync::Arc;

use serde_json::{Value, json};

use super::admitted::{self, Change};
use super::commit::{self, Part, WriteCtx, parse_body};
use super::field_validation::{self, Directive};
use super::params::{DeleteOptions, Propagation};
use super::present::{apply_scale, item_bytes, present, scale_view};
use super::{Call, Reply};
use crate::admission::Operation;
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
pub async fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let obj = parse_body(&call.content_type, &call.body)?;
    let directive = Directive::parse(call.params.field_validation.as_deref(), "CreateOptions")?;
    field_validation::check_body(call, directive, &obj)?;
    let ctx = call.write_ctx(call.params.dry_run);
    let stored = if call.calls_out(&[Operation::Create]) {
        admitted::create(call, &ctx, obj, false).await?
    } else {
        call.srv.store.write(|txn| commit::create(txn, &ctx, obj))?
    };
    Ok(Reply::bytes(201, item_bytes(&call.rt, &stored)))
}

/// The new object of a PUT to `sub`, from the current object at the request's version.
fn put_body(call: &Call<'_>, name: &str, old: &Value, body: &Value) -> Result<Value, ApiError> {
    if call.sub.as_deref() == Some("scale") {
        let current = meta_str(old, "resourceVersion").unwrap_or_default();
        if let Some(rv) = meta_str(body, "resourceVersion").filter(|rv| !rv.is_empty())
            && rv != current
        {
            return Err(ApiError::conflict(call.target(name)));
        }
        let mut new = old.clone();
        apply_scale(&call.rt, &mut new, body);
        return Ok(new);
    }
    Ok(body.clone())
}

/// PUT to an object or its status/scale.
pub async fn update(call: &Call<'_>, name: &str) -> Result<Reply, ApiError> {
    let body = parse_body(&call.content_type, &call.body)?;
    let directive = Directive::parse(call.params.field_validation.as_deref(), "UpdateOptions")?;
    let ctx = call.write_ctx(call.params.dry_run);
    let sub = call.sub.as_deref();
    if sub != Some("scale") {
        field_validation::check_body(call, directive, &body)?;
    }
    let part = if sub == Some("status") {
        Part::Status
    } else {
        Part::Main
    };
    if call.calls_out(&[Operation::Update]) {
        let (_, stored) = admitted::update(call, &ctx, name, part, false, |old| match old {
            Some(old) => put_body(call, name, old, &body).map(Change::Update),
            None => Err(ApiError::not_found(call.target(name))),
        })
        .await?;
        return Ok(Reply::json(200, shape(&call.rt, sub, &stored)));
    }
    let stored = call.srv.store.write(|txn| {
        let Some(old) = txn.get(&ctx.key(), &ctx.namespace, name) else {
            return Err(ApiError::not_found(ctx.target(name)));
        };
        let new = put_body(call, name, &old, &body)?;
        commit::update(txn, &ctx, &old, new, part)
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
        || txn.stored(&key, &ctx.namespace, name).is_none()
    {
        return Ok(Deleted::Gone(stored));
    }
    Ok(Deleted::Pending(stored))
}

/// DELETE of one object.
pub async fn delete(call: &Call<'_>, name: &str) -> Result<Reply, ApiError> {
    let opts = DeleteOptions::from_request(&call.params, &call.body)?;
    let ctx = call.write_ctx(opts.dry_run);
    let outcome = if call.calls_out(&[Operation::Delete]) {
        admitted::delete(call, &ctx, name, &opts).await?
    } else {
        call.srv
            .store
            .write(|txn| delete_object(txn, &ctx, name, &opts))?
    };
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

/// The `(namespace, name)` of the objects a collection delete selects.
fn selected(
    state: &crate::store::State,
    ctx: &WriteCtx,
    namespace: Option<&String>,
    labels: &LabelSelector,
    fields: &FieldSelector,
) -> Vec<(String, String)> {
    state
        .table(&ctx.key())
        .map(|t| {
            t.iter()
                .filter(|((ns, _), _)| namespace.is_none_or(|want| want == ns))
                .filter(|((ns, name), obj)| obj.matches(ns, name, labels, fields))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// DELETE of a collection, honouring label and field selectors.
pub async fn delete_collection(call: &Call<'_>) -> Result<Reply, ApiError> {
    let labels = LabelSelector::parse(&call.params.label_selector)?;
    let fields = FieldSelector::parse(&call.params.field_selector)?;
    let opts = DeleteOptions::from_request(&call.params, &call.body)?;
    let ctx = call.write_ctx(opts.dry_run);
    let namespace = call.namespace.clone();
    if call.calls_out(&[Operation::Delete]) {
        // Each object goes through admission on its own, as the real server deletes them one by one.
        let names = call
            .srv
            .store
            .read(|s| selected(s, &ctx, namespace.as_ref(), &labels, &fields));
        let mut items = Vec::new();
        for (ns, name) in names {
            let ctx = WriteCtx {
                namespace: ns,
                ..ctx.clone()
            };
            match admitted::delete(call, &ctx, &name, &opts).await {
                Ok(Deleted::Gone(o) | Deleted::Pending(o)) => items.push(present(&call.rt, &o)),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(collection_reply(call, items));
    }
    let deleted = call.srv.store.write(|txn| {
        let names = selected(txn.state(), &ctx, namespace.as_ref(), &labels, &fields);
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
    Ok(collection_reply(call, items))
}

fn collection_reply(call: &Call<'_>, items: Vec<Value>) -> Reply {
    Reply::json(
        200,
        json!({
            "kind": call.rt.list_kind(),
            "apiVersion": call.rt.api_version(),
            "metadata": {},
            "items": items,
        }),
    )
}
