//! Table tests of validation messages against the real server's.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::{FieldErrorKind, Schema, invalid_message};

fn schema(s: Value) -> Schema {
    match Schema::from_value(&s) {
        Ok(s) => s,
        Err(e) => unreachable!("{e}"),
    }
}

/// `field: message` of every error.
fn errors(schema_json: Value, obj: Value) -> Vec<String> {
    schema(schema_json)
        .validate(&obj)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn spec(properties: Value) -> Value {
    json!({"type": "object", "properties": {"spec": {"type": "object", "properties": properties}}})
}

#[test]
fn wrong_types_read_like_the_real_server() {
    let s = spec(json!({
        "replicas": {"type": "integer"},
        "ratio": {"type": "number"},
        "name": {"type": "string"},
        "on": {"type": "boolean"},
        "list": {"type": "array"},
        "map": {"type": "object"}
    }));
    let cases = [
        (
            json!({"replicas": "3"}),
            r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#,
        ),
        (
            json!({"replicas": 1.5}),
            r#"spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number""#,
        ),
        (
            json!({"ratio": true}),
            r#"spec.ratio: Invalid value: "boolean": spec.ratio in body must be of type number: "boolean""#,
        ),
        (
            json!({"name": 5}),
            r#"spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer""#,
        ),
        (
            json!({"on": "yes"}),
            r#"spec.on: Invalid value: "string": spec.on in body must be of type boolean: "string""#,
        ),
        (
            json!({"list": {}}),
            r#"spec.list: Invalid value: "object": spec.list in body must be of type array: "object""#,
        ),
        (
            json!({"map": []}),
            r#"spec.map: Invalid value: "array": spec.map in body must be of type object: "array""#,
        ),
    ];
    for (obj, want) in cases {
        assert_eq!(errors(s.clone(), json!({"spec": obj})), [want]);
    }
    assert!(
        errors(s, json!({"spec": {"ratio": 3}})).is_empty(),
        "integers are numbers"
    );
}

#[test]
fn type_errors_have_the_type_invalid_reason() {
    let found = schema(spec(json!({"replicas": {"type": "integer"}})))
        .validate(&json!({"spec": {"replicas": "x"}}));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FieldErrorKind::TypeInvalid);
    assert_eq!(found[0].reason(), "FieldValueTypeInvalid");
    assert_eq!(found[0].field, "spec.replicas");
}

#[test]
fn int_or_string_accepts_both_and_nothing_else() {
    let s = spec(json!({"port": {"x-kubernetes-int-or-string": true}}));
    assert!(errors(s.clone(), json!({"spec": {"port": 80}})).is_empty());
    assert!(errors(s.clone(), json!({"spec": {"port": "http"}})).is_empty());
    assert_eq!(
        errors(s, json!({"spec": {"port": true}})),
        [
            r#"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#
        ]
    );
}

#[test]
fn missing_required_fields_are_reported_at_their_path() {
    let s = json!({"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["cron", "image"],
        "properties": {"cron": {"type": "string"}, "image": {"type": "string"}}}}});
    assert_eq!(errors(s.clone(), json!({})), ["spec: Required value"]);
    assert_eq!(
        errors(s, json!({"spec": {"image": "x"}})),
        ["spec.cron: Required value"]
    );
}

