//! Serialisation functions: Helm's toYaml/fromYaml/toJson/fromJson/toToml family.

pub mod emit;
pub mod json;
pub mod parse;
pub mod resolve;
mod toml;

use std::collections::HashMap;

use crate::format::float_json;
use crate::funcs::Func;
use crate::value::{Map, Value};
pub use emit::Node;
use json::JsonStyle;
pub use parse::{YamlError, parse_yaml};
use resolve::{Resolved, resolve};

/// Converts a value to what go-yaml sees after Helm's JSON round trip.
pub fn to_node(v: &Value, depth: usize) -> Result<Node, String> {
    if depth > 1000 {
        return Err("value nests too deeply".into());
    }
    Ok(match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(n) => Node::Int(*n),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    crate::format::float_g(*f)
                ));
            }
            match resolve(&float_json(*f)) {
                Resolved::Int(n) => Node::Int(n),
                Resolved::Uint(n) => Node::Uint(n),
                _ => Node::Float(*f),
            }
        }
        Value::String(s) => Node::Str(s.to_string()),
        Value::Bytes(b) => {
            use base64::Engine as _;
            Node::Str(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Value::List(l) => Node::Seq(
            l.iter()
                .map(|x| to_node(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => Node::Map(
            m.borrow()
                .iter()
                .map(|(k, x)| Ok((k.clone(), to_node(x, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Object(o) => to_node(&o.plain(), depth)?,
    })
}

/// Helm's `toYaml`: go-yaml output without the final newline.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    let node = to_node(v, 0)?;
    let s = emit::to_yaml(&node);
    Ok(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

/// Helm's `toYamlPretty`: sequences indented under their keys.
pub fn to_yaml_pretty(v: &Value) -> Result<String, String> {
    let node = to_node(v, 0)?;
    let s = emit::to_yaml_pretty(&node);
    Ok(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

fn one(a: &[Value]) -> Result<&Value, String> {
    match a {
        [v] => Ok(v),
        _ => Err(format!("wrong number of args: want 1 got {}", a.len())),
    }
}

fn error_map(e: impl std::fmt::Display) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::from(e.to_string()));
    Value::map(m)
}

fn json_fn(a: &[Value], style: JsonStyle, must: bool) -> Result<Value, String> {
    match json::encode(one(a)?, style) {
        Ok(s) => Ok(Value::from(s)),
        Err(e) if must => Err(e),
        Err(_) => Ok(Value::str("")),
    }
}

pub(crate) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("toYaml", |a| {
        Ok(Value::from(to_yaml(one(a)?).unwrap_or_default()))
    });
    m.insert("mustToYaml", |a| to_yaml(one(a)?).map(Value::from));
    m.insert("toYamlPretty", |a| {
        Ok(Value::from(to_yaml_pretty(one(a)?).unwrap_or_default()))
    });
    m.insert("fromYaml", |a| {
        let s = crate::funcs::strval(one(a)?);
        Ok(match parse_yaml(&s) {
            Ok(Value::Map(x)) => Value::Map(x),
            Ok(Value::Nil) => Value::map(Map::new()),
            Ok(other) => error_map(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(format!("error converting YAML to JSON: {e}")),
        })
    });
    m.insert("fromYamlArray", |a| {
        let s = crate::funcs::strval(one(a)?);
        Ok(match parse_yaml(&s) {
            Ok(Value::List(x)) => Value::List(x),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::from(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(format!("error converting YAML to JSON: {e}"))]),
        })
    });
    m.insert("toJson", |a| {
        json_fn(
            a,
            JsonStyle {
                escape_html: true,
                pretty: false,
            },
            false,
        )
    });
    m.insert("mustToJson", |a| {
        json_fn(
            a,
            JsonStyle {
                escape_html: true,
                pretty: false,
            },
            true,
        )
    });
    m.insert("toPrettyJson", |a| {
        json_fn(
            a,
            JsonStyle {
                escape_html: true,
                pretty: true,
            },
            false,
        )
    });
    m.insert("mustToPrettyJson", |a| {
        json_fn(
            a,
            JsonStyle {
                escape_html: true,
                pretty: true,
            },
            true,
        )
    });
    m.insert("toRawJson", |a| {
        json_fn(
            a,
            JsonStyle {
                escape_html: false,
                pretty: false,
            },
            false,
        )
    });
    m.insert("mustToRawJson", |a| {
        json_fn(
            a,
            JsonStyle {
                escape_html: false,
                pretty: false,
            },
            true,
        )
    });
    m.insert("fromJson", |a| {
        let s = crate::funcs::strval(one(a)?);
        Ok(match json::decode(&s) {
            Ok(Value::Map(x)) => Value::Map(x),
            Ok(other) => error_map(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(e),
        })
    });
    m.insert("mustFromJson", |a| {
        json::decode(&crate::funcs::strval(one(a)?))
    });
    m.insert("fromToml", |a| {
        let s = crate::funcs::strval(one(a)?);
        Ok(match toml::decode(&s) {
            Ok(v) => v,
            Err(e) => error_map(e),
        })
    });
    m.insert("fromJsonArray", |a| {
        let s = crate::funcs::strval(one(a)?);
        Ok(match json::decode(&s) {
            Ok(Value::List(x)) => Value::List(x),
            Ok(other) => Value::list(vec![Value::from(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(e)]),
        })
    });
    m.insert("toToml", |a| {
        Ok(Value::from(toml::encode(one(a)?).unwrap_or_else(|e| e)))
    });
    m.insert("mustToToml", |a| toml::encode(one(a)?).map(Value::from));
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Map(_) => "object",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Nil => "null",
        _ => "number",
    }
}
