//! Merging an applied configuration into the live object, and pruning the fields an applier
//! stopped applying (structured-merge-diff's `Merge` and `RemoveItems`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fields::index_items;
use super::path::{PathElement, path_string};
use super::set::FieldSet;
use super::shape::{ListKind, Shape, item_element};

/// Merges `config` into `live`: config values win, granular maps and lists merge item by item,
/// atomic ones are replaced. A `null` in the config removes the field.
pub(crate) fn merge(live: &Value, config: &Value, shape: Shape<'_>) -> Result<Value, String> {
    let mut merger = Merger {
        shape,
        names: Vec::new(),
        path: Vec::new(),
    };
    merger.merge(Some(live), config)
}

/// Removes from `obj` the fields of `last` (the applier's previous set) that nobody owns any
/// more (`owned`: every manager's set, the applier's new one included). A field stays while
/// anything below it is owned; a list item stays only while the item itself is owned.
pub(crate) fn prune(obj: &mut Value, last: &FieldSet, owned: &FieldSet, shape: Shape<'_>) {
    let mut names = Vec::new();
    prune_at(obj, last, Some(owned), shape, &mut names);
}

struct Merger<'m> {
    shape: Shape<'m>,
    names: Vec<String>,
    path: Vec<PathElement>,
}

impl Merger<'_> {
    fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    fn merge(&mut self, live: Option<&Value>, config: &Value) -> Result<Value, String> {
        let no_map = Map::new();
        match config {
            Value::Object(c)
                if self.names.is_empty() || !self.shape.map_is_atomic(&self.names()) =>
            {
                let l = live.and_then(Value::as_object).unwrap_or(&no_map);
                let mut out = l.clone();
                for (k, v) in c {
                    if v.is_null() {
                        out.remove(k);
                        continue;
                    }
                    self.names.push(k.clone());
                    self.path.push(PathElement::Field(k.clone()));
                    let merged = self.merge(l.get(k), v);
                    self.names.pop();
                    self.path.pop();
                    out.insert(k.clone(), merged?);
                }
                Ok(Value::Object(out))
            }
            Value::Array(c) => {
                let kind = self.shape.list_kind(&self.names());
                if kind == ListKind::Atomic {
                    return Ok(without_nulls(config));
                }
                let l = live
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                self.merge_lists(&kind, l, c).map(Value::Array)
            }
            _ => Ok(without_nulls(config)),
        }
    }

    /// Merges granular lists keeping live-only items in place and the config's items in config
    /// order (`visitListItems` of structured-merge-diff's merging walker).
    fn merge_lists(
        &mut self,
        kind: &ListKind,
        live: &[Value],
        config: &[Value],
    ) -> Result<Vec<Value>, String> {
        let mut rhs = Vec::with_capacity(config.len());
        for (i, item) in config.iter().enumerate() {
            let pe = item_element(kind, item)
                .map_err(|e| format!("{}: element {i}: {e}", path_string(&self.path)))?;
            if rhs.iter().any(|(p, _)| *p == pe) {
                return Err(format!(
                    "{}: duplicate entries for key {pe}",
                    path_string(&self.path)
                ));
            }
            rhs.push((pe, item));
        }
        let lhs_pes: Vec<PathElement> = live
            .iter()
            .map(|item| item_element(kind, item).unwrap_or(PathElement::Index(usize::MAX)))
            .collect();
        let observed_lhs: BTreeMap<PathElement, &Value> = index_items(kind, live, &self.path)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let observed_rhs: BTreeMap<PathElement, &Value> = rhs.iter().cloned().collect();
        let mut shared: std::collections::VecDeque<&PathElement> = rhs
            .iter()
            .map(|(p, _)| p)
            .filter(|p| observed_lhs.contains_key(*p))
            .collect();
        let mut next_shared = shared.pop_front();
        let mut merged_rhs: Vec<PathElement> = Vec::new();
        let mut out = Vec::with_capacity(live.len().max(config.len()));
        let (mut li, mut ri) = (0, 0);
        while li < live.len() || ri < rhs.len() {
            if let (Some(lpe), Some((rpe, _))) = (lhs_pes.get(li), rhs.get(ri)) {
                if lpe == rpe {
                    merged_rhs.push(lpe.clone());
                    out.push(self.merge_item(
                        lpe,
                        observed_lhs.get(lpe).copied(),
                        observed_rhs.get(lpe).copied(),
                    )?);
                    li += 1;
                    ri += 1;
                    next_shared = shared.pop_front();
                    continue;
                }
                if observed_rhs.contains_key(lpe) && next_shared.is_some_and(|n| n != lpe) {
                    li += 1;
                    continue;
                }
            }
            if let (Some(lpe), Some(item)) = (lhs_pes.get(li), live.get(li)) {
                if !observed_rhs.contains_key(lpe) {
                    out.push(item.clone());
                    li += 1;
                    continue;
                } else if merged_rhs.contains(lpe) {
                    li += 1;
                    continue;
                }
            }
            if let Some((rpe, ritem)) = rhs.get(ri) {
                merged_rhs.push(rpe.clone());
                out.push(self.merge_item(rpe, observed_lhs.get(rpe).copied(), Some(*ritem))?);
                ri += 1;
                if next_shared.is_some_and(|n| n == rpe) {
                    next_shared = shared.pop_front();
                }
            }
        }
        Ok(out)
    }

    fn merge_item(
        &mut self,
        pe: &PathElement,
        live: Option<&Value>,
        config: Option<&Value>,
    ) -> Result<Value, String> {
        match config {
            Some(c) => {
                self.path.push(pe.clone());
                let merged = self.merge(live, c);
                self.path.pop();
                merged
            }
            None => Ok(live.cloned().unwrap_or(Value::Null)),
        }
    }
}

