//! Pruning of unknown fields (apiextensions `structuralpruning`): what the schema does not specify
//! is dropped, unless `x-kubernetes-preserve-unknown-fields: true` keeps it.

use serde_json::Value;

use crate::schema::{Additional, Node};

/// Fields an object root (or embedded resource) keeps whatever the schema says.
const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Prunes `obj`, the root of a custom resource.
pub(crate) fn prune(obj: &mut Value, root: &Node) {
    let mut pruner = Pruner { found: None };
    pruner.prune(obj, Some(root), true, "");
}

/// The paths pruning would remove from `obj`.
pub(crate) fn unknown_fields(obj: &Value, root: &Node) -> Vec<String> {
    let mut copy = obj.clone();
    let mut pruner = Pruner {
        found: Some(Vec::new()),
    };
    pruner.prune(&mut copy, Some(root), true, "");
    pruner.found.unwrap_or_default()
}

/// `a.b`, or `b` at the root.
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

struct Pruner {
    /// Pruned paths, when the caller wants them.
    found: Option<Vec<String>>,
}

impl Pruner {
    fn record(&mut self, path: String) {
        if let Some(found) = &mut self.found {
            found.push(path);
        }
    }

    fn prune(&mut self, x: &mut Value, s: Option<&Node>, root: bool, path: &str) {
        if let Some(s) = s
            && s.preserve_unknown
        {
            self.skip_prune(x, s, root, path);
            return;
        }
        match x {
            Value::Object(map) => {
                let Some(s) = s else {
                    for k in map.keys() {
                        self.record(child_path(path, k));
                    }
                    map.clear();
                    return;
                };
                let embedded = root || s.embedded_resource;
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    let Some(v) = map.get_mut(&k) else { continue };
                    if embedded && keeps_meta_field(&k, v) {
                        continue;
                    }
                    let child = child_path(path, &k);
                    if let Some(prop) = s.property(&k) {
                        self.prune(v, Some(prop), false, &child);
                    } else {
                        match &s.additional {
                            Additional::Schema(node) => self.prune(v, Some(node), false, &child),
                            Additional::Allowed(true) => self.prune(v, None, false, &child),
                            Additional::Unspecified | Additional::Allowed(false) => {
                                if !(root && META_FIELDS.contains(&k.as_str())) {
                                    self.record(child);
                                }
                                map.remove(&k);
                            }
                        }
                    }
                }
            }
            Value::Array(items) => {
                let item_schema = s.and_then(|s| s.items.as_deref());
                for (i, item) in items.iter_mut().enumerate() {
                    self.prune(item, item_schema, false, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// Below `x-kubernetes-preserve-unknown-fields`: unknown fields stay, known ones are still
    /// pruned by their schema.
    fn skip_prune(&mut self, x: &mut Value, s: &Node, root: bool, path: &str) {
        match x {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if (root || s.embedded_resource) && META_FIELDS.contains(&k.as_str()) {
                        continue;
                    }
                    let child = child_path(path, k);
                    if let Some(prop) = s.property(k) {
                        self.prune(v, Some(prop), false, &child);
                    } else if let Additional::Schema(node) = &s.additional {
                        self.prune(v, Some(node), false, &child);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = s.items.as_deref() {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.skip_prune(item, item_schema, false, &format!("{path}[{i}]"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `apiVersion`/`kind` strings and a `metadata` object of a resource are not the schema's business.
fn keeps_meta_field(key: &str, value: &Value) -> bool {
    match key {
        "apiVersion" | "kind" => value.is_string(),
        "metadata" => value.is_object(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use crate::Schema;

    fn schema(s: serde_json::Value) -> Schema {
        match Schema::from_value(&s) {
            Ok(s) => s,
            Err(e) => unreachable!("{e}"),
        }
    }

    fn crontab() -> Schema {
        schema(json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "cron": {"type": "string"},
                    "items": {"type": "array", "items": {"type": "object",
                        "properties": {"name": {"type": "string"}}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                        "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                    "embedded": {"type": "object", "x-kubernetes-embedded-resource": true,
                        "properties": {"spec": {"type": "object"}}}
                }}
            }
        }))
    }

    #[test]
    fn unknown_fields_are_pruned_but_the_resource_envelope_stays() {
        let mut obj = json!({
            "apiVersion": "stable.example.com/v1", "kind": "CronTab",
            "metadata": {"name": "x", "whatever": 1},
            "top": 1,
            "spec": {
                "cron": "* * * * *", "extra": true,
                "items": [{"name": "a", "junk": 1}],
                "labels": {"a": "b"},
                "free": {"anything": {"goes": 1}, "known": {"a": "x", "b": "pruned"}},
                "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                    "spec": {"x": 1}, "status": {}}
            }
        });
        let s = crontab();
        assert_eq!(
            s.unknown_fields(&obj),
            [
                "top",
                "spec.extra",
                "spec.items[0].junk",
                "spec.free.known.b",
                "spec.embedded.spec.x",
                "spec.embedded.status"
            ]
        );
        s.default_and_prune(&mut obj);
        assert_eq!(
            obj,
            json!({
                "apiVersion": "stable.example.com/v1", "kind": "CronTab",
                "metadata": {"name": "x", "whatever": 1},
                "spec": {
                    "cron": "* * * * *",
                    "items": [{"name": "a"}],
                    "labels": {"a": "b"},
                    "free": {"anything": {"goes": 1}, "known": {"a": "x"}},
                    "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                        "spec": {}}
                }
            })
        );
    }

    #[test]
    fn a_preserving_root_keeps_everything_unknown() {
        let s = schema(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
        let mut obj = json!({"spec": {"a": [1, {"b": 2}]}, "status": 1});
        let before = obj.clone();
        s.default_and_prune(&mut obj);
        assert_eq!(obj, before);
        assert!(s.unknown_fields(&obj).is_empty());
    }
}
