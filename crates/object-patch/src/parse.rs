//! Parsing `$KUBERNETES_PATCH_PATH`: a JSON stream (tried first) or YAML documents, all validated before use.
//!
//! The whole batch is rejected at the first invalid document, naming its index and field, so that nothing
//! runs when the hook wrote something wrong (as upstream).

use serde_json::{Map, Value};

use crate::error::ParseError;
use crate::operation::{Action, CreateMode, DeleteMode, Operation, Target};

const KNOWN_FIELDS: &[&str] = &[
    "operation",
    "apiVersion",
    "kind",
    "namespace",
    "name",
    "subresource",
    "object",
    "mergePatch",
    "jsonPatch",
    "jqFilter",
    "ignoreMissingObject",
    "ignoreHookError",
];

/// Parses a whole patch file into operations, or rejects it.
pub fn parse_operations(text: &str) -> Result<Vec<Operation>, ParseError> {
    let documents = split_documents(text)?;
    documents
        .iter()
        .enumerate()
        .map(|(index, doc)| parse_document(index, doc))
        .collect()
}

/// The documents of the file: JSON values in a stream, else YAML documents; empty documents are skipped.
fn split_documents(text: &str) -> Result<Vec<Value>, ParseError> {
    let json: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect();
    if let Ok(docs) = json {
        return Ok(docs);
    }
    let mut docs = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document)
            .map_err(|e| ParseError::Syntax(e.to_string()))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

fn parse_document(index: usize, doc: &Value) -> Result<Operation, ParseError> {
    let err = |field: &str, message: &str| ParseError::Document {
        index,
        field: field.to_owned(),
        message: message.to_owned(),
    };
    let Some(map) = doc.as_object() else {
        return Err(err("", "a document must be an object"));
    };
    if let Some(unknown) = map.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(err(unknown, "unknown field"));
    }
    let string = |field: &str| -> Result<String, ParseError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(err(field, "must be a string")),
        }
    };
    let boolean = |field: &str| -> Result<bool, ParseError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(err(field, "must be a boolean")),
        }
    };
    let required = |field: &str| -> Result<String, ParseError> {
        let value = string(field)?;
        if value.is_empty() {
            return Err(err(field, "is required"));
        }
        Ok(value)
    };
    let operation = required("operation")?;
    let target = Target {
        api_version: string("apiVersion")?,
        kind: string("kind")?,
        namespace: string("namespace")?,
        name: string("name")?,
        subresource: string("subresource")?,
    };
    let named_target = || -> Result<(), ParseError> {
        required("kind")?;
        required("name")?;
        Ok(())
    };
    let action = match operation.as_str() {
        "Create" | "CreateIfNotExists" | "CreateOrUpdate" => {
            let mode = match operation.as_str() {
                "Create" => CreateMode::Create,
                "CreateIfNotExists" => CreateMode::IfNotExists,
                _ => CreateMode::OrUpdate,
            };
            let object = embedded(map, "object").map_err(|m| err("object", &m))?;
            match &object {
                Value::Object(o) if !o.is_empty() => {}
                _ => return Err(err("object", "must be a non-empty object")),
            }
            for field in ["apiVersion", "kind"] {
                if !object.get(field).is_some_and(Value::is_string) {
                    return Err(err(&format!("object.{field}"), "is required"));
                }
            }
            Action::Create { object, mode }
        }
        "Delete" | "DeleteInBackground" | "DeleteNonCascading" => {
            named_target()?;
            Action::Delete(match operation.as_str() {
                "Delete" => DeleteMode::Foreground,
                "DeleteInBackground" => DeleteMode::Background,
                _ => DeleteMode::NonCascading,
            })
        }
        "JQPatch" => {
            named_target()?;
            let filter = required("jqFilter")?;
            let filter = jq_filter::JqFilter::compile(&filter)
                .map_err(|e| err("jqFilter", &e.to_string()))?;
            Action::JqPatch(filter)
        }
        "MergePatch" => {
            named_target()?;
            let patch = embedded(map, "mergePatch").map_err(|m| err("mergePatch", &m))?;
            match &patch {
                Value::Object(o) if !o.is_empty() => {}
                _ => return Err(err("mergePatch", "must be a non-empty object")),
            }
            Action::MergePatch(patch)
        }
        "JSONPatch" => {
            named_target()?;
            let patch = embedded(map, "jsonPatch").map_err(|m| err("jsonPatch", &m))?;
            if patch.as_array().is_none_or(|a| a.is_empty()) {
                return Err(err("jsonPatch", "must be a non-empty array"));
            }
            let patch: json_patch::Patch =
                serde_json::from_value(patch).map_err(|e| err("jsonPatch", &e.to_string()))?;
            Action::JsonPatch(patch)
        }
        other => {
            return Err(err(
                "operation",
                &format!(
                    "unknown operation '{other}' (Create, CreateIfNotExists, CreateOrUpdate, Delete, \
                     DeleteInBackground, DeleteNonCascading, JQPatch, MergePatch, JSONPatch)"
                ),
            ));
        }
    };
    Ok(Operation {
        action,
        target,
        ignore_missing_object: boolean("ignoreMissingObject")?,
        ignore_hook_error: boolean("ignoreHookError")?,
    })
}

