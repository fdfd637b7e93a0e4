//! A compiled structural schema: the keywords of a CRD's `openAPIV3Schema` this crate acts on.

use regex::Regex;
use serde_json::{Map, Value};

use crate::{FieldError, SchemaError};

/// A compiled `openAPIV3Schema`.
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) root: Node,
}

/// `additionalProperties`.
#[derive(Debug, Clone)]
pub(crate) enum Additional {
    /// Not specified: unknown fields are pruned.
    Unspecified,
    /// `true` (any value) or `false` (forbidden).
    Allowed(bool),
    /// Values of unlisted keys follow this schema.
    Schema(Box<Node>),
}

/// `x-kubernetes-list-type`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

/// One schema node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) ty: Option<String>,
    pub(crate) nullable: bool,
    pub(crate) properties: Vec<(String, Node)>,
    pub(crate) required: Vec<String>,
    pub(crate) items: Option<Box<Node>>,
    pub(crate) additional: Additional,
    pub(crate) enumeration: Option<Vec<Value>>,
    pub(crate) minimum: Option<f64>,
    pub(crate) exclusive_minimum: bool,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_maximum: bool,
    pub(crate) multiple_of: Option<f64>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) min_properties: Option<u64>,
    pub(crate) max_properties: Option<u64>,
    pub(crate) pattern: Option<(String, Regex)>,
    pub(crate) format: Option<String>,
    pub(crate) default: Option<Value>,
    pub(crate) preserve_unknown: bool,
    pub(crate) int_or_string: bool,
    pub(crate) embedded_resource: bool,
    pub(crate) list_type: ListType,
    pub(crate) map_atomic: bool,
    pub(crate) all_of: Vec<Node>,
    pub(crate) any_of: Vec<Node>,
    pub(crate) one_of: Vec<Node>,
    pub(crate) not: Option<Box<Node>>,
}

impl Node {
    /// The schema of property `name`.
    pub(crate) fn property(&self, name: &str) -> Option<&Node> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, n)| n)
    }

    /// The schema of a map entry `name`: its property, or `additionalProperties`.
    pub(crate) fn entry(&self, name: &str) -> Option<&Node> {
        self.property(name).or(match &self.additional {
            Additional::Schema(node) => Some(node),
            _ => None,
        })
    }

    fn compile(value: &Value, path: &str) -> Result<Node, SchemaError> {
        let Value::Object(map) = value else {
            return Err(malformed(path, "schema must be an object"));
        };
        let c = Compiler { map, path };
        let mut properties = Vec::new();
        if let Some(props) = c.object("properties")? {
            for (name, sub) in props {
                properties.push((
                    name.clone(),
                    Node::compile(sub, &c.child("properties", name))?,
                ));
            }
        }
        let items = match map.get("items") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(Box::new(Node::compile(v, &c.at("items"))?)),
            Some(_) => return Err(malformed(&c.at("items"), "items must be a single schema")),
        };
        let additional = match map.get("additionalProperties") {
            None | Some(Value::Null) => Additional::Unspecified,
            Some(Value::Bool(b)) => Additional::Allowed(*b),
            Some(v) => {
                Additional::Schema(Box::new(Node::compile(v, &c.at("additionalProperties"))?))
            }
        };
        let pattern = match c.string("pattern")? {
            None => None,
            Some(p) => {
                let regex = Regex::new(&p).map_err(|source| SchemaError::Pattern {
                    path: c.at("pattern"),
                    source,
                })?;
                Some((p, regex))
            }
        };
        let list_type = match c.string("x-kubernetes-list-type")?.as_deref() {
            Some("set") => ListType::Set,
            Some("map") => ListType::Map(c.strings("x-kubernetes-list-map-keys")?),
            _ => ListType::Atomic,
        };
        let enumeration = match map.get("enum") {
            None | Some(Value::Null) => None,
            Some(Value::Array(values)) => Some(values.clone()),
            Some(_) => return Err(malformed(&c.at("enum"), "enum must be a list")),
        };
        let not = match map.get("not") {
            None | Some(Value::Null) => None,
            Some(v) => Some(Box::new(Node::compile(v, &c.at("not"))?)),
        };
        Ok(Node {
            ty: c.string("type")?,
            nullable: c.flag("nullable")?,
            properties,
            required: c.strings("required")?,
            items,
            additional,
            enumeration,
            minimum: c.number("minimum")?,
            exclusive_minimum: c.flag("exclusiveMinimum")?,
            maximum: c.number("maximum")?,
            exclusive_maximum: c.flag("exclusiveMaximum")?,
            multiple_of: c.number("multipleOf")?,
            min_length: c.count("minLength")?,
            max_length: c.count("maxLength")?,
            min_items: c.count("minItems")?,
            max_items: c.count("maxItems")?,
            min_properties: c.count("minProperties")?,
            max_properties: c.count("maxProperties")?,
            pattern,
            format: c.string("format")?,
            default: map.get("default").filter(|v| !v.is_null()).cloned(),
            preserve_unknown: c.flag("x-kubernetes-preserve-unknown-fields")?,
            int_or_string: c.flag("x-kubernetes-int-or-string")?,
            embedded_resource: c.flag("x-kubernetes-embedded-resource")?,
            list_type,
            map_atomic: c.string("x-kubernetes-map-type")?.as_deref() == Some("atomic"),
            all_of: c.schemas("allOf")?,
            any_of: c.schemas("anyOf")?,
            one_of: c.schemas("oneOf")?,
            not,
        })
    }
}

