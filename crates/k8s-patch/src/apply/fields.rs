//! Field sets of objects and comparisons between two versions of an object
//! (structured-merge-diff's `ToFieldSet` and `Compare`).

use serde_json::{Map, Value};

use super::path::{PathElement, path_string};
use super::set::FieldSet;
use super::shape::{ListKind, Shape, item_element};

/// The fields an object sets: every scalar, atomic list or map, empty or null map entry, and every
/// item of a granular list.
pub(crate) fn field_set(obj: &Value, shape: Shape<'_>) -> Result<FieldSet, String> {
    let mut set = FieldSet::new();
    let mut walk = Walk {
        shape,
        names: Vec::new(),
        path: Vec::new(),
    };
    walk.collect(obj, &mut set)?;
    Ok(set)
}

/// What changed between two versions of an object.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub(crate) added: FieldSet,
    pub(crate) modified: FieldSet,
    pub(crate) removed: FieldSet,
}

/// Compares `old` to `new`. Granular maps and lists that appear or disappear are themselves
/// added or removed, as in structured-merge-diff.
pub(crate) fn compare(old: &Value, new: &Value, shape: Shape<'_>) -> Result<Comparison, String> {
    let mut out = Comparison::default();
    let mut walk = Walk {
        shape,
        names: Vec::new(),
        path: Vec::new(),
    };
    walk.compare(Some(old), Some(new), &mut out)?;
    Ok(out)
}

/// Deep equality with numbers compared as floats, as Go compares decoded JSON.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| values_equal(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// The granular items of a list by path element, first occurrence winning.
pub(crate) fn index_items<'v>(
    kind: &ListKind,
    items: &'v [Value],
    path: &[PathElement],
) -> Result<Vec<(PathElement, &'v Value)>, String> {
    let mut out: Vec<(PathElement, &Value)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let pe = item_element(kind, item)
            .map_err(|e| format!("{}: element {i}: {e}", path_string(path)))?;
        if !out.iter().any(|(p, _)| *p == pe) {
            out.push((pe, item));
        }
    }
    Ok(out)
}

struct Walk<'m> {
    shape: Shape<'m>,
    /// Field names from the root, list items skipped: what [`Shape`] is asked about.
    names: Vec<String>,
    path: Vec<PathElement>,
}

impl Walk<'_> {
    fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    fn list_kind(&self) -> ListKind {
        self.shape.list_kind(&self.names())
    }

    fn map_is_atomic(&self) -> bool {
        !self.names.is_empty() && self.shape.map_is_atomic(&self.names())
    }

    fn collect(&mut self, value: &Value, set: &mut FieldSet) -> Result<(), String> {
        match value {
            Value::Object(map) if !self.map_is_atomic() => {
                for (k, v) in map {
                    self.enter_field(k);
                    self.collect(v, set)?;
                    if v.is_null() || v.as_object().is_some_and(Map::is_empty) {
                        set.insert(&self.path);
                    }
                    self.leave_field();
                }
            }
            Value::Array(items) => {
                let kind = self.list_kind();
                if kind == ListKind::Atomic {
                    set.insert(&self.path);
                    return Ok(());
                }
                for (pe, item) in index_items(&kind, items, &self.path)? {
                    self.path.push(pe);
                    self.collect(item, set)?;
                    set.insert(&self.path);
                    self.path.pop();
                }
            }
            _ => set.insert(&self.path),
        }
        Ok(())
    }

    fn enter_field(&mut self, name: &str) {
        self.names.push(name.to_owned());
        self.path.push(PathElement::Field(name.to_owned()));
    }

    fn leave_field(&mut self) {
        self.names.pop();
        self.path.pop();
    }

    fn compare(
        &mut self,
        old: Option<&Value>,
        new: Option<&Value>,
        out: &mut Comparison,
    ) -> Result<(), String> {
        let empty = |v: Option<&Value>| match v {
            None | Some(Value::Null) => true,
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        };
        let granular = match (old, new) {
            (None, None) => return Ok(()),
            (Some(Value::Object(_)) | None, Some(Value::Object(_)) | None) => {
                !(self.map_is_atomic() || empty(old) && empty(new))
            }
            (Some(Value::Array(_)) | None, Some(Value::Array(_)) | None) => {
                !(self.list_kind() == ListKind::Atomic || empty(old) && empty(new))
            }
            (Some(o), Some(n)) if is_compound(o) || is_compound(n) => {
                // A change of type: the old subtree is removed, the new one added.
                out.modified.insert(&self.path);
                self.collect_under(o, &mut out.removed)?;
                self.collect_under(n, &mut out.added)?;
                return Ok(());
            }
            _ => false,
        };
        if !granular {
            match (old, new) {
                (None, Some(_)) => out.added.insert(&self.path),
                (Some(_), None) => out.removed.insert(&self.path),
                (Some(o), Some(n)) if !values_equal(o, n) => out.modified.insert(&self.path),
                _ => {}
            }
            return Ok(());
        }
        match (old, new) {
            (Some(Value::Array(_)), _) | (_, Some(Value::Array(_))) => {
                self.compare_lists(old, new, out)?;
            }
            _ => self.compare_maps(old, new, out)?,
        }
        if old.is_none() {
            out.added.insert(&self.path);
        } else if new.is_none() {
            out.removed.insert(&self.path);
        }
        Ok(())
    }

    fn compare_maps(
        &mut self,
        old: Option<&Value>,
        new: Option<&Value>,
        out: &mut Comparison,
    ) -> Result<(), String> {
        let no_map = Map::new();
        let old = old.and_then(Value::as_object).unwrap_or(&no_map);
        let new = new.and_then(Value::as_object).unwrap_or(&no_map);
        let keys = old
            .keys()
            .chain(new.keys().filter(|k| !old.contains_key(*k)));
        for k in keys {
            self.enter_field(k);
            self.compare(old.get(k), new.get(k), out)?;
            self.leave_field();
        }
        Ok(())
    }

    fn compare_lists(
        &mut self,
        old: Option<&Value>,
        new: Option<&Value>,
        out: &mut Comparison,
    ) -> Result<(), String> {
        let kind = self.list_kind();
        let none = Vec::new();
        let old = old.and_then(Value::as_array).unwrap_or(&none);
        let new = new.and_then(Value::as_array).unwrap_or(&none);
        let old = index_items(&kind, old, &self.path)?;
        let new = index_items(&kind, new, &self.path)?;
        let mut elements: Vec<PathElement> = old.iter().map(|(p, _)| p.clone()).collect();
        elements.extend(
            new.iter()
                .map(|(p, _)| p.clone())
                .filter(|p| find(&old, p).is_none()),
        );
        fn find<'v>(items: &[(PathElement, &'v Value)], pe: &PathElement) -> Option<&'v Value> {
            items.iter().find(|(p, _)| p == pe).map(|(_, v)| *v)
        }
        for pe in elements {
            let (o, n) = (find(&old, &pe), find(&new, &pe));
            self.path.push(pe);
            self.compare(o, n, out)?;
            self.path.pop();
        }
        Ok(())
    }

    /// Collects the field set of `value` below the current path into `set`.
    fn collect_under(&mut self, value: &Value, set: &mut FieldSet) -> Result<(), String> {
        if is_compound(value) {
            self.collect(value, set)?;
        }
        Ok(())
    }
}

