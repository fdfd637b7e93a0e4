//! Server-side apply and managedFields bookkeeping, after sigs.k8s.io/structured-merge-diff and
//! the apiserver's fieldmanager.

mod fields;
mod last_applied;
mod managed;
mod merge;
mod path;
mod set;
mod shape;

use serde_json::{Map, Value};

use self::fields::{Comparison, compare, field_set};
use self::managed::{APPLY, Entry, Managers, UPDATE, unowned_fields};
use self::path::path_string;
use self::set::FieldSet;
use self::shape::Shape;
use crate::{FieldConflict, PatchError, PatchMeta};

/// One server-side apply request.
pub struct ApplyRequest<'a> {
    /// The current object (`None` = create).
    pub live: Option<&'a Value>,
    /// The applied configuration, already parsed.
    pub applied: &'a Value,
    /// The `fieldManager`.
    pub manager: &'a str,
    /// `force=true`: take ownership of conflicting fields from other managers.
    pub force: bool,
    /// The apiVersion recorded in managedFields, e.g. `apps/v1`.
    pub api_version: &'a str,
    /// RFC 3339 timestamp recorded in managedFields.
    pub now: &'a str,
    /// List merge knowledge; `None` for custom resources (lists are atomic, maps granular).
    pub meta: Option<&'a dyn PatchMeta>,
}

/// Which part of an object a write goes to, for managedFields bookkeeping.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteScope<'a> {
    /// `""` for the main resource, `"status"` or `"scale"` for a subresource; recorded in the
    /// entry's `subresource`, and part of the manager's identity.
    pub subresource: &'a str,
    /// The type has a status subresource: writes to the main resource neither own nor conflict
    /// on `.status`, and writes to `status` only on `.status` (the real server's reset fields).
    pub status_is_subresource: bool,
}

impl WriteScope<'_> {
    /// The part of `set` a write in this scope deals with.
    fn filter(&self, set: &FieldSet) -> FieldSet {
        let status = path::PathElement::Field("status".to_owned());
        if self.subresource == "status" {
            set.filter_top(|pe| *pe == status)
        } else if self.subresource.is_empty() && self.status_is_subresource {
            set.filter_top(|pe| *pe != status)
        } else {
            set.clone()
        }
    }

    fn filter_changes(&self, c: Comparison) -> Comparison {
        Comparison {
            added: self.filter(&c.added),
            modified: self.filter(&c.modified),
            removed: self.filter(&c.removed),
        }
    }

    fn entry(&self, manager: &str, operation: &str, api_version: &str) -> Entry {
        let mut e = Entry::new(manager, operation, api_version);
        e.subresource = self.subresource.to_owned();
        e
    }
}

/// The manager that owns what existed before an object's first apply.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Applies `req.applied` on top of `req.live`; returns the new object with
/// `metadata.managedFields` updated (an `Apply` entry for the manager).
///
/// Fields the manager applied before but not now are removed unless another manager owns them.
/// Changing a field another manager owns is a [`PatchError::Conflict`] unless `force` is set, in
/// which case the manager takes it over. As the real server does for `kubectl`, conflicts with
/// `kubectl-client-side-apply` on values still equal to the last-applied annotation are allowed.
pub fn server_side_apply(req: &ApplyRequest<'_>) -> Result<Value, PatchError> {
    server_side_apply_scoped(req, WriteScope::default())
}

/// [`server_side_apply`] to a subresource or a type with a status subresource: the entry carries
/// `subresource`, and only the fields of the written part are owned, pruned and checked for
/// conflicts.
pub fn server_side_apply_scoped(
    req: &ApplyRequest<'_>,
    scope: WriteScope<'_>,
) -> Result<Value, PatchError> {
    let Value::Object(applied) = req.applied else {
        return Err(PatchError::InvalidObject(
            "the applied configuration must be an object".into(),
        ));
    };
    if applied
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .is_some_and(|v| !v.is_null())
    {
        return Err(PatchError::InvalidObject(
            "metadata.managedFields must be nil".into(),
        ));
    }
    let shape = Shape::new(req.meta);
    let live = without_managed_fields(req.live.unwrap_or(&Value::Object(Map::new())));
    let mut managers = req.live.and_then(Managers::of).unwrap_or_default();
    if req.live.is_some() && managers.is_empty() {
        let set = field_set(&live, shape)
            .map_err(PatchError::InvalidObject)?
            .difference(&unowned_fields());
        if !set.is_empty() {
            let mut entry = Entry::new(BEFORE_FIRST_APPLY, UPDATE, req.api_version);
            entry.time = Some(req.now.to_owned());
            entry.set = set;
            managers.upsert(entry);
        }
    }
    let outcome = match apply_once(req, scope, &live, managers.clone(), shape, req.force) {
        Err(PatchError::Conflict(conflicts)) if req.manager == last_applied::KUBECTL => {
            if last_applied::conflicts_allowed(&live, &conflicts, shape) {
                apply_once(req, scope, &live, managers, shape, true)
            } else {
                Err(PatchError::Conflict(conflicts))
            }
        }
        other => other,
    };
    let (mut object, managers) = outcome?;
    if req.manager == last_applied::KUBECTL {
        last_applied::sync(&mut object, req.applied);
    }
    managers.store(&mut object);
    Ok(object)
}

