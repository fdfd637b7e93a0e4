//! `metadata.managedFields`: decoding, the identity of entries, and encoding in the real server's
//! order.

use serde_json::{Map, Value};

use super::path::PathElement;
use super::set::FieldSet;

/// `operation: Apply`.
pub(crate) const APPLY: &str = "Apply";
/// `operation: Update`.
pub(crate) const UPDATE: &str = "Update";
/// How many `Update` entries an object keeps (`DefaultMaxUpdateManagers`).
const MAX_UPDATE_MANAGERS: usize = 10;
/// The entry older update entries are merged into.
const ANCIENT_CHANGES: &str = "ancient-changes";

/// One managedFields entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) manager: String,
    pub(crate) operation: String,
    pub(crate) api_version: String,
    pub(crate) time: Option<String>,
    pub(crate) subresource: String,
    pub(crate) set: FieldSet,
}

impl Entry {
    pub(crate) fn new(manager: &str, operation: &str, api_version: &str) -> Entry {
        Entry {
            manager: manager.to_owned(),
            operation: operation.to_owned(),
            api_version: api_version.to_owned(),
            time: None,
            subresource: String::new(),
            set: FieldSet::new(),
        }
    }

    /// Whether `self` and `other` are the same manager for structured-merge-diff: same name,
    /// operation and subresource, and for updates the same apiVersion.
    pub(crate) fn same_manager(&self, other: &Entry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == APPLY || self.api_version == other.api_version)
    }

    pub(crate) fn is_apply(&self) -> bool {
        self.operation == APPLY
    }
}

/// The managed field entries of an object.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Managers {
    pub(crate) entries: Vec<Entry>,
}

impl Managers {
    /// Decodes `metadata.managedFields`; `None` when it is malformed.
    pub(crate) fn decode(value: Option<&Value>) -> Option<Managers> {
        let items = match value {
            None | Some(Value::Null) => return Some(Managers::default()),
            Some(Value::Array(items)) => items,
            Some(_) => return None,
        };
        let mut managers = Managers::default();
        for item in items {
            let entry = decode_entry(item)?;
            managers.upsert(entry);
        }
        Some(managers)
    }

    /// The managedFields of `obj`, `None` when malformed.
    pub(crate) fn of(obj: &Value) -> Option<Managers> {
        Managers::decode(obj.get("metadata").and_then(|m| m.get("managedFields")))
    }

    /// Adds `entry`, merging it into an entry of the same manager.
    pub(crate) fn upsert(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.same_manager(&entry)) {
            Some(existing) => {
                existing.set = existing.set.union(&entry.set);
                if entry.time.is_some() {
                    existing.time = entry.time;
                }
                existing.api_version = entry.api_version;
            }
            None => self.entries.push(entry),
        }
    }

    pub(crate) fn find_mut(&mut self, probe: &Entry) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.same_manager(probe))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every field anyone owns.
    pub(crate) fn owned(&self) -> FieldSet {
        self.entries
            .iter()
            .fold(FieldSet::new(), |acc, e| acc.union(&e.set))
    }

    pub(crate) fn drop_empty(&mut self) {
        self.entries.retain(|e| !e.set.is_empty());
    }

    /// Keeps at most [`MAX_UPDATE_MANAGERS`] `Update` entries: the oldest are merged into an
    /// `ancient-changes` entry per apiVersion (the apiserver's `capManagersManager`).
    pub(crate) fn cap_update_managers(&mut self) {
        loop {
            let mut updaters: Vec<usize> = (0..self.entries.len())
                .filter(|&i| self.entries.get(i).is_some_and(|e| !e.is_apply()))
                .collect();
            if updaters.len() <= MAX_UPDATE_MANAGERS {
                return;
            }
            updaters.sort_by(|&a, &b| {
                let (a, b) = (&self.entries[a], &self.entries[b]);
                let time = |e: &Entry| e.time.clone().unwrap_or_default();
                time(a)
                    .cmp(&time(b))
                    .then_with(|| a.manager.cmp(&b.manager))
            });
            let Some(&oldest) = updaters.iter().find(|&&i| {
                self.entries
                    .get(i)
                    .is_some_and(|e| e.manager != ANCIENT_CHANGES)
            }) else {
                return;
            };
            let old = self.entries.remove(oldest);
            let mut bucket = Entry::new(ANCIENT_CHANGES, UPDATE, &old.api_version);
            bucket.time = old.time.clone();
            bucket.set = old.set;
            match self.find_mut(&bucket) {
                Some(existing) => {
                    existing.set = existing.set.union(&bucket.set);
                    let newer = existing.time.clone().max(bucket.time);
                    existing.time = newer;
                }
                None => self.entries.push(bucket),
            }
        }
    }

    /// Encodes the entries in the real server's order: operation, time, manager, apiVersion,
    /// subresource.
    pub(crate) fn encode(&self) -> Value {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by(|p, q| {
            p.operation
                .cmp(&q.operation)
                .then_with(|| {
                    p.time
                        .as_deref()
                        .unwrap_or("")
                        .cmp(q.time.as_deref().unwrap_or(""))
                })
                .then_with(|| p.manager.cmp(&q.manager))
                .then_with(|| p.api_version.cmp(&q.api_version))
                .then_with(|| p.subresource.cmp(&q.subresource))
        });
        Value::Array(entries.into_iter().map(encode_entry).collect())
    }

    /// Writes the entries into `obj.metadata.managedFields` (removed when there are none).
    pub(crate) fn store(&self, obj: &mut Value) {
        let Some(root) = obj.as_object_mut() else {
            return;
        };
        let metadata = root
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(metadata) = metadata.as_object_mut() else {
            return;
        };
        if self.entries.is_empty() {
            metadata.remove("managedFields");
        } else {
            metadata.insert("managedFields".into(), self.encode());
        }
    }
}

