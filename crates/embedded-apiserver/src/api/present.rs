//! Shaping stored objects for responses: apiVersion of the requested version, scale views, lists.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::objects::{at_path, set_path};
use crate::resources::ResourceType;
use crate::store::Stored;

/// The stored object as served at `rt`'s version.
pub fn present(rt: &ResourceType, obj: &Value) -> Value {
    let mut out = obj.clone();
    set_type(rt, &mut out);
    out
}

/// Sets `apiVersion` and `kind` to `rt`'s.
pub fn set_type(rt: &ResourceType, obj: &mut Value) {
    if let Some(map) = obj.as_object_mut() {
        let api_version = rt.api_version();
        if map.get("apiVersion").and_then(Value::as_str) != Some(api_version.as_str()) {
            map.insert("apiVersion".to_owned(), json!(api_version));
        }
        if map.get("kind").and_then(Value::as_str) != Some(rt.kind.as_str()) {
            map.insert("kind".to_owned(), json!(rt.kind));
        }
    }
}

/// Serializes one object, avoiding a copy when it is already in `rt`'s shape.
pub fn write_item(rt: &ResourceType, obj: &Value, out: &mut Vec<u8>) {
    let matches = obj["apiVersion"].as_str() == Some(rt.api_version().as_str())
        && obj["kind"].as_str() == Some(rt.kind.as_str());
    let result = if matches {
        serde_json::to_writer(&mut *out, obj)
    } else {
        serde_json::to_writer(&mut *out, &present(rt, obj))
    };
    // Writing a Value into a Vec cannot fail.
    let _ = result;
}

/// One object serialized as served at `rt`'s version.
pub fn item_bytes(rt: &ResourceType, obj: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_item(rt, obj, &mut out);
    out
}

/// Whether a stored object's JSON is already what `rt` serves, so it can be sent as it is.
pub fn served_as_is(rt: &ResourceType, api_version: &str, stored: &Stored) -> bool {
    stored.api_version() == api_version && stored.kind() == rt.kind
}

/// An item of a list response.
pub trait ListItem {
    /// Appends the item as served at `rt`'s version (`api_version` is `rt.api_version()`).
    fn write_as(&self, rt: &ResourceType, api_version: &str, out: &mut Vec<u8>);
}

impl ListItem for Arc<Value> {
    fn write_as(&self, rt: &ResourceType, _: &str, out: &mut Vec<u8>) {
        write_item(rt, self, out);
    }
}

impl ListItem for Arc<Stored> {
    fn write_as(&self, rt: &ResourceType, api_version: &str, out: &mut Vec<u8>) {
        if served_as_is(rt, api_version, self) {
            out.extend_from_slice(self.json());
        } else {
            write_item(rt, &self.value(), out);
        }
    }
}

/// Serializes a list response.
pub fn list_bytes<'a, T: ListItem + 'a>(
    rt: &ResourceType,
    metadata: &Value,
    items: impl Iterator<Item = &'a T>,
) -> Vec<u8> {
    let api_version = rt.api_version();
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut out, &rt.list_kind());
    out.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut out, &api_version);
    out.extend_from_slice(b",\"metadata\":");
    let _ = serde_json::to_writer(&mut out, metadata);
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_as(rt, &api_version, &mut out);
    }
    out.extend_from_slice(b"]}");
    out
}

/// Formats a `matchLabels` selector as a label selector string.
fn selector_string(selector: &Value) -> String {
    selector["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The `autoscaling/v1` Scale view of an object.
pub fn scale_view(rt: &ResourceType, obj: &Value) -> Value {
    let Some(paths) = &rt.scale else {
        return Value::Null;
    };
    let meta = &obj["metadata"];
    let mut metadata = json!({});
    for key in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if !meta[key].is_null() {
            metadata[key] = meta[key].clone();
        }
    }
    let replicas = at_path(obj, &paths.spec_replicas)
        .cloned()
        .unwrap_or(json!(0));
    let status_replicas = at_path(obj, &paths.status_replicas)
        .cloned()
        .unwrap_or(json!(0));
    let selector = match &paths.label_selector {
        Some(path) => at_path(obj, path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        None if !rt.custom => obj
            .pointer("/spec/selector")
            .map(selector_string)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut status = json!({ "replicas": status_replicas });
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": { "replicas": replicas },
        "status": status,
    })
}

/// Writes the desired replicas of a Scale into the object.
pub fn apply_scale(rt: &ResourceType, obj: &mut Value, scale: &Value) {
    if let Some(paths) = &rt.scale {
        let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
        set_path(obj, &paths.spec_replicas, replicas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Registry;

    #[test]
    fn deployment_scale_view_shows_replicas_and_selector() {
        let rt = Registry::builtin()
            .get("apps", "v1", "deployments")
            .unwrap();
        let d = json!({
            "metadata": { "name": "web", "namespace": "ns", "resourceVersion": "7" },
            "spec": { "replicas": 3, "selector": { "matchLabels": { "app": "web" } } },
            "status": { "replicas": 2 },
        });
        let s = scale_view(&rt, &d);
        assert_eq!(s["spec"]["replicas"], 3);
        assert_eq!(s["status"], json!({ "replicas": 2, "selector": "app=web" }));
        assert_eq!(s["metadata"]["resourceVersion"], "7");
        let mut d2 = d.clone();
        apply_scale(&rt, &mut d2, &json!({ "spec": { "replicas": 5 } }));
        assert_eq!(d2["spec"]["replicas"], 5);
    }

    #[test]
    fn list_bytes_is_valid_json_with_typed_items() {
        let rt = Registry::builtin().get("", "v1", "configmaps").unwrap();
        let items = [Arc::new(json!({ "metadata": { "name": "a" } }))];
        let bytes = list_bytes(&rt, &json!({ "resourceVersion": "3" }), items.iter());
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["kind"], "ConfigMapList");
        assert_eq!(v["items"][0]["kind"], "ConfigMap");
        assert_eq!(v["items"][0]["apiVersion"], "v1");
    }

    #[test]
    fn stored_items_are_copied_as_they_are_or_typed_when_they_differ() {
        let rt = Registry::builtin().get("", "v1", "configmaps").unwrap();
        let typed = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "a" } });
        let untyped = json!({ "metadata": { "name": "b" } });
        let items = [
            Arc::new(Stored::new(&typed)),
            Arc::new(Stored::new(&untyped)),
        ];
        let bytes = list_bytes(&rt, &json!({}), items.iter());
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["items"][0], typed);
        assert_eq!(v["items"][1]["kind"], "ConfigMap");
        assert_eq!(v["items"][1]["metadata"]["name"], "b");
    }
}
