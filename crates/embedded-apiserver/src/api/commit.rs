//! The shared steps of every write: type checks, system metadata, generation, schema, managedFields.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::objects::{
    generate_name, meaningfully_different, meta_str, new_uid, remove_meta, set_meta, spec_changed,
};
use crate::resources::{ResourceType, StorageKey};
use crate::status::{ApiError, Cause, Target};
use crate::store::Txn;

/// What a write needs to know besides the object.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    /// The resource written.
    pub rt: Arc<ResourceType>,
    /// Namespace from the path, empty for cluster scope.
    pub namespace: String,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// Field manager for managedFields.
    pub manager: String,
    /// Timestamp of the write.
    pub now: String,
    /// How managedFields are maintained.
    pub fields: FieldOwnership,
}

/// How a write maintains `metadata.managedFields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOwnership {
    /// Record an `Update` entry for the manager.
    RecordUpdate,
    /// Server-side apply already updated managedFields.
    Applied,
}

impl WriteCtx {
    /// Where the objects live.
    pub fn key(&self) -> StorageKey {
        self.rt.storage_key()
    }

    /// A target for error messages.
    pub fn target<'a>(&'a self, name: &'a str) -> Target<'a> {
        Target {
            group: &self.rt.group,
            plural: &self.rt.plural,
            name,
        }
    }
}

/// Parses a JSON, YAML or (for a few simple types) protobuf request body into an object.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    if content_type.split(';').next().map(str::trim) == Some(crate::proto::MEDIA_TYPE) {
        return crate::proto::to_json(body);
    }
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(json_err) => serde_norway::from_slice(body).map_err(|_| {
            ApiError::bad_request(format!("error decoding request body: {json_err}"))
        })?,
    };
    if !v.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    Ok(v)
}

/// Checks the body's apiVersion/kind against the resource, filling them in when missing.
pub fn check_type(rt: &ResourceType, obj: &mut Value) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the object must be a JSON object (a patch may not replace the whole document with another type)",
        ));
    }
    let want = rt.api_version();
    match obj["apiVersion"].as_str() {
        Some(v) if !v.is_empty() && v != want => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({want})"
            )));
        }
        _ => obj["apiVersion"] = json!(want),
    }
    match obj["kind"].as_str() {
        Some(k) if !k.is_empty() && k != rt.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )));
        }
        _ => obj["kind"] = json!(rt.kind),
    }
    if !obj["metadata"].is_object() && !obj["metadata"].is_null() {
        return Err(ApiError::bad_request("metadata must be an object"));
    }
    Ok(())
}

fn invalid_name(rt: &ResourceType, name: &str) -> Option<Cause> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('%')
        || name.len() > 253;
    bad.then(|| Cause {
        reason: "FieldValueInvalid".to_owned(),
        message: format!("Invalid value: \"{name}\": a valid name must not contain '/' or '%'"),
        field: "metadata.name".to_owned(),
    })
    .filter(|_| !(rt.custom && name.is_empty()))
}

/// How deeply objects and arrays may nest in a stored object. Clients parse objects inside list
/// and watch envelopes (two more levels) with JSON parsers that stop at 128 levels (serde_json,
/// so kube-rs, and this server's own reads), so deeper objects could be stored but not read.
pub const MAX_DEPTH: usize = 100;

/// The nesting depth of `value`: 0 for a scalar, 1 for a flat object or array. Iterative, so a
/// deep document cannot exhaust the stack.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Object(map) => Box::new(map.values()),
            Value::Array(items) => Box::new(items.iter()),
            _ => continue,
        };
        deepest = deepest.max(d + 1);
        stack.extend(children.map(|c| (c, d + 1)));
    }
    deepest
}

/// Refuses objects nested deeper than [`MAX_DEPTH`] with 400 BadRequest, before they are stored.
fn check_depth(obj: &Value) -> Result<(), ApiError> {
    let found = depth(obj);
    if found > MAX_DEPTH {
        return Err(ApiError::bad_request(format!(
            "the object is nested {found} levels deep; this server stores at most {MAX_DEPTH} levels of nested objects and arrays"
        )));
    }
    Ok(())
}