fn decode_entry(item: &Value) -> Option<Entry> {
    let map = item.as_object()?;
    let text = |k: &str| -> Option<String> {
        match map.get(k) {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        }
    };
    let operation = text("operation")?;
    if operation != APPLY && operation != UPDATE {
        return None;
    }
    let fields_type = text("fieldsType")?;
    let set = match map.get("fieldsV1") {
        None | Some(Value::Null) => FieldSet::new(),
        Some(v) if fields_type == "FieldsV1" => FieldSet::from_fields_v1(v)?,
        Some(_) => return None,
    };
    let time = text("time")?;
    Some(Entry {
        manager: text("manager")?,
        operation,
        api_version: text("apiVersion")?,
        time: (!time.is_empty()).then_some(time),
        subresource: text("subresource")?,
        set,
    })
}

fn encode_entry(entry: &Entry) -> Value {
    let mut map = Map::new();
    map.insert("manager".into(), Value::String(entry.manager.clone()));
    map.insert("operation".into(), Value::String(entry.operation.clone()));
    map.insert(
        "apiVersion".into(),
        Value::String(entry.api_version.clone()),
    );
    if let Some(time) = &entry.time {
        map.insert("time".into(), Value::String(time.clone()));
    }
    map.insert("fieldsType".into(), Value::String("FieldsV1".into()));
    map.insert("fieldsV1".into(), entry.set.to_fields_v1());
    if !entry.subresource.is_empty() {
        map.insert(
            "subresource".into(),
            Value::String(entry.subresource.clone()),
        );
    }
    Value::Object(map)
}

/// Fields no manager ever owns (the apiserver's `stripMetaManager`): identity and bookkeeping.
pub(crate) fn unowned_fields() -> FieldSet {
    let f = |s: &str| PathElement::Field(s.to_owned());
    let mut set = FieldSet::new();
    for top in ["apiVersion", "kind", "metadata"] {
        set.insert(&[f(top)]);
    }
    for meta in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        set.insert(&[f("metadata"), f(meta)]);
    }
    set
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn entries_round_trip_and_sort_apply_before_update_then_by_time() {
        let raw = json!([
            {"manager": "b", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:02Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:b": {}}}},
            {"manager": "z", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:01Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:z": {}}}},
            {"manager": "a", "operation": "Apply", "apiVersion": "v1", "time": "2024-01-01T00:00:03Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}, "subresource": "status"}
        ]);
        let Some(managers) = Managers::decode(Some(&raw)) else {
            unreachable!("valid managed fields")
        };
        let encoded = managers.encode();
        let order: Vec<&str> = encoded
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["manager"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(order, ["a", "z", "b"]);
        assert_eq!(encoded[0], raw[2]);
    }

    #[test]
    fn updates_with_another_api_version_are_another_manager_but_applies_are_not() {
        let mut m = Managers::default();
        m.upsert(Entry::new("x", UPDATE, "apps/v1"));
        m.upsert(Entry::new("x", UPDATE, "apps/v1beta1"));
        m.upsert(Entry::new("y", APPLY, "apps/v1"));
        m.upsert(Entry::new("y", APPLY, "apps/v1beta1"));
        assert_eq!(m.entries.len(), 3);
    }

    #[test]
    fn more_than_ten_updaters_merge_the_oldest_into_ancient_changes() {
        let mut m = Managers::default();
        for i in 0..12 {
            let mut e = Entry::new(&format!("m{i:02}"), UPDATE, "v1");
            e.time = Some(format!("2024-01-01T00:00:{i:02}Z"));
            e.set.insert(&[PathElement::Field(format!("f{i}"))]);
            m.upsert(e);
        }
        m.upsert(Entry::new("applier", APPLY, "v1"));
        m.cap_update_managers();
        let updaters: Vec<&str> = m
            .entries
            .iter()
            .filter(|e| !e.is_apply())
            .map(|e| e.manager.as_str())
            .collect();
        assert_eq!(updaters.len(), 10);
        assert!(
            !updaters.contains(&"m00") && !updaters.contains(&"m01") && !updaters.contains(&"m02")
        );
        let ancient = m.entries.iter().find(|e| e.manager == ANCIENT_CHANGES);
        assert_eq!(ancient.map(|e| e.set.paths().len()), Some(3));
        assert_eq!(
            ancient.and_then(|e| e.time.clone()),
            Some("2024-01-01T00:00:02Z".to_owned())
        );
    }

    #[test]
    fn malformed_managed_fields_are_refused() {
        assert_eq!(
            Managers::decode(Some(&json!([{"operation": "Delete"}]))),
            None
        );
        assert_eq!(
            Managers::decode(Some(
                &json!([{"operation": "Update", "fieldsV1": {"x": {}}, "fieldsType": "FieldsV1"}])
            )),
            None
        );
        assert_eq!(Managers::decode(Some(&json!({}))), None);
    }
}
