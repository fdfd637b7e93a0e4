//! The OpenAPI schemas of a module (or of `global`): `openapi/config-values.yaml` and
//! `openapi/values.yaml`, with upstream's transforms (`x-extend`, implicit
//! `additionalProperties: false`), used for defaulting and for validating config values.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::values::{YamlError, parse_yaml, read_if_exists};

/// A schema file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Reading the file failed.
    #[error("read schema {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("parse schema {}: {error}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause (in the message, so not a `source`).
        error: YamlError,
    },
    /// The file is not a schema this crate can compile.
    #[error("compile schema {}", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crd_schema::SchemaError,
    },
}

/// One compiled schema and where it came from.
#[derive(Debug, Clone)]
pub struct ValuesSchema {
    schema: crd_schema::Schema,
    path: PathBuf,
}

impl ValuesSchema {
    /// The schema file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills absent fields of existing objects with their `default`s.
    pub fn apply_defaults(&self, values: &mut Value) {
        self.schema.apply_defaults(values);
    }

    /// Every violation of `values` against the schema, as `field: message` lines.
    pub fn validate(&self, values: &Value) -> Vec<crd_schema::FieldError> {
        self.schema.validate(values)
    }
}

/// The config-values and values schemas of one `openapi/` directory.
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    /// `config-values.yaml`: ConfigMap sections are validated against it.
    pub config: Option<ValuesSchema>,
    /// `values.yaml` (with `x-extend` applied): defaults of the effective values.
    pub values: Option<ValuesSchema>,
}

impl Schemas {
    /// Loads `<openapi_dir>/config-values.yaml` and `<openapi_dir>/values.yaml` when present.
    pub fn load(openapi_dir: &Path) -> Result<Schemas, SchemaError> {
        let config_path = openapi_dir.join("config-values.yaml");
        let values_path = openapi_dir.join("values.yaml");
        let config_raw = read_optional(&config_path)?;
        let values_raw = read_optional(&values_path)?;
        let config = config_raw
            .clone()
            .map(|raw| compile(raw, &config_path))
            .transpose()?;
        let values = values_raw
            .map(|mut raw| {
                if let (Some(parent), Value::Object(child)) = (&config_raw, &mut raw)
                    && child.remove("x-extend").is_some()
                {
                    extend(child, parent);
                }
                compile(raw, &values_path)
            })
            .transpose()?;
        Ok(Schemas { config, values })
    }
}

fn read_optional(path: &Path) -> Result<Option<Value>, SchemaError> {
    let read = read_if_exists(path).map_err(|source| SchemaError::Read {
        path: path.to_owned(),
        source,
    })?;
    let Some(text) = read else {
        return Ok(None);
    };
    parse_yaml(&text)
        .map(Some)
        .map_err(|error| SchemaError::Parse {
            path: path.to_owned(),
            error,
        })
}

fn compile(mut raw: Value, path: &Path) -> Result<ValuesSchema, SchemaError> {
    forbid_additional_properties(&mut raw);
    let schema = crd_schema::Schema::from_value(&raw).map_err(|source| SchemaError::Compile {
        path: path.to_owned(),
        source,
    })?;
    Ok(ValuesSchema {
        schema,
        path: path.to_owned(),
    })
}

/// `x-extend`: the parent's `definitions`, `required` (parent first), `properties`,
/// `patternProperties`, `title`, `description` and `x-*` keys, the child's own entries winning.
fn extend(child: &mut Map<String, Value>, parent: &Value) {
    let Value::Object(parent) = parent else {
        return;
    };
    for key in ["definitions", "properties", "patternProperties"] {
        if let Some(Value::Object(from_parent)) = parent.get(key) {
            let mut merged = from_parent.clone();
            if let Some(Value::Object(own)) = child.get(key) {
                merged.extend(own.clone());
            }
            child.insert(key.to_owned(), Value::Object(merged));
        }
    }
    if let Some(Value::Array(from_parent)) = parent.get("required") {
        let mut required = from_parent.clone();
        if let Some(Value::Array(own)) = child.get("required") {
            required.extend(own.iter().filter(|r| !from_parent.contains(r)).cloned());
        }
        child.insert("required".to_owned(), Value::Array(required));
    }
    for (key, value) in parent {
        let copied = key == "title" || key == "description" || key.starts_with("x-");
        if copied && key != "x-extend" && !child.contains_key(key) {
            child.insert(key.clone(), value.clone());
        }
    }
}

/// Upstream's `AdditionalPropertiesTransformer`: `additionalProperties: false` wherever it is
/// absent, on the root, on properties and on array items.
fn forbid_additional_properties(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let is_object =
        map.get("type").and_then(Value::as_str) == Some("object") || map.contains_key("properties");
    if is_object && !preserves && !map.contains_key("additionalProperties") {
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(forbid_additional_properties);
    }
    if let Some(items) = map.get_mut("items") {
        forbid_additional_properties(items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, text: &str) {
        crate::test_support::write(&dir.join(name), text);
    }

    #[test]
    fn values_schema_extends_the_config_schema_and_defaults_nested_objects() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "config-values.yaml",
            "type: object\nrequired: [a]\nproperties:\n  a: {type: integer, default: 1}\n",
        );
        write(
            dir.path(),
            "values.yaml",
            "x-extend: {schema: config-values.yaml}\ntype: object\nrequired: [internal]\n\
             properties:\n  internal:\n    type: object\n    default: {}\n    properties:\n      \
             x: {type: string, default: d}\n",
        );
        let schemas = Schemas::load(dir.path()).unwrap();
        let values = schemas.values.unwrap();
        let mut v = json!({});
        values.apply_defaults(&mut v);
        assert_eq!(v, json!({"a": 1, "internal": {"x": "d"}}));
        let errors = values.validate(&json!({"internal": {}}));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["a"], "the parent's required comes along");
    }

    #[test]
    fn unknown_fields_are_forbidden_unless_additional_properties_says_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "config-values.yaml",
            "type: object\nproperties:\n  p: {type: string}\n  m:\n    type: object\n    \
             additionalProperties: {type: string}\n",
        );
        let config = Schemas::load(dir.path()).unwrap().config.unwrap();
        assert!(
            config
                .validate(&json!({"p": "x", "m": {"k": "v"}}))
                .is_empty()
        );
        let errors = config.validate(&json!({"q": 1}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "q");
    }

    #[test]
    fn a_bad_schema_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config-values.yaml", "type: [\n");
        let err = Schemas::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("config-values.yaml"), "{err}");
    }
}
