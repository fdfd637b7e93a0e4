//! The `$` directives of strategic merge patch and the errors the real server reports for them.

use serde_json::{Map, Value};

use crate::PatchError;

/// `$patch: replace|delete|merge` inside a map or a list item.
pub(super) const PATCH: &str = "$patch";
/// `$retainKeys: [..]`: keys of the map to keep; others are cleared.
pub(super) const RETAIN_KEYS: &str = "$retainKeys";
/// `$deleteFromPrimitiveList/<field>: [..]`: scalars to remove from a merged list.
pub(super) const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
/// `$setElementOrder/<field>: [..]`: the order of a merged list after the patch.
pub(super) const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// The field a `<prefix>/<field>` directive key names, as Go's `extractKey`.
pub(super) fn directive_field<'k>(key: &'k str, prefix: &str) -> Result<&'k str, PatchError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST => {
            Err(bad("invalid patch format of primitive list"))
        }
        _ => Err(bad("invalid patch format of setElementOrder list")),
    }
}

/// Prepares a patch value that lands where the original has nothing to merge with.
///
/// Like Go's `removeDirectives` (a map carrying `$patch` is dropped entirely) plus what the real
/// server's typed decoding does afterwards: other `$` keys and `null` map values disappear.
pub(super) fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) => {
            if map.contains_key(PATCH) {
                return None;
            }
            Some(Value::Object(clean_map(map)))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// [`remove_directives`] for the entries of a map that is itself kept.
pub(super) fn clean_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
        .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
        .collect()
}

/// Equality as Go's `==` on decoded JSON scalars (all numbers are float64 there).
pub(super) fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// Go's `fmt.Sprintf("%v")` rendering of a decoded JSON value, used in error messages: maps with
/// sorted keys as `map[k:v]`, lists as `[a b]`, strings bare, `null` as `<nil>`.
pub fn go_format(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_format).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .filter_map(|k| map.get(k).map(|v| format!("{k}:{}", go_format(v))))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// The name of a JSON value's Go type, for "expected a ..., but received a ..." messages.
pub(super) fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

pub(super) fn bad(message: impl Into<String>) -> PatchError {
    PatchError::InvalidPatch(message.into())
}

/// `mergepatch.ErrNoMergeKey`.
pub(super) fn no_merge_key(item: &Value, key: &str) -> PatchError {
    bad(format!(
        "map: {} does not contain declared merge key: {key}",
        go_format(item)
    ))
}

/// `mergepatch.ErrBadArgType`.
pub(super) fn bad_arg_type(expected: &str, actual: &Value) -> PatchError {
    bad(format!(
        "expected a {expected}, but received a {}",
        go_type(actual)
    ))
}

/// `mergepatch.ErrBadPatchType`.
pub(super) fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> PatchError {
    bad(format!(
        "unknown patch type: {} in map: {}",
        go_format(directive),
        go_format(&Value::Object(map.clone()))
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn directive_keys_name_the_field_after_the_slash() {
        assert_eq!(
            directive_field("$setElementOrder/containers", SET_ELEMENT_ORDER).ok(),
            Some("containers")
        );
        assert!(directive_field("$setElementOrderX", SET_ELEMENT_ORDER).is_err());
        assert!(directive_field("$deleteFromPrimitiveList", DELETE_FROM_PRIMITIVE_LIST).is_err());
    }

    #[test]
    fn removing_directives_drops_maps_with_patch_markers_and_null_values() {
        let value = json!({
            "a": null,
            "b": {"$patch": "delete", "x": 1},
            "c": [{"$patch": "delete", "name": "x"}, {"name": "y", "$retainKeys": ["name"]}],
            "$setElementOrder/c": [{"name": "y"}],
            "d": 1
        });
        assert_eq!(
            remove_directives(value),
            Some(json!({"c": [{"name": "y"}], "d": 1}))
        );
        assert_eq!(remove_directives(json!({"$patch": "replace"})), None);
    }

    #[test]
    fn numbers_compare_like_go_floats() {
        assert!(scalar_eq(&json!(80), &json!(80.0)));
        assert!(!scalar_eq(&json!(80), &json!("80")));
    }

    #[test]
    fn go_formatting_sorts_map_keys() {
        assert_eq!(go_format(&json!({"b": 1, "a": "x"})), "map[a:x b:1]");
        assert_eq!(go_format(&json!([1, "a"])), "[1 a]");
    }
}