/// A config value as stored: `null` map entries mean "absent".
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn prune_at(
    obj: &mut Value,
    last: &FieldSet,
    owned: Option<&FieldSet>,
    shape: Shape<'_>,
    names: &mut Vec<String>,
) {
    let empty = FieldSet::new();
    let owned = owned.unwrap_or(&empty);
    match obj {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let pe = PathElement::Field(k.clone());
                if !last.touches(&pe) {
                    continue;
                }
                if !owned.touches(&pe) {
                    map.remove(&k);
                    continue;
                }
                if let (Some(child_last), Some(v)) = (last.child(&pe), map.get_mut(&k)) {
                    names.push(k);
                    prune_at(v, child_last, owned.child(&pe), shape, names);
                    names.pop();
                }
            }
        }
        Value::Array(items) => {
            let path: Vec<&str> = names.iter().map(String::as_str).collect();
            let kind = shape.list_kind(&path);
            if kind == ListKind::Atomic {
                return;
            }
            items.retain_mut(|item| {
                let Ok(pe) = item_element(&kind, item) else {
                    return true;
                };
                if last.is_member(&pe) && !owned.is_member(&pe) {
                    return false;
                }
                if let Some(child_last) = last.child(&pe) {
                    prune_at(item, child_last, owned.child(&pe), shape, names);
                }
                true
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::apply::fields::field_set;
    use crate::builtin_patch_meta;

    fn pod() -> Shape<'static> {
        Shape::new(builtin_patch_meta("", "Pod"))
    }

    fn merged(live: Value, config: Value) -> Value {
        match merge(&live, &config, pod()) {
            Ok(v) => v,
            Err(e) => unreachable!("{e}"),
        }
    }

    fn names(list: &Value) -> Vec<&str> {
        list.as_array()
            .map(|a| a.iter().filter_map(|i| i["name"].as_str()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn config_values_win_and_other_fields_stay() {
        let out = merged(
            json!({"spec": {"a": 1, "b": {"c": 2}}}),
            json!({"spec": {"b": {"d": 3}, "a": 5}}),
        );
        assert_eq!(out, json!({"spec": {"a": 5, "b": {"c": 2, "d": 3}}}));
    }

    #[test]
    fn keyed_items_merge_and_live_only_items_keep_their_place() {
        let out = merged(
            json!({"spec": {"containers": [{"name": "a", "x": 1}, {"name": "live"}, {"name": "b"}]}}),
            json!({"spec": {"containers": [{"name": "b"}, {"name": "a", "y": 2}, {"name": "new"}]}}),
        );
        let containers = &out["spec"]["containers"];
        assert_eq!(names(containers), ["live", "b", "a", "new"]);
        assert_eq!(containers[2], json!({"name": "a", "x": 1, "y": 2}));
    }

    #[test]
    fn atomic_lists_are_replaced() {
        let out = merged(
            json!({"spec": {"tolerations": [{"key": "a"}]}}),
            json!({"spec": {"tolerations": [{"key": "b"}]}}),
        );
        assert_eq!(out, json!({"spec": {"tolerations": [{"key": "b"}]}}));
    }

    #[test]
    fn duplicate_keys_in_the_config_are_refused() {
        let err = merge(
            &json!({}),
            &json!({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}),
            pod(),
        );
        assert_eq!(
            err,
            Err(r#".spec.containers: duplicate entries for key [name="a"]"#.into())
        );
    }

    #[test]
    fn pruning_removes_fields_only_the_applier_owned() {
        let mut obj = json!({"spec": {"a": 1, "b": 2, "c": 3,
            "containers": [{"name": "x", "image": "i"}, {"name": "y"}]}});
        let last = field_set(
            &json!({"spec": {"a": 1, "b": 2, "containers": [{"name": "x", "image": "i"}, {"name": "y"}]}}),
            pod(),
        );
        let owned = field_set(
            &json!({"spec": {"b": 2, "c": 3, "containers": [{"name": "y"}]}}),
            pod(),
        );
        let (Ok(last), Ok(owned)) = (last, owned) else {
            unreachable!("valid objects")
        };
        prune(&mut obj, &last, &owned, pod());
        assert_eq!(
            obj,
            json!({"spec": {"b": 2, "c": 3, "containers": [{"name": "y"}]}})
        );
    }
}
