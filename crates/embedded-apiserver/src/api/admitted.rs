//! Writes that call out before committing: admission webhooks and conversion webhooks.
//!
//! The real server runs admission inside its optimistic update loop; so does this: read the
//! current object, compute and mutate the new one, check it in a dry run, validate it, convert it
//! to the storage version, then store it only if nobody wrote the object meanwhile (else retry).

use std::sync::Arc;

use serde_json::{Value, json};

use super::Call;
use super::commit::{self, Part, WriteCtx};
use super::params::DeleteOptions;
use super::present::{apply_scale, scale_view};
use super::write::{Deleted, delete_object};
use crate::admission::Operation;
use crate::objects::{meta_str, set_meta};
use crate::status::ApiError;
use crate::store::Stored;

/// Attempts of the optimistic loop before giving up with a conflict.
const ATTEMPTS: usize = 8;

/// What a PUT or PATCH turns the current object (at the request's version) into.
pub enum Change {
    /// A new version of the existing object.
    Update(Value),
    /// A new object (server-side apply of a missing object).
    Create(Value),
}

fn rv(obj: Option<&Arc<Stored>>) -> Option<u64> {
    obj.map(|o| o.resource_version())
}

/// The stored object at the request's version.
pub async fn from_storage(call: &Call<'_>, obj: Arc<Value>) -> Result<Arc<Value>, ApiError> {
    if call.srv.converter.needs_webhook(&call.rt, &obj) {
        call.srv.converter.convert_one(&call.rt, obj).await
    } else {
        Ok(obj)
    }
}

/// An object at the request's version in the storage version (webhook conversion only).
async fn to_storage(call: &Call<'_>, obj: Arc<Value>) -> Result<Value, ApiError> {
    if call.srv.converter.webhook_for(&call.rt).is_some() {
        let key = call.rt.storage_key();
        let storage = call.srv.store.read(|s| s.registry.storage_type(&key));
        if let Some(storage) = storage.filter(|s| s.version != call.rt.version) {
            let converted = call.srv.converter.convert_one(&storage, obj).await?;
            return Ok(Arc::unwrap_or_clone(converted));
        }
    }
    Ok(Arc::unwrap_or_clone(obj))
}

/// A dry-run copy of `ctx`: computes what would be stored without storing it.
fn checking(ctx: &WriteCtx) -> WriteCtx {
    WriteCtx {
        dry_run: true,
        ..ctx.clone()
    }
}

/// POST (or apply) of a new object through admission and conversion; returns it at the
/// request's version.
pub async fn create(
    call: &Call<'_>,
    ctx: &WriteCtx,
    mut obj: Value,
    patch: bool,
) -> Result<Arc<Value>, ApiError> {
    commit::check_type(&call.rt, &mut obj)?;
    let namespace = call.namespace.clone().unwrap_or_default();
    if call.rt.namespaced {
        if let Some(ns) = meta_str(&obj, "namespace").filter(|ns| !ns.is_empty())
            && ns != namespace
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        set_meta(&mut obj, "namespace", json!(namespace));
    }
    let dry_run = ctx.dry_run;
    let name = meta_str(&obj, "name").unwrap_or_default().to_owned();
    let mut attrs = call.attributes(Operation::Create, &name, &namespace, patch, dry_run);
    let mut warnings = Vec::new();
    let result = async {
        let obj = call
            .srv
            .admission
            .mutate(&attrs, Some(obj), None, &mut warnings)
            .await?
            .unwrap_or_else(|| json!({}));
        let check = checking(ctx);
        let candidate = call
            .srv
            .store
            .write(|txn| commit::create(txn, &check, obj))?;
        attrs.name = meta_str(&candidate, "name").unwrap_or_default().to_owned();
        call.srv
            .admission
            .validate(&attrs, Some(&candidate), None, &mut warnings)
            .await?;
        if dry_run {
            return Ok(candidate);
        }
        let stored = to_storage(call, candidate).await?;
        let name = attrs.name.clone();
        let stored = call.srv.store.write(|txn| {
            if txn.stored(&ctx.key(), &ctx.namespace, &name).is_some() {
                return Err(ApiError::already_exists(ctx.target(&name)));
            }
            if ctx.rt.namespaced {
                commit::check_namespace(txn, ctx, &name)?;
            }
            Ok(txn.put(&ctx.key(), &ctx.namespace, &name, stored))
        })?;
        from_storage(call, stored).await
    }
    .await;
    call.warnings.add(warnings);
    result
}

