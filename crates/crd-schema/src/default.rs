//! Defaulting (apiextensions `structuraldefaulting`): `default`s fill absent fields and `null`s of
//! non-nullable fields; `null`s of non-nullable fields without a default are dropped first.

use serde_json::Value;

use crate::schema::{Additional, Node};

/// `PruneNonNullableNullsWithoutDefaults`.
pub(crate) fn drop_non_nullable_nulls(x: &mut Value, s: &Node) {
    match x {
        Value::Object(map) => {
            map.retain(|k, v| {
                !(v.is_null()
                    && s.property(k)
                        .is_some_and(|p| !p.nullable && p.default.is_none()))
            });
            for (k, v) in map.iter_mut() {
                if let Some(node) = s.entry(k) {
                    drop_non_nullable_nulls(v, node);
                }
            }
        }
        Value::Array(items) => {
            if let Some(node) = s.items.as_deref() {
                for item in items {
                    drop_non_nullable_nulls(item, node);
                }
            }
        }
        _ => {}
    }
}

/// `Default`: defaults are deep-copied, then defaulted themselves like any other value.
pub(crate) fn apply_defaults(x: &mut Value, s: &Node) {
    match x {
        Value::Object(map) => {
            for (k, prop) in &s.properties {
                let Some(default) = &prop.default else {
                    continue;
                };
                let missing = match map.get(k) {
                    None => true,
                    Some(v) => is_non_nullable_null(v, prop),
                };
                if missing {
                    map.insert(k.clone(), default.clone());
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(prop) = s.property(k) {
                    apply_defaults(v, prop);
                } else if let Additional::Schema(node) = &s.additional {
                    if is_non_nullable_null(v, node)
                        && let Some(default) = &node.default
                    {
                        *v = default.clone();
                    }
                    apply_defaults(v, node);
                }
            }
        }
        Value::Array(items) => {
            let Some(node) = s.items.as_deref() else {
                return;
            };
            for item in items {
                if is_non_nullable_null(item, node)
                    && let Some(default) = &node.default
                {
                    *item = default.clone();
                }
                apply_defaults(item, node);
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(v: &Value, s: &Node) -> bool {
    v.is_null() && !s.nullable
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use crate::Schema;

    fn defaulted(schema: serde_json::Value, mut obj: serde_json::Value) -> serde_json::Value {
        match Schema::from_value(&schema) {
            Ok(s) => s.default_and_prune(&mut obj),
            Err(e) => unreachable!("{e}"),
        }
        obj
    }

    #[test]
    fn absent_fields_get_their_defaults_recursively() {
        let schema = json!({"type": "object", "properties": {"spec": {
            "type": "object",
            "default": {},
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "strategy": {"type": "object", "default": {"junk": 1},
                    "properties": {"type": {"type": "string", "default": "Rolling"}}},
                "ports": {"type": "array", "items": {"type": "object",
                    "properties": {"protocol": {"type": "string", "default": "TCP"}, "port": {"type": "integer"}}}},
                "limits": {"type": "object", "additionalProperties": {"type": "object",
                    "properties": {"max": {"type": "integer", "default": 10}}}}
            }
        }}});
        let obj = json!({"spec": {"ports": [{"port": 80}], "limits": {"cpu": {}}}});
        assert_eq!(
            defaulted(schema.clone(), obj),
            json!({"spec": {
                "ports": [{"port": 80, "protocol": "TCP"}],
                "limits": {"cpu": {"max": 10}},
                "replicas": 1,
                "strategy": {"type": "Rolling"}
            }})
        );
        assert_eq!(
            defaulted(schema, json!({})),
            json!({"spec": {"replicas": 1, "strategy": {"type": "Rolling"}}})
        );
    }

    #[test]
    fn present_values_are_not_overwritten() {
        let schema = json!({"properties": {"a": {"type": "integer", "default": 1}}});
        assert_eq!(defaulted(schema, json!({"a": 5})), json!({"a": 5}));
    }

    #[test]
    fn nulls_of_non_nullable_fields_are_defaulted_or_dropped() {
        let schema = json!({"properties": {
            "a": {"type": "integer", "default": 1},
            "b": {"type": "string"},
            "c": {"type": "string", "nullable": true},
            "d": {"type": "string", "nullable": true, "default": "x"}
        }});
        assert_eq!(
            defaulted(schema, json!({"a": null, "b": null, "c": null, "d": null})),
            json!({"a": 1, "c": null, "d": null})
        );
    }
}
