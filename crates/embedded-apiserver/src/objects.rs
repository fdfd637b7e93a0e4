//! Helpers for the metadata every stored object carries.

use serde_json::{Map, Value, json};

/// The current time as the API server formats it (RFC 3339, seconds, `Z`).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A fresh object uid.
pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `prefix` plus five random characters from the alphabet the real server uses.
pub fn generate_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let suffix: String = bytes[..5]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{prefix}{suffix}")
}

/// A string field of `metadata`.
pub fn meta_str<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(key)?.as_str()
}

/// Sets `metadata.<key>`, creating `metadata` when missing.
pub fn set_meta(obj: &mut Value, key: &str, value: Value) {
    ensure_meta(obj);
    obj["metadata"][key] = value;
}

/// Removes `metadata.<key>`.
pub fn remove_meta(obj: &mut Value, key: &str) -> Option<Value> {
    obj.get_mut("metadata")?.as_object_mut()?.remove(key)
}

fn ensure_meta(obj: &mut Value) {
    if !obj.is_object() {
        *obj = json!({});
    }
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
}

/// `metadata.finalizers`.
pub fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Replaces `metadata.finalizers`, dropping the field when empty.
pub fn set_finalizers(obj: &mut Value, list: &[String]) {
    if list.is_empty() {
        remove_meta(obj, "finalizers");
    } else {
        set_meta(obj, "finalizers", json!(list));
    }
}

/// Whether anything outside `metadata` and `status` differs: the rule for bumping `generation`.
pub fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind")
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    strip(old) != strip(new)
}

/// Whether two versions of an object differ in anything a client could observe besides
/// `resourceVersion` and `managedFields` timestamps.
pub fn meaningfully_different(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
            meta.remove("managedFields");
        }
        v
    };
    strip(old) != strip(new)
}

/// Reads the value at a `.a.b.c` path.
pub fn at_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .try_fold(obj, |cur, seg| cur.get(seg))
}

/// Writes the value at a `.a.b.c` path, creating objects on the way.
pub fn set_path(obj: &mut Value, path: &str, value: Value) {
    let segs: Vec<&str> = path
        .trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .collect();
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = obj;
    for seg in parents {
        if !cur.is_object() {
            *cur = json!({});
        }
        let Some(map) = cur.as_object_mut() else {
            return;
        };
        cur = map.entry((*seg).to_owned()).or_insert_with(|| json!({}));
    }
    if !cur.is_object() {
        *cur = json!({});
    }
    if let Some(map) = cur.as_object_mut() {
        map.insert((*last).to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_keep_the_prefix_and_add_five_characters() {
        let name = generate_name("web-");
        assert!(name.starts_with("web-"));
        assert_eq!(name.len(), 9);
    }

    #[test]
    fn label_changes_do_not_count_as_spec_changes() {
        let a = json!({ "metadata": { "labels": { "a": "1" } }, "spec": { "x": 1 }, "status": { "y": 1 } });
        let b = json!({ "metadata": { "labels": { "a": "2" } }, "spec": { "x": 1 }, "status": { "y": 2 } });
        let c = json!({ "metadata": {}, "spec": { "x": 2 } });
        assert!(!spec_changed(&a, &b));
        assert!(spec_changed(&a, &c));
    }

    #[test]
    fn data_changes_count_as_spec_changes_for_configmaps() {
        let a = json!({ "metadata": {}, "data": { "k": "v" } });
        let b = json!({ "metadata": {}, "data": { "k": "w" } });
        assert!(spec_changed(&a, &b));
    }

    #[test]
    fn paths_are_read_and_written() {
        let mut v = json!({});
        set_path(&mut v, ".spec.replicas", json!(3));
        assert_eq!(at_path(&v, ".spec.replicas"), Some(&json!(3)));
        assert_eq!(at_path(&v, ".status.replicas"), None);
    }

    #[test]
    fn set_meta_repairs_non_object_metadata() {
        let mut v = json!({ "metadata": 5 });
        set_meta(&mut v, "name", json!("a"));
        assert_eq!(v["metadata"]["name"], "a");
        let mut w = json!(null);
        set_meta(&mut w, "name", json!("b"));
        assert_eq!(w["metadata"]["name"], "b");
    }
}