/// PUT or PATCH through admission and conversion. `compute` maps the current object at the
/// request's version (if any) to the change; it runs again when the object changed meanwhile.
pub async fn update<F>(
    call: &Call<'_>,
    ctx: &WriteCtx,
    name: &str,
    part: Part,
    patch: bool,
    compute: F,
) -> Result<(u16, Arc<Value>), ApiError>
where
    F: Fn(Option<&Arc<Value>>) -> Result<Change, ApiError>,
{
    let key = call.rt.storage_key();
    let namespace = ctx.namespace.clone();
    let dry_run = ctx.dry_run;
    let mut warnings = Vec::new();
    let result = async {
        for _ in 0..ATTEMPTS {
            let current = call
                .srv
                .store
                .read(|s| s.stored(&key, &namespace, name).cloned());
            let old_rv = rv(current.as_ref());
            let old = match current {
                Some(o) => Some(from_storage(call, Arc::new(o.value())).await?),
                None => None,
            };
            let new = match compute(old.as_ref())? {
                Change::Create(new) => {
                    return create(call, ctx, new, patch).await.map(|o| (201, o));
                }
                Change::Update(new) => new,
            };
            let Some(old) = old else {
                return Err(ApiError::not_found(call.target(name)));
            };
            let attrs = call.attributes(Operation::Update, name, &namespace, patch, dry_run);
            let admission = &call.srv.admission;
            let new = if attrs.sub == "scale" {
                let view = scale_view(&call.rt, &new);
                let old_view = scale_view(&call.rt, &old);
                let mutated = admission
                    .mutate(&attrs, Some(view), Some(&old_view), &mut warnings)
                    .await?;
                let mut new = new;
                if let Some(scale) = mutated {
                    apply_scale(&call.rt, &mut new, &scale);
                }
                new
            } else {
                admission
                    .mutate(&attrs, Some(new), Some(&old), &mut warnings)
                    .await?
                    .unwrap_or_else(|| json!({}))
            };
            let check = checking(ctx);
            let candidate = call.srv.store.write(|txn| {
                if rv(txn.stored(&key, &namespace, name)) != old_rv {
                    return Ok(None);
                }
                commit::update(txn, &check, &old, new, part).map(Some)
            })?;
            let Some(candidate) = candidate else {
                continue;
            };
            if attrs.sub == "scale" {
                let (view, old_view) =
                    (scale_view(&call.rt, &candidate), scale_view(&call.rt, &old));
                admission
                    .validate(&attrs, Some(&view), Some(&old_view), &mut warnings)
                    .await?;
            } else {
                admission
                    .validate(&attrs, Some(&candidate), Some(&old), &mut warnings)
                    .await?;
            }
            if dry_run || Arc::ptr_eq(&candidate, &old) {
                return Ok((200, candidate));
            }
            let stored = to_storage(call, candidate).await?;
            let stored = call.srv.store.write(|txn| {
                (rv(txn.stored(&key, &namespace, name)) == old_rv)
                    .then(|| txn.put(&ctx.key(), &ctx.namespace, name, stored))
            });
            if let Some(stored) = stored {
                return Ok((200, from_storage(call, stored).await?));
            }
        }
        Err(ApiError::conflict(call.target(name)))
    }
    .await;
    call.warnings.add(warnings);
    result
}

/// DELETE of one object through admission; the outcome's object is at the request's version.
pub async fn delete(
    call: &Call<'_>,
    ctx: &WriteCtx,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Deleted, ApiError> {
    let key = ctx.key();
    let mut warnings = Vec::new();
    let result = async {
        for _ in 0..ATTEMPTS {
            let current = call
                .srv
                .store
                .read(|s| s.stored(&key, &ctx.namespace, name).cloned())
                .ok_or_else(|| ApiError::not_found(ctx.target(name)))?;
            let old_rv = rv(Some(&current));
            let old = from_storage(call, Arc::new(current.value())).await?;
            let attrs =
                call.attributes(Operation::Delete, name, &ctx.namespace, false, opts.dry_run);
            let admission = &call.srv.admission;
            admission
                .mutate(&attrs, None, Some(&old), &mut warnings)
                .await?;
            admission
                .validate(&attrs, None, Some(&old), &mut warnings)
                .await?;
            let outcome = call.srv.store.write(|txn| {
                (rv(txn.stored(&key, &ctx.namespace, name)) == old_rv)
                    .then(|| delete_object(txn, ctx, name, opts))
            });
            match outcome {
                None => continue,
                Some(Ok(Deleted::Gone(o))) => {
                    return Ok(Deleted::Gone(from_storage(call, o).await?));
                }
                Some(Ok(Deleted::Pending(o))) => {
                    return Ok(Deleted::Pending(from_storage(call, o).await?));
                }
                Some(Err(e)) => return Err(e),
            }
        }
        Err(ApiError::conflict(ctx.target(name)))
    }
    .await;
    call.warnings.add(warnings);
    result
}
