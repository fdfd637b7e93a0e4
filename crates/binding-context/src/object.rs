//! A full object kept as compact JSON text: what caches hold for `keepFullObjectsInMemory`.
//!
//! A parsed `serde_json::Value` tree of a typical kubernetes object takes several times the
//! object's JSON size (a map, a key string and a value per field); the compact text takes its
//! JSON size. Objects are parsed again only when read: one at a time while a binding context is
//! written, so a Synchronization with thousands of objects never holds their trees at once.

use std::fmt;
use std::sync::Arc;

use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// One object as compact JSON text, cheap to clone (shared).
#[derive(Clone, PartialEq, Eq)]
pub struct ObjectJson(Arc<str>);

impl ObjectJson {
    /// The compact JSON text of `value`.
    pub fn from_value(value: &Value) -> ObjectJson {
        // Serializing a `Value` cannot fail: its map keys are strings.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        ObjectJson(Arc::from(text))
    }

    /// The object parsed again.
    pub fn to_value(&self) -> Value {
        // The text came from a `Value`, so it parses.
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both share one text (a cache and its bindings hold an object once).
    pub fn same_text(&self, other: &ObjectJson) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<&Value> for ObjectJson {
    fn from(value: &Value) -> Self {
        ObjectJson::from_value(value)
    }
}

impl From<Value> for ObjectJson {
    fn from(value: Value) -> Self {
        ObjectJson::from_value(&value)
    }
}

impl From<Arc<Value>> for ObjectJson {
    fn from(value: Arc<Value>) -> Self {
        ObjectJson::from_value(&value)
    }
}

impl fmt::Debug for ObjectJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ObjectJson {
    /// Written as the parsed object, so the serializer's layout (the indented binding-context
    /// file) applies inside it too.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: Value = serde_json::from_str(&self.0).map_err(S::Error::custom)?;
        value.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_text_round_trips_with_key_order_kept() {
        let value = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a"}});
        let object = ObjectJson::from_value(&value);
        assert_eq!(
            object.as_str(),
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}"#
        );
        assert_eq!(object.to_value(), value);
    }

    #[test]
    fn serializing_follows_the_outer_serializer_layout() {
        let object = ObjectJson::from_value(&json!({"a": {"b": 1}}));
        let pretty = serde_json::to_string_pretty(&object).unwrap_or_default();
        assert_eq!(pretty, "{\n  \"a\": {\n    \"b\": 1\n  }\n}");
    }
}
