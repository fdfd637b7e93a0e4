//! Helm's value coalescing (`null` deletes, globals flow down) and dependency conditions.

use super::{Chart, ChartError};
use crate::value::{Map, Value};

fn table(v: &Value) -> Option<Map> {
    match v {
        Value::Map(m) => Some(m.borrow().clone()),
        _ => None,
    }
}

/// `coalesceTablesFullKey`: fills `dst` from `src`; `dst` wins; a nil in `dst` deletes the key.
fn coalesce_tables(dst: &mut Map, src: &Map, merge: bool) {
    for (k, sv) in src {
        match dst.get(k) {
            Some(Value::Nil) if !merge => {
                dst.remove(k);
            }
            None => {
                if !matches!(sv, Value::Nil) {
                    dst.insert(k.clone(), without_nulls(sv));
                }
            }
            Some(dv) => {
                if let (Some(mut d), Some(s)) = (table(dv), table(sv)) {
                    coalesce_tables(&mut d, &s, merge);
                    dst.insert(k.clone(), Value::map(d));
                }
            }
        }
    }
}

/// `coalesceValues`: the chart's own values.yaml under the supplied values.
fn coalesce_own(chart: &Chart, v: &mut Map) {
    let defaults = table(&chart.values).unwrap_or_default();
    for (k, dv) in defaults {
        match v.get(&k) {
            Some(Value::Nil) => {
                v.remove(&k);
            }
            Some(Value::Map(m)) => {
                if let Some(src) = table(&dv) {
                    let mut d = m.borrow().clone();
                    coalesce_tables(&mut d, &src, false);
                    v.insert(k, Value::map(d));
                }
            }
            Some(_) => {}
            None => {
                if !matches!(dv, Value::Nil) {
                    v.insert(k, without_nulls(&dv));
                }
            }
        }
    }
}

/// A copy of chart defaults with null map entries removed (a null default means "unset").
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Map(m) => Value::map(
            m.borrow()
                .iter()
                .filter(|(_, x)| !matches!(x, Value::Nil))
                .map(|(k, x)| (k.clone(), without_nulls(x)))
                .collect(),
        ),
        other => other.deep_copy(),
    }
}

/// `coalesceGlobals`: the parent's globals override the subchart's.
fn coalesce_globals(dest: &mut Map, parent: &Map) {
    let mut dg = dest.get("global").and_then(table).unwrap_or_default();
    let sg = parent.get("global").and_then(table).unwrap_or_default();
    for (k, sv) in sg {
        if let Some(s) = table(&sv) {
            let mut vv = s;
            if let Some(d) = dg.get(&k) {
                match table(d) {
                    Some(dm) => coalesce_tables(&mut vv, &dm, true),
                    None => continue,
                }
            }
            dg.insert(k, Value::map(vv));
        } else if dg.get(&k).and_then(table).is_none() {
            dg.insert(k, sv.deep_copy());
        }
    }
    dest.insert("global".into(), Value::map(dg));
}

fn coalesce(chart: &Chart, v: &mut Map) -> Result<(), ChartError> {
    coalesce_own(chart, v);
    for sub in &chart.dependencies {
        let name = sub.metadata.name.clone();
        let mut sv = match v.get(&name) {
            None | Some(Value::Nil) => Map::new(),
            Some(x) => table(x).ok_or_else(|| ChartError::Values {
                chart: chart.metadata.name.clone(),
                message: format!("type mismatch on {name}: not a table"),
            })?,
        };
        let parent = v.clone();
        coalesce_globals(&mut sv, &parent);
        coalesce(sub, &mut sv)?;
        v.insert(name, Value::map(sv));
    }
    Ok(())
}

/// The values a release renders with: supplied values over the chart's, recursively.
pub fn coalesce_values(chart: &Chart, supplied: &Map) -> Result<Map, ChartError> {
    let mut v = Value::map(supplied.clone())
        .deep_copy()
        .as_map()
        .unwrap_or_default();
    coalesce(chart, &mut v)?;
    Ok(v)
}

