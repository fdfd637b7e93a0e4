//! A small JSON-schema subset, checked over a parsed document with every violation collected,
//! in the wording of go-openapi (the validator upstream uses).

use serde_json::Value;

use crate::error::{Problems, index, join};

/// The shape a value must have.
#[derive(Debug, Clone)]
pub(crate) enum Schema {
    /// A string, optionally limited to some values.
    String(Option<&'static [&'static str]>),
    /// An integral number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// An array of items.
    Array {
        items: Box<Schema>,
        min_items: usize,
    },
    /// A map whose values all have one shape (`matchLabels`).
    Map(Box<Schema>),
    /// An object with known properties.
    Object(ObjectSchema),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectSchema {
    pub(crate) properties: Vec<(&'static str, Schema)>,
    pub(crate) required: Vec<&'static str>,
    pub(crate) min_properties: Option<usize>,
    pub(crate) max_properties: Option<usize>,
    /// `additionalProperties: false`.
    pub(crate) closed: bool,
}

impl ObjectSchema {
    pub(crate) fn closed(properties: Vec<(&'static str, Schema)>) -> ObjectSchema {
        ObjectSchema {
            properties,
            closed: true,
            ..ObjectSchema::default()
        }
    }

    pub(crate) fn required(mut self, names: &[&'static str]) -> ObjectSchema {
        self.required = names.to_vec();
        self
    }

    pub(crate) fn min_properties(mut self, n: usize) -> ObjectSchema {
        self.min_properties = Some(n);
        self
    }

    pub(crate) fn max_properties(mut self, n: usize) -> ObjectSchema {
        self.max_properties = Some(n);
        self
    }

    pub(crate) fn into_schema(self) -> Schema {
        Schema::Object(self)
    }
}

pub(crate) fn string() -> Schema {
    Schema::String(None)
}

pub(crate) fn one_of(values: &'static [&'static str]) -> Schema {
    Schema::String(Some(values))
}

pub(crate) fn array(items: Schema, min_items: usize) -> Schema {
    Schema::Array {
        items: Box::new(items),
        min_items,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

fn wrong_type(problems: &mut Problems, path: &str, expected: &str, value: &Value) {
    problems.push(
        path,
        format!("must be of type {expected}: \"{}\"", type_name(value)),
    );
}

/// Checks `value` against `schema`, adding every violation to `problems`.
pub(crate) fn check(schema: &Schema, value: &Value, path: &str, problems: &mut Problems) {
    match schema {
        Schema::String(allowed) => match value {
            Value::String(s) => {
                if let Some(allowed) = allowed
                    && !allowed.contains(&s.as_str())
                {
                    problems.push(path, format!("should be one of [{}]", allowed.join(" ")));
                }
            }
            other => wrong_type(problems, path, "string", other),
        },
        Schema::Integer => {
            if !is_integer(value) {
                wrong_type(problems, path, "integer", value);
            }
        }
        Schema::Boolean => {
            if !value.is_boolean() {
                wrong_type(problems, path, "boolean", value);
            }
        }
        Schema::Array { items, min_items } => match value {
            Value::Array(list) => {
                if list.len() < *min_items {
                    problems.push(path, format!("should have at least {min_items} items"));
                }
                for (i, item) in list.iter().enumerate() {
                    check(items, item, &index(path, i), problems);
                }
            }
            other => wrong_type(problems, path, "array", other),
        },
        Schema::Map(values) => match value {
            Value::Object(map) => {
                for (key, item) in map {
                    check(values, item, &join(path, key), problems);
                }
            }
            other => wrong_type(problems, path, "object", other),
        },
        Schema::Object(object) => check_object(object, value, path, problems),
    }
}

fn check_object(schema: &ObjectSchema, value: &Value, path: &str, problems: &mut Problems) {
    let Value::Object(map) = value else {
        wrong_type(problems, path, "object", value);
        return;
    };
    for (key, item) in map {
        match schema.properties.iter().find(|(name, _)| name == key) {
            Some((_, property)) => check(property, item, &join(path, key), problems),
            None if schema.closed => problems.push(join(path, key), "is a forbidden property"),
            None => {}
        }
    }
    for name in &schema.required {
        if !map.contains_key(*name) {
            problems.push(join(path, name), "is required");
        }
    }
    let shown = if path.is_empty() { "config" } else { path };
    if let Some(min) = schema.min_properties
        && map.len() < min
    {
        problems.push(shown, format!("should have at least {min} properties"));
    }
    if let Some(max) = schema.max_properties
        && map.len() > max
    {
        problems.push(shown, format!("should have at most {max} properties"));
    }
}

/// go-yaml v2 (behind upstream's `sigs.k8s.io/yaml`) reads YAML 1.1, where plain `yes`, `no`,
/// `on`, `off`, `y` and `n` are booleans; our YAML parser reads them as strings. Where the schema
/// wants a boolean they are turned back into booleans, so configs upstream accepts still load
/// (a quoted `"yes"` is accepted too, which upstream would reject).
pub(crate) fn coerce_yaml11_booleans(schema: &Schema, value: &mut Value) {
    match (schema, value) {
        (Schema::Boolean, value @ Value::String(_)) => {
            let parsed = match value.as_str().unwrap_or_default() {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
                _ => None,
            };
            if let Some(parsed) = parsed {
                *value = Value::Bool(parsed);
            }
        }
        (Schema::Array { items, .. }, Value::Array(list)) => {
            for item in list {
                coerce_yaml11_booleans(items, item);
            }
        }
        (Schema::Object(object), Value::Object(map)) => {
            for (key, item) in map.iter_mut() {
                if let Some((_, property)) = object.properties.iter().find(|(name, _)| name == key)
                {
                    coerce_yaml11_booleans(property, item);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: &Schema, value: Value) -> Vec<String> {
        let mut problems = Problems::default();
        check(schema, &value, "", &mut problems);
        problems
            .into_error("h")
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn all_violations_of_a_closed_object_are_collected() {
        let schema = ObjectSchema::closed(vec![("a", Schema::Integer), ("b", array(string(), 1))])
            .required(&["a"])
            .into_schema();
        assert_eq!(
            problems(&schema, json!({"b": "x", "c": 1})),
            vec![
                "b must be of type array: \"string\"",
                "c is a forbidden property",
                "a is required",
            ]
        );
    }

    #[test]
    fn enum_violations_list_the_allowed_values() {
        let schema = array(one_of(&["A", "B"]), 0);
        assert_eq!(
            problems(&schema, json!(["A", "c"])),
            vec!["[1] should be one of [A B]"]
        );
    }

    #[test]
    fn integers_written_as_whole_floats_are_integers() {
        assert!(problems(&Schema::Integer, json!(1.0)).is_empty());
        assert_eq!(problems(&Schema::Integer, json!(1.5)).len(), 1);
    }
}