/// A field holding a value, or a string holding YAML or JSON for it.
fn embedded(map: &Map<String, Value>, field: &str) -> Result<Value, String> {
    match map.get(field) {
        None | Some(Value::Null) => Err("is required".to_owned()),
        Some(Value::String(text)) => {
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                return Ok(value);
            }
            serde_norway::from_str::<Value>(text)
                .map_err(|e| format!("string is neither JSON nor YAML: {e}"))
        }
        Some(value) => Ok(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(text: &str) -> Vec<&'static str> {
        match parse_operations(text) {
            Ok(ops) => ops.iter().map(Operation::name).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    fn rejected(text: &str) -> (usize, String) {
        match parse_operations(text) {
            Err(ParseError::Document { index, field, .. }) => (index, field),
            other => panic!("expected a document error, got {other:?}"),
        }
    }

    #[test]
    fn every_operation_parses_from_a_json_stream() {
        let text = r#"
{"operation":"Create","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}}
{"operation":"CreateIfNotExists","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}}
{"operation":"CreateOrUpdate","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}}
{"operation":"Delete","kind":"Pod","namespace":"default","name":"nginx"}
{"operation":"DeleteInBackground","kind":"Pod","namespace":"default","name":"nginx"}
{"operation":"DeleteNonCascading","kind":"Pod","namespace":"default","name":"nginx"}
{"operation":"JQPatch","kind":"ConfigMap","namespace":"default","name":"a","jqFilter":".data.x = \"y\""}
{"operation":"MergePatch","kind":"Deployment","namespace":"default","name":"nginx","mergePatch":{"spec":{"replicas":1}},"subresource":"scale"}
{"operation":"JSONPatch","kind":"Deployment","namespace":"default","name":"nginx","jsonPatch":[{"op":"replace","path":"/spec/replicas","value":1}]}
"#;
        assert_eq!(
            names(text),
            [
                "Create",
                "CreateIfNotExists",
                "CreateOrUpdate",
                "Delete",
                "DeleteInBackground",
                "DeleteNonCascading",
                "JQPatch",
                "MergePatch",
                "JSONPatch"
            ]
        );
    }

    #[test]
    fn yaml_documents_with_strings_holding_yaml_and_json_parse() {
        let text = "operation: MergePatch\nkind: Deployment\nnamespace: default\nname: nginx\nignoreMissingObject: true\nmergePatch: |\n  spec:\n    replicas: 1\n---\noperation: JSONPatch\nkind: Deployment\nname: nginx\njsonPatch: '[{\"op\":\"add\",\"path\":\"/a\",\"value\":1}]'\n---\noperation: Create\nobject: |\n  {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}\nignoreHookError: true\n---\n";
        let ops = parse_operations(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ops.len(), 3);
        match &ops[0].action {
            Action::MergePatch(p) => assert_eq!(p, &json!({"spec": {"replicas": 1}})),
            other => panic!("{other:?}"),
        }
        assert!(ops[0].ignore_missing_object);
        assert!(matches!(&ops[1].action, Action::JsonPatch(p) if p.0.len() == 1));
        assert!(
            matches!(&ops[2].action, Action::Create { object, .. } if object["metadata"]["name"] == "x")
        );
        assert!(ops[2].ignore_hook_error);
        assert_eq!(ops[2].description(), "Create ConfigMap x");
    }

    #[test]
    fn an_unknown_key_rejects_the_batch_naming_document_and_field() {
        let text = "{\"operation\":\"Delete\",\"kind\":\"Pod\",\"name\":\"a\"}\n{\"operation\":\"Delete\",\"kind\":\"Pod\",\"name\":\"b\",\"foo\":1}";
        assert_eq!(rejected(text), (1, "foo".into()));
    }

    #[test]
    fn malformed_documents_are_rejected_with_the_field_at_fault() {
        let cases = [
            (r#"{"kind":"Pod","name":"a"}"#, "operation"),
            (
                r#"{"operation":"Explode","kind":"Pod","name":"a"}"#,
                "operation",
            ),
            (r#"{"operation":"Delete","kind":"Pod"}"#, "name"),
            (r#"{"operation":"Delete","name":"a"}"#, "kind"),
            (r#"{"operation":"Create","object":{}}"#, "object"),
            (
                r#"{"operation":"Create","object":{"kind":"ConfigMap"}}"#,
                "object.apiVersion",
            ),
            (r#"{"operation":"Create","object":"a: ["}"#, "object"),
            (
                r#"{"operation":"MergePatch","kind":"Pod","name":"a","mergePatch":{}}"#,
                "mergePatch",
            ),
            (
                r#"{"operation":"JSONPatch","kind":"Pod","name":"a","jsonPatch":[]}"#,
                "jsonPatch",
            ),
            (
                r#"{"operation":"JSONPatch","kind":"Pod","name":"a","jsonPatch":[{"op":"explode","path":"/a"}]}"#,
                "jsonPatch",
            ),
            (
                r#"{"operation":"JQPatch","kind":"Pod","name":"a"}"#,
                "jqFilter",
            ),
            (
                r#"{"operation":"JQPatch","kind":"Pod","name":"a","jqFilter":".a = ("}"#,
                "jqFilter",
            ),
            (
                r#"{"operation":"Delete","kind":"Pod","name":"a","ignoreMissingObject":"yes"}"#,
                "ignoreMissingObject",
            ),
            (r#"{"operation":"Delete","kind":5,"name":"a"}"#, "kind"),
        ];
        for (text, field) in cases {
            assert_eq!(rejected(text), (0, field.to_owned()), "{text}");
        }
    }

    #[test]
    fn text_that_is_neither_json_nor_yaml_is_a_syntax_error() {
        assert!(matches!(
            parse_operations("{\"operation\": [}"),
            Err(ParseError::Syntax(_))
        ));
    }

    #[test]
    fn an_empty_file_has_no_operations() {
        assert_eq!(names(""), Vec::<&str>::new());
        assert_eq!(names("---\n"), Vec::<&str>::new());
    }
}