fn path_value(values: &Map, path: &str) -> Option<Value> {
    let mut cur = Value::map(values.clone());
    for part in path.split('.') {
        cur = cur.as_map()?.get(part)?.clone();
    }
    Some(cur)
}

/// Whether any dependency in the tree has a condition or an alias: only then do the
/// values decide anything, or could coalescing fail differently before the renames.
fn values_matter(chart: &Chart) -> bool {
    chart
        .metadata
        .dependencies
        .iter()
        .any(|d| d.condition.is_some() || d.alias.is_some())
        || chart.dependencies.iter().any(values_matter)
}

fn process(chart: &mut Chart, values: &Map, prefix: &str) -> Result<(), ChartError> {
    let deps = chart.metadata.dependencies.clone();
    let mut keep = vec![true; chart.dependencies.len()];
    for dep in &deps {
        let Some(idx) = chart
            .dependencies
            .iter()
            .position(|c| c.metadata.name == dep.name)
        else {
            return Err(ChartError::MissingDependency {
                chart: chart.metadata.name.clone(),
                dependency: dep.name.clone(),
            });
        };
        if let Some(cond) = &dep.condition {
            for c in cond.split(',') {
                if let Some(Value::Bool(b)) = path_value(values, &format!("{prefix}{}", c.trim())) {
                    keep[idx] = b;
                    break;
                }
            }
        }
        if let Some(alias) = &dep.alias {
            let sub = &mut chart.dependencies[idx];
            sub.metadata.name = alias.clone();
            sub.metadata.fields.insert("Name".into(), Value::str(alias));
        }
    }
    let mut i = 0;
    chart.dependencies.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
    for sub in &mut chart.dependencies {
        let p = format!("{prefix}{}.", sub.metadata.name);
        process(sub, values, &p)?;
    }
    Ok(())
}

/// Checks declared dependencies exist, applies aliases and drops subcharts whose condition is false.
pub fn process_dependencies(chart: &mut Chart, supplied: &Map) -> Result<(), ChartError> {
    // Without conditions or aliases the values are not consulted here, and coalescing the
    // unchanged tree again for the render reports the same errors.
    let values = if values_matter(chart) {
        coalesce_values(chart, supplied)?
    } else {
        Map::new()
    };
    process(chart, &values, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Metadata;

    fn chart(name: &str, values: serde_json::Value, deps: Vec<Chart>) -> Chart {
        let mut m = Map::new();
        m.insert("name".into(), Value::str(name));
        Chart {
            metadata: Metadata::from_value(&Value::map(m)),
            values: Value::from_json(&values),
            templates: Vec::new(),
            files: Vec::new(),
            dependencies: deps,
        }
    }

    #[test]
    fn null_in_supplied_values_deletes_a_default() {
        let c = chart(
            "p",
            serde_json::json!({"a": 1, "b": {"x": 1, "y": 2}}),
            vec![],
        );
        let user = Value::from_json(&serde_json::json!({"a": null, "b": {"y": null}}))
            .as_map()
            .unwrap_or_default();
        let v = Value::map(coalesce_values(&c, &user).unwrap_or_default());
        assert_eq!(v.to_json(), serde_json::json!({"b": {"x": 1.0}}));
    }

    #[test]
    fn parent_globals_override_subchart_globals() {
        let sub = chart(
            "sub",
            serde_json::json!({"global": {"g": "sub", "h": 1}, "own": 1}),
            vec![],
        );
        let c = chart(
            "p",
            serde_json::json!({"global": {"g": "parent"}}),
            vec![sub],
        );
        let v = Value::map(coalesce_values(&c, &Map::new()).unwrap_or_default());
        assert_eq!(
            v.to_json()["sub"],
            serde_json::json!({"global": {"g": "parent", "h": 1.0}, "own": 1.0})
        );
    }
}