/// Applies the CRD schema (defaulting, pruning, validation) of a custom resource.
fn check_schema(ctx: &WriteCtx, obj: &mut Value, name: &str) -> Result<(), ApiError> {
    let Some(schema) = &ctx.rt.schema else {
        return Ok(());
    };
    schema.default_and_prune(obj);
    let errors = schema.validate(obj);
    if errors.is_empty() {
        return Ok(());
    }
    let kind = &ctx.rt.kind;
    let group = &ctx.rt.group;
    let message = crd_schema::invalid_message(kind, group, name, &errors);
    let causes = errors
        .iter()
        .map(|e| Cause {
            reason: e.reason().to_owned(),
            message: e.message(),
            field: e.field.clone(),
        })
        .collect();
    Err(ApiError::invalid(kind, group, name, message, causes))
}

/// Drops the fields a built-in type does not declare, as decoding into its Go struct does on the
/// real server, and those a custom resource's `metadata` has beyond `ObjectMeta` (its schema
/// prunes the rest later): whatever the `fieldValidation` directive, and whatever a mutating
/// webhook added.
fn drop_unknown_fields(rt: &ResourceType, obj: &mut Value) {
    let scan = match rt.unknown_fields {
        Some(find) => find(obj),
        None if rt.custom => crate::builtin_fields::unknown_metadata_fields(obj),
        None => return,
    };
    crate::builtin_fields::prune(obj, &scan.unknown);
}

/// Defaults and checks a webhook configuration, as the real server does on every write.
fn check_webhook_configuration(
    ctx: &WriteCtx,
    obj: &mut Value,
    name: &str,
) -> Result<(), ApiError> {
    use crate::admission::{config, validate};
    if let Some(phase) = config::Phase::of_plural(&ctx.rt.group, &ctx.rt.plural) {
        config::apply_defaults(obj, phase);
        validate::check(obj, name, phase)?;
    }
    Ok(())
}

/// Type-specific defaults the real server applies on create.
fn defaults_on_create(rt: &ResourceType, obj: &mut Value, name: &str) {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "namespaces") => {
            crate::objects::set_path(obj, ".spec.finalizers", json!(["kubernetes"]));
            obj["status"] = json!({ "phase": "Active" });
            if !obj["metadata"]["labels"].is_object() {
                obj["metadata"]["labels"] = json!({});
            }
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
        }
        ("apps", "deployments" | "statefulsets" | "replicasets")
            if obj.pointer("/spec/replicas").is_none_or(Value::is_null)
                && obj["spec"].is_object() =>
        {
            obj["spec"]["replicas"] = json!(1);
        }
        ("", "pods") if obj["status"].is_null() => obj["status"] = json!({ "phase": "Pending" }),
        ("", "secrets") if obj["type"].is_null() => obj["type"] = json!("Opaque"),
        _ => {}
    }
}