fn is_compound(v: &Value) -> bool {
    v.is_object() || v.is_array()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin_patch_meta;

    fn printed(set: &FieldSet) -> Vec<String> {
        set.paths().iter().map(|p| path_string(p)).collect()
    }

    fn pod() -> Shape<'static> {
        Shape::new(builtin_patch_meta("", "Pod"))
    }

    #[test]
    fn field_sets_own_leaves_list_items_and_empty_maps() {
        let obj = json!({
            "metadata": {"labels": {"a": "1"}, "annotations": {}},
            "spec": {
                "containers": [{"name": "c", "image": "i", "args": ["x"]}],
                "tolerations": [{"key": "k"}]
            }
        });
        let set = match field_set(&obj, pod()) {
            Ok(s) => s,
            Err(e) => unreachable!("{e}"),
        };
        assert_eq!(
            printed(&set),
            [
                ".metadata.annotations",
                ".metadata.labels.a",
                ".spec.tolerations",
                r#".spec.containers[name="c"]"#,
                r#".spec.containers[name="c"].args"#,
                r#".spec.containers[name="c"].image"#,
                r#".spec.containers[name="c"].name"#,
            ]
        );
    }

    #[test]
    fn atomic_maps_are_owned_whole() {
        let shape = Shape::new(builtin_patch_meta("apps", "Deployment"));
        let set = field_set(
            &json!({"spec": {"selector": {"matchLabels": {"a": "b"}}}}),
            shape,
        );
        assert_eq!(
            set.map(|s| printed(&s)),
            Ok(vec![".spec.selector".to_owned()])
        );
    }

    #[test]
    fn comparison_reports_added_modified_and_removed_fields() {
        let old = json!({"spec": {"replicas": 1, "paused": true,
            "containers": [{"name": "a", "image": "1"}, {"name": "b"}]}});
        let new = json!({"spec": {"replicas": 2, "minReadySeconds": 5,
            "containers": [{"name": "a", "image": "1"}, {"name": "c"}]}});
        let c = match compare(&old, &new, pod()) {
            Ok(c) => c,
            Err(e) => unreachable!("{e}"),
        };
        assert_eq!(printed(&c.modified), [".spec.replicas"]);
        assert_eq!(
            printed(&c.added),
            [
                ".spec.minReadySeconds",
                r#".spec.containers[name="c"]"#,
                r#".spec.containers[name="c"].name"#
            ]
        );
        assert_eq!(
            printed(&c.removed),
            [
                ".spec.paused",
                r#".spec.containers[name="b"]"#,
                r#".spec.containers[name="b"].name"#
            ]
        );
    }

    #[test]
    fn a_new_map_is_itself_added_with_its_entries() {
        let c = compare(&json!({}), &json!({"data": {"k": "v"}}), Shape::new(None));
        let c = match c {
            Ok(c) => c,
            Err(e) => unreachable!("{e}"),
        };
        assert_eq!(printed(&c.added), [".data", ".data.k"]);
    }

    #[test]
    fn numbers_of_equal_value_are_not_modified() {
        assert!(values_equal(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!values_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn unidentifiable_items_are_reported_with_their_path() {
        let err = field_set(&json!({"spec": {"containers": [{"image": "x"}]}}), pod());
        assert!(matches!(err, Err(m) if m.starts_with(".spec.containers: element 0: ")));
    }
}