fn apply_once(
    req: &ApplyRequest<'_>,
    scope: WriteScope<'_>,
    live: &Value,
    mut managers: Managers,
    shape: Shape<'_>,
    force: bool,
) -> Result<(Value, Managers), PatchError> {
    let config_set = scope.filter(
        &field_set(req.applied, shape)
            .map_err(PatchError::InvalidObject)?
            .difference(&unowned_fields()),
    );
    let mut object = merge::merge(live, req.applied, shape).map_err(PatchError::InvalidObject)?;
    let probe = scope.entry(req.manager, APPLY, req.api_version);
    let previous = managers
        .find_mut(&probe)
        .map(|e| (e.set.clone(), e.time.clone()));
    let (last_set, last_time) = match previous {
        Some((set, time)) => (Some(set), time),
        None => (None, None),
    };
    let mut entry = probe.clone();
    entry.set = config_set;
    match managers.find_mut(&probe) {
        Some(existing) => *existing = entry,
        None => managers.entries.push(entry),
    }
    if let Some(last) = last_set {
        merge::prune(&mut object, &last, &managers.owned(), shape);
    }
    let changes = scope.filter_changes(changes(live, &object, shape)?);
    let changed = changes.modified.union(&changes.added);
    // A no-op apply keeps the entry's time, so that it does not change the object: controllers
    // applying on every reconcile must not trigger watch events.
    let unchanged = fields::values_equal(live, &object);
    if let Some(own) = managers.find_mut(&probe) {
        own.time = match (unchanged, last_time) {
            (true, Some(t)) => Some(t),
            _ => Some(req.now.to_owned()),
        };
    }
    let mut conflicts = Vec::new();
    let mut others: Vec<&mut Entry> = managers
        .entries
        .iter_mut()
        .filter(|e| !e.same_manager(&probe))
        .collect();
    others.sort_by_key(|e| conflict_sort_key(e));
    for other in others {
        let conflict = other.set.intersection(&changed);
        conflicts.extend(conflict.paths().iter().map(|p| FieldConflict {
            manager: other.manager.clone(),
            api_version: (!other.is_apply()).then(|| other.api_version.clone()),
            field: path_string(p),
        }));
        other.set = other.set.difference(&conflict).difference(&changes.removed);
    }
    if !force && !conflicts.is_empty() {
        return Err(PatchError::Conflict(conflicts));
    }
    managers.drop_empty();
    managers.cap_update_managers();
    Ok((object, managers))
}

/// Records the manager's `Update` entry in `new`'s managedFields for a non-apply write
/// (create, update, patch): it gains the fields that changed between `old` and `new`, and other
/// managers lose them.
///
/// As the real server: managedFields the client sent in `new` are used as the starting point when
/// they are valid and non-empty (otherwise those of `old`), and `[{}]` clears them.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    meta: Option<&dyn PatchMeta>,
) {
    record_update_scoped(
        old,
        new,
        manager,
        api_version,
        now,
        meta,
        WriteScope::default(),
    );
}

/// [`record_update`] for a write to a subresource or to a type with a status subresource (see
/// [`WriteScope`]).
pub fn record_update_scoped(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    meta: Option<&dyn PatchMeta>,
    scope: WriteScope<'_>,
) {
    if !new.is_object() {
        return;
    }
    let sent = new.get("metadata").and_then(|m| m.get("managedFields"));
    if sent.is_some_and(|v| *v == serde_json::json!([{}])) {
        Managers::default().store(new);
        return;
    }
    let mut managers = match Managers::decode(sent) {
        Some(m) if !m.is_empty() => m,
        _ => old.and_then(Managers::of).unwrap_or_default(),
    };
    let shape = Shape::new(meta);
    let before = without_managed_fields(old.unwrap_or(&Value::Object(Map::new())));
    let after = without_managed_fields(new);
    // An object whose fields cannot be identified (e.g. duplicate-free keys missing) keeps the
    // managed fields it had: the write itself is not refused for bookkeeping.
    let Ok(changes) = changes(&before, &after, shape) else {
        managers.store(new);
        return;
    };
    let changes = scope.filter_changes(changes);
    let changed = changes.modified.union(&changes.added);
    // As the real server: every entry (the writer's too) loses what changed or went away, then
    // the writer gains what changed; its time moves only when it changed something.
    for entry in &mut managers.entries {
        entry.set = entry.set.difference(&changed).difference(&changes.removed);
    }
    if !changed.is_empty() {
        let mut own = scope.entry(manager, UPDATE, api_version);
        own.time = Some(now.to_owned());
        own.set = changed;
        managers.upsert(own);
    }
    managers.drop_empty();
    managers.cap_update_managers();
    managers.store(new);
}

/// The comparison of two versions without the fields nobody owns, and without marking the
/// big structs themselves (the real server's typed objects always have them).
fn changes(old: &Value, new: &Value, shape: Shape<'_>) -> Result<Comparison, PatchError> {
    let mut c = compare(old, new, shape).map_err(PatchError::InvalidObject)?;
    let unowned = unowned_fields().union(&always_present());
    c.added = c.added.difference(&unowned);
    c.modified = c.modified.difference(&unowned);
    c.removed = c.removed.difference(&unowned);
    Ok(c)
}

/// Top-level structs a typed object always carries (zero values serialize as `{}`), so the real
/// server never records them as added.
fn always_present() -> FieldSet {
    let mut set = FieldSet::new();
    for top in ["spec", "status"] {
        set.insert(&[path::PathElement::Field(top.to_owned())]);
    }
    set
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    out
}

/// Managers in the order the real server's conflict message lists them.
fn conflict_sort_key(e: &Entry) -> String {
    FieldConflict {
        manager: e.manager.clone(),
        api_version: (!e.is_apply()).then(|| e.api_version.clone()),
        field: String::new(),
    }
    .sort_key()
}

#[cfg(test)]
mod tests;
