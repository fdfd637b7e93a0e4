//! Values as upstream holds them: YAML parsed like Go's `sigs.k8s.io/yaml` (numbers are
//! float64), merged with `utils/mergemap.go` rules, shown with integral numbers as integers
//! (how Go's JSON encoder prints a float64 `1`).

use serde_json::{Map, Number, Value};

/// A values YAML text does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses one YAML document; numbers become integers when integral (see [`normalize_numbers`]).
/// An empty document is `null`.
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    let parsed = helm_render::codec::parse_yaml(text).map_err(|e| YamlError {
        line: e.line,
        message: e.message,
    })?;
    let mut value = parsed.to_json();
    normalize_numbers(&mut value);
    Ok(value)
}

/// The text of `path`, or `None` when it does not exist (optional module files).
pub fn read_if_exists(path: &std::path::Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Turns integral floats into integers, as Go prints them and as schemas type them.
pub fn normalize_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.007_199_254_740_992e15
            {
                // Exact: the magnitude is below 2^53.
                #[allow(clippy::cast_possible_truncation, reason = "integral and below 2^53")]
                let i = f as i64;
                *n = Number::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_numbers),
        Value::Object(map) => map.values_mut().for_each(normalize_numbers),
        _ => {}
    }
}

/// Every number as a float64: the values Helm reads back from the values file upstream writes.
pub fn to_float64(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(to_float64).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_float64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `mergemap.Merge`: maps merge deeply; scalars, lists and `null` from `over` replace.
pub fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            (_, v) => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The map under `key` of `doc`, if `doc` is a map and the value is a map.
pub fn section(doc: &Value, key: &str) -> Option<Map<String, Value>> {
    match doc.get(key) {
        Some(Value::Object(m)) => Some(m.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn maps_merge_deeply_and_lists_and_nulls_replace() {
        let mut base = obj(json!({"a": {"x": 1, "l": [1, 2]}, "b": {"c": 1}}));
        merge(&mut base, &obj(json!({"a": {"l": [3], "y": 2}, "b": null})));
        assert_eq!(
            Value::Object(base),
            json!({"a": {"x": 1, "l": [3], "y": 2}, "b": null})
        );
    }

    #[test]
    fn integral_numbers_are_integers_and_others_stay_floats() {
        let v = parse_yaml("a: 1\nb: 1.5\nc: 1000000\nd: [2]\n").unwrap();
        assert_eq!(v, json!({"a": 1, "b": 1.5, "c": 1_000_000, "d": [2]}));
        assert!(v["a"].is_i64());
        let f = to_float64(&v);
        assert!(f["a"].is_f64() && f["d"][0].is_f64());
    }

    #[test]
    fn bad_yaml_names_the_line() {
        let err = parse_yaml("a: 1\nb: [\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
    }
}
