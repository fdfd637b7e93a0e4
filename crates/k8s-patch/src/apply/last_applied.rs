//! The bridge between client-side and server-side apply for the `kubectl` manager: conflicts on
//! values unchanged since the last client-side apply are allowed, and the last-applied annotation
//! follows server-side applies (the apiserver's `lastAppliedManager` and `lastAppliedUpdater`).

use serde_json::{Map, Value};

use super::fields::{compare, field_set};
use super::path::path_string;
use super::shape::Shape;
use crate::FieldConflict;

/// The field manager `kubectl apply --server-side` uses.
pub(super) const KUBECTL: &str = "kubectl";
/// The annotation client-side `kubectl apply` keeps its last configuration in.
const ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether every conflict is on a field of the last-applied configuration whose live value still
/// equals it.
pub(super) fn conflicts_allowed(
    live: &Value,
    conflicts: &[FieldConflict],
    shape: Shape<'_>,
) -> bool {
    let Some(text) = annotation(live) else {
        return false;
    };
    let Ok(last) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    if !last.is_object() {
        return false;
    }
    let (Ok(set), Ok(changes)) = (field_set(&last, shape), compare(&last, live, shape)) else {
        return false;
    };
    let allowed: Vec<String> = set
        .difference(&changes.modified)
        .paths()
        .iter()
        .map(|p| path_string(p))
        .collect();
    conflicts.iter().all(|c| allowed.contains(&c.field))
}

/// Rewrites the last-applied annotation of `object`, if it has one, to the applied configuration.
pub(super) fn sync(object: &mut Value, applied: &Value) {
    if annotation(object).is_none() {
        return;
    }
    let mut config = applied.clone();
    if let Some(annotations) = config
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        annotations.remove(ANNOTATION);
    }
    let text = go_json(&config);
    if let Some(annotations) = object
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        annotations.insert(ANNOTATION.into(), Value::String(text));
    }
}

fn annotation(obj: &Value) -> Option<&str> {
    obj.get("metadata")?
        .get("annotations")?
        .get(ANNOTATION)?
        .as_str()
}

/// JSON as Go's `json.Encoder` writes a map: sorted keys, HTML characters escaped, a final newline.
fn go_json(value: &Value) -> String {
    let text = sorted(value).to_string();
    let mut out = String::with_capacity(text.len() + 1);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(v) = map.get(k) {
                    out.insert(k.clone(), sorted(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn annotation_json_is_sorted_escaped_and_newline_terminated() {
        assert_eq!(
            go_json(&json!({"b": "<&>", "a": 1})),
            "{\"a\":1,\"b\":\"\\u003c\\u0026\\u003e\"}\n"
        );
    }

    #[test]
    fn sync_only_rewrites_an_existing_annotation() {
        let mut without = json!({"metadata": {"name": "x"}});
        sync(&mut without, &json!({"data": {"a": "1"}}));
        assert_eq!(without, json!({"metadata": {"name": "x"}}));

        let mut with = json!({"metadata": {"annotations": {ANNOTATION: "{}"}}});
        sync(
            &mut with,
            &json!({"metadata": {"annotations": {ANNOTATION: "old", "x": "y"}}, "data": {"a": "1"}}),
        );
        assert_eq!(
            with["metadata"]["annotations"][ANNOTATION],
            json!("{\"data\":{\"a\":\"1\"},\"metadata\":{\"annotations\":{\"x\":\"y\"}}}\n")
        );
    }
}