/// Reads the keywords of one schema node, reporting malformed ones with their path.
struct Compiler<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl Compiler<'_> {
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn child(&self, key: &str, name: &str) -> String {
        format!("{}.{name}", self.at(key))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, SchemaError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(malformed(&self.at(key), "must be a string")),
        }
    }

    fn flag(&self, key: &str) -> Result<bool, SchemaError> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(malformed(&self.at(key), "must be a boolean")),
        }
    }

    fn number(&self, key: &str) -> Result<Option<f64>, SchemaError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(_) => Err(malformed(&self.at(key), "must be a number")),
        }
    }

    fn count(&self, key: &str) -> Result<Option<u64>, SchemaError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(_) => Err(malformed(&self.at(key), "must be a non-negative integer")),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, SchemaError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| malformed(&self.at(key), "must be a list of strings"))
                })
                .collect(),
            Some(_) => Err(malformed(&self.at(key), "must be a list of strings")),
        }
    }

    fn object(&self, key: &str) -> Result<Option<&Map<String, Value>>, SchemaError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(malformed(&self.at(key), "must be an object")),
        }
    }

    fn schemas(&self, key: &str) -> Result<Vec<Node>, SchemaError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Node::compile(v, &format!("{}[{i}]", self.at(key))))
                .collect(),
            Some(_) => Err(malformed(&self.at(key), "must be a list of schemas")),
        }
    }
}

fn malformed(path: &str, reason: &str) -> SchemaError {
    SchemaError::Malformed {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

impl Schema {
    /// Compiles a CRD version's `openAPIV3Schema`.
    pub fn from_value(openapi_v3_schema: &Value) -> Result<Schema, SchemaError> {
        Ok(Schema {
            root: Node::compile(openapi_v3_schema, "")?,
        })
    }

    /// Prunes unknown fields (unless `x-kubernetes-preserve-unknown-fields: true` at that level),
    /// drops `null`s of non-nullable fields, then applies `default`s as the real server: defaults
    /// for absent fields, recursively (array items and `additionalProperties` included; a default
    /// is itself defaulted and pruned). The root `apiVersion`, `kind` and `metadata` are left alone.
    pub fn default_and_prune(&self, obj: &mut Value) {
        crate::prune::prune(obj, &self.root);
        crate::default::drop_non_nullable_nulls(obj, &self.root);
        crate::default::apply_defaults(obj, &self.root);
        crate::prune::prune(obj, &self.root);
    }

    /// Applies `default`s only, without pruning: absent fields of existing objects get a deep copy
    /// of their default, which is then defaulted itself (addon-operator's values defaulting).
    pub fn apply_defaults(&self, obj: &mut Value) {
        crate::default::apply_defaults(obj, &self.root);
    }

    /// The paths of the fields pruning would remove, as the real server reports them for
    /// `fieldValidation=Strict|Warn` (`unknown field "spec.foo"`), e.g. `spec.foo` or
    /// `spec.items[0].bar`.
    pub fn unknown_fields(&self, obj: &Value) -> Vec<String> {
        crate::prune::unknown_fields(obj, &self.root)
    }

    /// All violations, in path order.
    pub fn validate(&self, obj: &Value) -> Vec<FieldError> {
        crate::validate::validate(obj, &self.root)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keywords_are_compiled() {
        let schema = Schema::from_value(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "required": ["a"],
                "properties": {"a": {"type": "string", "pattern": "^x", "maxLength": 3}},
                "additionalProperties": {"type": "integer"}}}
        }));
        let Ok(schema) = schema else {
            unreachable!("valid schema")
        };
        let spec = schema.root.property("spec");
        assert_eq!(spec.map(|s| s.required.clone()), Some(vec!["a".to_owned()]));
        assert_eq!(
            spec.and_then(|s| s.property("a"))
                .and_then(|a| a.max_length),
            Some(3)
        );
        assert_eq!(
            spec.and_then(|s| s.entry("other"))
                .and_then(|n| n.ty.clone()),
            Some("integer".to_owned())
        );
    }

    #[test]
    fn an_invalid_pattern_is_reported_with_its_path() {
        let err = Schema::from_value(&json!({"properties": {"a": {"pattern": "("}}}));
        assert!(
            matches!(err, Err(SchemaError::Pattern { path, .. }) if path == "properties.a.pattern")
        );
    }

    #[test]
    fn malformed_keywords_are_refused() {
        assert!(Schema::from_value(&json!([])).is_err());
        assert!(Schema::from_value(&json!({"required": "a"})).is_err());
        assert!(Schema::from_value(&json!({"maxLength": -1})).is_err());
        assert!(Schema::from_value(&json!({"items": [{}]})).is_err());
    }
}