/// Validates and stores a new object (unless dry-run); returns what was (or would be) stored.
pub fn create(txn: &mut Txn<'_>, ctx: &WriteCtx, mut obj: Value) -> Result<Arc<Value>, ApiError> {
    check_type(&ctx.rt, &mut obj)?;
    drop_unknown_fields(&ctx.rt, &mut obj);
    let body_ns = meta_str(&obj, "namespace").unwrap_or_default().to_owned();
    if ctx.rt.namespaced {
        if !body_ns.is_empty() && body_ns != ctx.namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        set_meta(&mut obj, "namespace", json!(ctx.namespace));
    } else {
        remove_meta(&mut obj, "namespace");
    }
    let mut name = meta_str(&obj, "name").unwrap_or_default().to_owned();
    if name.is_empty() {
        match meta_str(&obj, "generateName").filter(|p| !p.is_empty()) {
            Some(prefix) => {
                name = generate_name(prefix);
                set_meta(&mut obj, "name", json!(name));
            }
            None => {
                return Err(ApiError::invalid_field(
                    &ctx.rt.kind,
                    &ctx.rt.group,
                    "",
                    Cause {
                        reason: "FieldValueRequired".to_owned(),
                        message: "Required value: name or generateName is required".to_owned(),
                        field: "metadata.name".to_owned(),
                    },
                ));
            }
        }
    }
    if let Some(cause) = invalid_name(&ctx.rt, &name) {
        return Err(ApiError::invalid_field(
            &ctx.rt.kind,
            &ctx.rt.group,
            &name,
            cause,
        ));
    }
    if ctx.rt.namespaced {
        check_namespace(txn, ctx, &name)?;
    }
    if ctx.rt.custom && crd_terminating(txn, &ctx.rt) {
        return Err(ApiError::method_not_allowed(
            "create not allowed while custom resource definition is terminating",
        ));
    }
    let key = ctx.key();
    if txn.stored(&key, &ctx.namespace, &name).is_some() {
        return Err(ApiError::already_exists(ctx.target(&name)));
    }
    for field in [
        "uid",
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        remove_meta(&mut obj, field);
    }
    set_meta(&mut obj, "uid", json!(new_uid()));
    set_meta(&mut obj, "creationTimestamp", json!(ctx.now));
    if ctx.rt.custom
        || !matches!(
            ctx.rt.plural.as_str(),
            "configmaps"
                | "secrets"
                | "namespaces"
                | "events"
                | "leases"
                | "endpoints"
                | "serviceaccounts"
        )
    {
        set_meta(&mut obj, "generation", json!(1));
    } else {
        remove_meta(&mut obj, "generation");
    }
    if ctx.rt.custom && ctx.rt.status {
        // The status of a custom resource with a status subresource is only writable there.
        if let Some(map) = obj.as_object_mut() {
            map.remove("status");
        }
    }
    defaults_on_create(&ctx.rt, &mut obj, &name);
    check_webhook_configuration(ctx, &mut obj, &name)?;
    if crate::crds::is_crd(&key) {
        crate::conversion::apply_defaults(&mut obj);
        crate::crds::validate(&obj, &name)?;
        crate::crds::accept(&mut obj, &ctx.now);
    }
    check_depth(&obj)?;
    check_schema(ctx, &mut obj, &name)?;
    if ctx.fields == FieldOwnership::RecordUpdate {
        crate::managed::record(None, &mut obj, ctx);
    }
    if ctx.dry_run {
        return Ok(Arc::new(obj));
    }
    Ok(txn.put(&key, &ctx.namespace, &name, obj))
}

fn crd_terminating(txn: &Txn<'_>, rt: &ResourceType) -> bool {
    let crd_key = StorageKey::new("apiextensions.k8s.io", "customresourcedefinitions");
    txn.stored(&crd_key, "", &format!("{}.{}", rt.plural, rt.group))
        .is_some_and(|crd| crd.deleting())
}

/// Fails unless the namespace of the write exists and is not terminating.
pub fn check_namespace(txn: &Txn<'_>, ctx: &WriteCtx, name: &str) -> Result<(), ApiError> {
    let ns_key = StorageKey::new("", "namespaces");
    match txn.stored(&ns_key, "", &ctx.namespace) {
        None => Err(ApiError::not_found(Target {
            group: "",
            plural: "namespaces",
            name: &ctx.namespace,
        })),
        Some(ns) if ns.deleting() => Err(ApiError::namespace_terminating(
            ctx.target(name),
            &ctx.namespace,
        )),
        Some(_) => Ok(()),
    }
}

/// Which part of an object an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource: everything but status (when a status subresource exists).
    Main,
    /// The status subresource: only status.
    Status,
}

