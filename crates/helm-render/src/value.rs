//! The dynamic value carried through templates, with Go's kinds and truthiness.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// A sorted map, as Go templates iterate and Helm serialises maps in key order.
pub type Map = BTreeMap<String, Value>;

/// A template value. Numbers keep Go's distinction: values read from YAML or JSON are
/// `Float` (Helm's float64), numbers produced by functions or literals are `Int`.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's untyped nil.
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// A Go `int`/`int64`.
    Int(i64),
    /// A Go `float64`.
    Float(f64),
    /// A string.
    String(Arc<str>),
    /// A byte slice (`.Files.GetBytes`).
    Bytes(Arc<[u8]>),
    /// A `[]interface{}`.
    List(Rc<Vec<Value>>),
    /// A `map[string]interface{}`; shared and mutable like a Go map (`set` mutates it).
    Map(Rc<RefCell<Map>>),
    /// A Go value with methods (`.Files`, `.Capabilities.APIVersions`, semver versions).
    Object(Rc<dyn Object>),
}

/// A value with fields and methods, standing in for a Go struct with methods.
pub trait Object {
    /// Go type name used in error messages and `typeOf`.
    fn type_name(&self) -> &'static str;
    /// A field or zero-argument method.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method call with arguments; `None` when there is no such method.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>>;
    /// The plain value used for printing, ranging, `len` and serialisation.
    fn plain(&self) -> Value;
    /// How Go prints the value (its `String()` method when it has one).
    fn display(&self) -> String {
        crate::format::format_value(&self.plain())
    }
}

impl Value {
    /// Builds a string value.
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::String(Arc::from(s.as_ref()))
    }

    /// Builds a list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    /// Builds a map value.
    pub fn map(m: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    /// Go truthiness: false, 0, nil, and empty string/list/map are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(_) => true,
        }
    }

    /// Replaces objects by their plain value (one level).
    pub fn plain(&self) -> Value {
        match self {
            Value::Object(o) => o.plain(),
            other => other.clone(),
        }
    }

    /// Go kind name, as Sprig's `kindOf` reports it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => match o.plain() {
                Value::Map(_) => "map",
                Value::List(_) => "slice",
                _ => "ptr",
            },
        }
    }

    /// Go type name, as Sprig's `typeOf` reports it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "[]uint8",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => o.type_name(),
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A copy of the map inside, if this is a map (or an object whose plain value is one).
    pub fn as_map(&self) -> Option<Map> {
        match self {
            Value::Map(m) => Some(m.borrow().clone()),
            Value::Object(o) => o.plain().as_map(),
            _ => None,
        }
    }

    /// The list inside, if this is a list (or an object whose plain value is one).
    pub fn as_list(&self) -> Option<Rc<Vec<Value>>> {
        match self {
            Value::List(l) => Some(l.clone()),
            Value::Object(o) => o.plain().as_list(),
            _ => None,
        }
    }

    /// Length as Go's `len` computes it.
    pub fn len(&self) -> Option<usize> {
        match self {
            Value::String(s) => Some(s.len()),
            Value::Bytes(b) => Some(b.len()),
            Value::List(l) => Some(l.len()),
            Value::Map(m) => Some(m.borrow().len()),
            Value::Object(o) => o.plain().len(),
            _ => None,
        }
    }

    /// A deep copy: maps are no longer shared with the original.
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::Map(m) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect(),
            ),
            Value::List(l) => Value::list(l.iter().map(Value::deep_copy).collect()),
            other => other.clone(),
        }
    }

    /// Sprig's `empty`: the zero value of its type.
    pub fn is_empty(&self) -> bool {
        !self.is_truthy()
    }

    /// Converts from JSON; all numbers become float64 as in Helm's values.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts from JSON keeping integers (numbers serde_json holds as i64) as Go `int64`,
    /// the way Helm's `--set` parser types them; other numbers become float64.
    pub fn from_json_typed(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::Array(a) => {
                Value::list(a.iter().map(Value::from_json_typed).collect())
            }
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json_typed(v)))
                    .collect(),
            ),
            other => Value::from_json(other),
        }
    }

    /// Converts to JSON the way Go's encoding/json would marshal the value.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(n) => serde_json::Value::from(*n),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Bytes(b) => {
                use base64::Engine as _;
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Object(o) => o.plain().to_json(),
        }
    }

    /// Deep structural equality, used by `eq` on non-basic kinds and by `has`.
    pub fn deep_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.deep_eq(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                if Rc::ptr_eq(a, b) {
                    return true;
                }
                let (a, b) = (a.borrow(), b.borrow());
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.deep_eq(vb))
            }
            (Value::Object(a), b) => a.plain().deep_eq(b),
            (a, Value::Object(b)) => a.deep_eq(&b.plain()),
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "Nil"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(n) => write!(f, "Int({n})"),
            Value::Float(x) => write!(f, "Float({x:?})"),
            Value::String(s) => write!(f, "String({s:?})"),
            Value::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.borrow().iter()).finish(),
            Value::Object(o) => write!(f, "Object({})", o.type_name()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_collections_and_zero_numbers_are_falsy() {
        assert!(!Value::list(vec![]).is_truthy());
        assert!(!Value::Float(0.0).is_truthy());
        assert!(!Value::str("").is_truthy());
        assert!(Value::str("0").is_truthy());
    }

    #[test]
    fn json_numbers_become_floats() {
        let v = Value::from_json(&serde_json::json!({"a": 1}));
        let m = v.as_map().unwrap_or_default();
        assert!(matches!(m.get("a"), Some(Value::Float(f)) if *f == 1.0));
    }
}