#[test]
fn enums_list_the_supported_values() {
    let s = spec(
        json!({"mode": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer", "enum": [1, 2]}}),
    );
    assert_eq!(
        errors(s.clone(), json!({"spec": {"mode": "x"}})),
        [r#"spec.mode: Unsupported value: "x": supported values: "a", "b""#]
    );
    assert_eq!(
        errors(s.clone(), json!({"spec": {"n": 3}})),
        [r#"spec.n: Unsupported value: 3: supported values: "1", "2""#]
    );
    assert!(errors(s, json!({"spec": {"mode": "a", "n": 2}})).is_empty());
}

#[test]
fn numeric_bounds_read_like_the_real_server() {
    let s = spec(json!({
        "a": {"type": "integer", "minimum": 1, "maximum": 10},
        "b": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 1000000, "exclusiveMaximum": true},
        "c": {"type": "number", "multipleOf": 0.5}
    }));
    let cases = [
        (
            json!({"a": 0}),
            "spec.a: Invalid value: 0: spec.a in body should be greater than or equal to 1",
        ),
        (
            json!({"a": 11}),
            "spec.a: Invalid value: 11: spec.a in body should be less than or equal to 10",
        ),
        (
            json!({"b": 0}),
            "spec.b: Invalid value: 0: spec.b in body should be greater than 0",
        ),
        (
            json!({"b": 1000000}),
            "spec.b: Invalid value: 1000000: spec.b in body should be less than 1e+06",
        ),
        (
            json!({"c": 0.3}),
            "spec.c: Invalid value: 0.3: spec.c in body should be a multiple of 0.5",
        ),
    ];
    for (obj, want) in cases {
        assert_eq!(errors(s.clone(), json!({"spec": obj})), [want]);
    }
    assert!(errors(s, json!({"spec": {"a": 1, "b": 1, "c": 1.5}})).is_empty());
}

#[test]
fn string_constraints_read_like_the_real_server() {
    let s = spec(json!({
        "short": {"type": "string", "maxLength": 3},
        "long": {"type": "string", "minLength": 2},
        "name": {"type": "string", "pattern": "^[a-z]+$"},
        "at": {"type": "string", "format": "date-time"}
    }));
    let cases = [
        (
            json!({"short": "abcd"}),
            "spec.short: Too long: may not be more than 3 bytes",
        ),
        (
            json!({"long": "a"}),
            r#"spec.long: Invalid value: "a": spec.long in body should be at least 2 chars long"#,
        ),
        (
            json!({"name": "A1"}),
            r#"spec.name: Invalid value: "A1": spec.name in body should match '^[a-z]+$'"#,
        ),
        (
            json!({"at": "now"}),
            r#"spec.at: Invalid value: "now": spec.at in body must be of type date-time: "now""#,
        ),
    ];
    for (obj, want) in cases {
        assert_eq!(errors(s.clone(), json!({"spec": obj})), [want]);
    }
    assert!(
        errors(
            s,
            json!({"spec": {"short": "äöü", "name": "abc", "at": "2024-01-01T00:00:00Z"}})
        )
        .is_empty()
    );
}

#[test]
fn array_constraints_and_items_are_checked() {
    let s = spec(json!({
        "items": {"type": "array", "maxItems": 2, "items": {"type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}}}},
        "some": {"type": "array", "minItems": 1, "items": {"type": "string"}}
    }));
    assert_eq!(
        errors(
            s.clone(),
            json!({"spec": {"items": [{"name": "a"}, {}, {"name": 1}]}})
        ),
        [
            "spec.items: Too many: 3: must have at most 2 items",
            "spec.items[1].name: Required value",
            r#"spec.items[2].name: Invalid value: "integer": spec.items[2].name in body must be of type string: "integer""#,
        ]
    );
    assert_eq!(
        errors(s, json!({"spec": {"some": []}})),
        ["spec.some: Invalid value: 0: spec.some in body should have at least 1 items"]
    );
}

#[test]
fn additional_properties_schemas_validate_map_values() {
    let s = spec(json!({"labels": {"type": "object", "additionalProperties": {"type": "string"}}}));
    assert_eq!(
        errors(s, json!({"spec": {"labels": {"a": "x", "b": 2}}})),
        [
            r#"spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer""#
        ]
    );
}

#[test]
fn nullable_fields_accept_null_and_others_do_not() {
    let s = spec(json!({"a": {"type": "string", "nullable": true}, "b": {"type": "string"}}));
    assert_eq!(
        errors(s, json!({"spec": {"a": null, "b": null}})),
        [r#"spec.b: Invalid value: "null": spec.b in body must be of type string: "null""#]
    );
}

#[test]
fn list_type_set_and_map_reject_duplicates() {
    let s = spec(json!({
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}
    }));
    assert_eq!(
        errors(
            s,
            json!({"spec": {"tags": ["a", "b", "a"], "ports": [{"name": "x", "port": 1}, {"name": "x", "port": 2}]}})
        ),
        [
            r#"spec.ports[1]: Duplicate value: map[string]interface {}{"name":"x"}"#,
            r#"spec.tags[2]: Duplicate value: "a""#,
        ]
    );
}

#[test]
fn combinators_are_checked() {
    let s = spec(json!({
        "any": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "one": {"oneOf": [{"minimum": 0}, {"minimum": 5}]},
        "not": {"not": {"type": "string"}}
    }));
    assert_eq!(
        errors(
            s.clone(),
            json!({"spec": {"any": true, "one": 7, "not": "s"}})
        ),
        [
            "spec.any: Invalid value: true: spec.any in body must validate at least one schema (anyOf)",
            r#"spec.not: Invalid value: "s": spec.not in body must not validate the schema (not)"#,
            "spec.one: Invalid value: 7: spec.one in body must validate one and only one schema (oneOf)",
        ]
    );
    assert!(errors(s, json!({"spec": {"any": 1, "one": 3, "not": 1}})).is_empty());
}

#[test]
fn embedded_resources_need_api_version_and_kind() {
    let s = spec(
        json!({"template": {"type": "object", "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true}}),
    );
    assert_eq!(
        errors(s, json!({"spec": {"template": {"kind": "Pod"}}})),
        ["spec.template.apiVersion: Required value: must not be empty"]
    );
}

#[test]
fn a_valid_object_has_no_errors_and_the_whole_message_reads_like_the_server() {
    let s = json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["cronSpec"],
        "properties": {"cronSpec": {"type": "string"}, "replicas": {"type": "integer", "minimum": 1}}}}});
    assert!(
        errors(
            s.clone(),
            json!({"spec": {"cronSpec": "* * * * *", "replicas": 2}})
        )
        .is_empty()
    );
    let found = schema(s).validate(&json!({"spec": {"replicas": 0}}));
    assert_eq!(
        invalid_message(
            "CronTab",
            "stable.example.com",
            "my-new-cron-object",
            &found
        ),
        r#"CronTab.stable.example.com "my-new-cron-object" is invalid: [spec.cronSpec: Required value, spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1]"#
    );
}