/// Validates and stores a new version of `old` (unless dry-run or unchanged).
pub fn update(
    txn: &mut Txn<'_>,
    ctx: &WriteCtx,
    old: &Arc<Value>,
    mut new: Value,
    part: Part,
) -> Result<Arc<Value>, ApiError> {
    check_type(&ctx.rt, &mut new)?;
    drop_unknown_fields(&ctx.rt, &mut new);
    let name = meta_str(old, "name").unwrap_or_default().to_owned();
    match meta_str(&new, "name") {
        Some(n) if !n.is_empty() && n != name => {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        _ => {}
    }
    if ctx.rt.namespaced
        && let Some(ns) = meta_str(&new, "namespace").filter(|ns| !ns.is_empty())
        && ns != ctx.namespace
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let old_rv = meta_str(old, "resourceVersion")
        .unwrap_or_default()
        .to_owned();
    if let Some(rv) = meta_str(&new, "resourceVersion").filter(|rv| !rv.is_empty())
        && rv != old_rv
    {
        return Err(ApiError::conflict(ctx.target(&name)));
    }
    let mut new = match part {
        Part::Status => {
            let mut merged = (**old).clone();
            match new.get("status") {
                Some(status) => merged["status"] = status.clone(),
                None => {
                    if let Some(m) = merged.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
            merged
        }
        Part::Main => {
            if ctx.rt.status {
                match old.get("status") {
                    Some(status) => new["status"] = status.clone(),
                    None => {
                        if let Some(m) = new.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
            }
            new
        }
    };
    for field in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old["metadata"].get(field) {
            Some(v) => set_meta(&mut new, field, v.clone()),
            None => {
                remove_meta(&mut new, field);
            }
        }
    }
    if spec_changed(old, &new)
        && let Some(generation) = old["metadata"]["generation"].as_i64()
    {
        set_meta(&mut new, "generation", json!(generation + 1));
    }
    let key = ctx.key();
    if part == Part::Main {
        check_webhook_configuration(ctx, &mut new, &name)?;
    }
    if crate::crds::is_crd(&key) && part == Part::Main {
        crate::conversion::apply_defaults(&mut new);
        crate::crds::validate(&new, &name)?;
        crate::crds::accept(&mut new, &ctx.now);
        if !old["metadata"]["deletionTimestamp"].is_null() {
            // Re-accepting must not re-add the cleanup finalizer the controller removed.
            let kept: Vec<String> = crate::objects::finalizers(&new)
                .into_iter()
                .filter(|f| {
                    f != crate::crds::CLEANUP_FINALIZER
                        || crate::objects::finalizers(old).contains(f)
                })
                .collect();
            crate::objects::set_finalizers(&mut new, &kept);
        }
    }
    if !old["metadata"]["deletionTimestamp"].is_null() {
        let before = crate::objects::finalizers(old);
        if let Some(added) = crate::objects::finalizers(&new)
            .into_iter()
            .find(|f| !before.contains(f))
        {
            return Err(ApiError::invalid_field(
                &ctx.rt.kind,
                &ctx.rt.group,
                &name,
                Cause {
                    reason: "FieldValueForbidden".to_owned(),
                    message: format!(
                        "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{\"{added}\"}}"
                    ),
                    field: "metadata.finalizers".to_owned(),
                },
            ));
        }
    }
    check_depth(&new)?;
    check_schema(ctx, &mut new, &name)?;
    if ctx.fields == FieldOwnership::RecordUpdate {
        crate::managed::record(Some(old), &mut new, ctx);
    }
    set_meta(&mut new, "resourceVersion", json!(old_rv));
    if !meaningfully_different(old, &new) {
        return Ok(old.clone());
    }
    if ctx.dry_run {
        return Ok(Arc::new(new));
    }
    Ok(txn.put(&key, &ctx.namespace, &name, new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_of_built_ins_are_dropped_and_of_custom_resources_only_metadata_ones() {
        let registry = crate::resources::Registry::builtin();
        let rt = registry.get("", "v1", "configmaps").unwrap();
        let mut obj =
            json!({ "metadata": { "name": "c", "nam": "x" }, "data": { "k": "v" }, "dataz": 1 });
        drop_unknown_fields(&rt, &mut obj);
        assert_eq!(
            obj,
            json!({ "metadata": { "name": "c" }, "data": { "k": "v" } })
        );
        let mut custom = (*rt).clone();
        custom.unknown_fields = None;
        custom.custom = true;
        let mut obj = json!({ "metadata": { "name": "c", "nam": "x" }, "dataz": 1 });
        drop_unknown_fields(&custom, &mut obj);
        assert_eq!(obj, json!({ "metadata": { "name": "c" }, "dataz": 1 }));
    }

    fn nested(levels: usize) -> Value {
        let mut v = json!("leaf");
        for i in 0..levels {
            v = if i % 2 == 0 {
                json!({ "a": v })
            } else {
                json!([v])
            };
        }
        v
    }

    #[test]
    fn depth_counts_objects_and_arrays() {
        assert_eq!(depth(&json!("x")), 0);
        assert_eq!(depth(&json!({ "a": 1, "b": [1, { "c": {} }] })), 4);
        assert_eq!(depth(&nested(500)), 500);
    }

    #[test]
    fn objects_deeper_than_the_limit_are_bad_requests() {
        assert!(check_depth(&nested(MAX_DEPTH)).is_ok());
        let err = check_depth(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!((err.code, err.reason), (400, "BadRequest"));
        assert!(err.message.contains("nested"), "{}", err.message);
    }
}
