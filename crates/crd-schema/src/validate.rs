//! Validation of a custom object against its structural schema, with the errors and messages of
//! the real server (kube-openapi validation converted by apiextensions to `field.Error`s).

use serde_json::{Map, Value};

use crate::field_error::{FieldError, FieldErrorKind};
use crate::format;
use crate::go_format::{float, quote};
use crate::prune::child_path;
use crate::schema::{Additional, ListType, Node};

/// All violations of `obj`, in path order.
pub(crate) fn validate(obj: &Value, root: &Node) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check(obj, root, "", &mut errors);
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors
}

/// The JSON type name kube-openapi reports for a value.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The types a node accepts, as kube-openapi joins them in messages.
fn allowed_types(s: &Node) -> Option<String> {
    match (&s.ty, s.int_or_string) {
        (Some(t), _) => Some(t.clone()),
        (None, true) => Some("integer,string".into()),
        (None, false) => None,
    }
}

fn type_matches(allowed: &str, actual: &str) -> bool {
    allowed
        .split(',')
        .any(|t| t == actual || (t == "number" && actual == "integer"))
}

fn invalid(path: &str, value: &Value, detail: String) -> FieldError {
    FieldError::new(path, FieldErrorKind::Invalid, Some(value.clone()), detail)
}

fn check(v: &Value, s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    if v.is_null() && s.nullable {
        return;
    }
    if let Some(allowed) = allowed_types(s) {
        let actual = type_name(v);
        if !type_matches(&allowed, actual) {
            errors.push(FieldError::new(
                path,
                FieldErrorKind::TypeInvalid,
                Some(Value::String(actual.into())),
                format!(
                    "{path} in body must be of type {allowed}: {}",
                    quote(actual)
                ),
            ));
            return;
        }
    }
    check_combinators(v, s, path, errors);
    if let Some(values) = &s.enumeration
        && !values.iter().any(|e| json_equal(e, v))
    {
        errors.push(FieldError::not_supported(path, v, values));
    }
    match v {
        Value::String(text) => check_string(v, text, s, path, errors),
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                check_number(v, x, s, path, errors);
            }
        }
        Value::Array(items) => check_array(items, s, path, errors),
        Value::Object(map) => check_object(map, s, path, errors),
        _ => {}
    }
}

fn check_combinators(v: &Value, s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    for sub in &s.all_of {
        check(v, sub, path, errors);
    }
    let passes = |sub: &Node| {
        let mut found = Vec::new();
        check(v, sub, path, &mut found);
        found.is_empty()
    };
    if !s.any_of.is_empty() && !s.any_of.iter().any(passes) {
        let detail = format!("{path} in body must validate at least one schema (anyOf)");
        errors.push(invalid(path, v, detail));
    }
    if !s.one_of.is_empty() && s.one_of.iter().filter(|sub| passes(sub)).count() != 1 {
        let detail = format!("{path} in body must validate one and only one schema (oneOf)");
        errors.push(invalid(path, v, detail));
    }
    if let Some(not) = &s.not
        && passes(not)
    {
        let detail = format!("{path} in body must not validate the schema (not)");
        errors.push(invalid(path, v, detail));
    }
}

fn check_string(v: &Value, text: &str, s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    let length = text.chars().count() as u64;
    if let Some(max) = s.max_length
        && length > max
    {
        errors.push(FieldError::too_long(path, v, max));
    }
    if let Some(min) = s.min_length
        && length < min
    {
        errors.push(invalid(
            path,
            v,
            format!("{path} in body should be at least {min} chars long"),
        ));
    }
    if let Some((source, regex)) = &s.pattern
        && !regex.is_match(text)
    {
        errors.push(invalid(
            path,
            v,
            format!("{path} in body should match '{source}'"),
        ));
    }
    if let Some(fmt) = &s.format
        && format::check(fmt, text) == Some(false)
    {
        errors.push(FieldError::new(
            path,
            FieldErrorKind::TypeInvalid,
            Some(v.clone()),
            format!("{path} in body must be of type {fmt}: {}", quote(text)),
        ));
    }
}

fn check_number(v: &Value, x: f64, s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(max) = s.maximum {
        let (bad, words) = if s.exclusive_maximum {
            (x >= max, "less than")
        } else {
            (x > max, "less than or equal to")
        };
        if bad {
            errors.push(invalid(
                path,
                v,
                format!("{path} in body should be {words} {}", float(max)),
            ));
        }
    }
    if let Some(min) = s.minimum {
        let (bad, words) = if s.exclusive_minimum {
            (x <= min, "greater than")
        } else {
            (x < min, "greater than or equal to")
        };
        if bad {
            errors.push(invalid(
                path,
                v,
                format!("{path} in body should be {words} {}", float(min)),
            ));
        }
    }
    if let Some(factor) = s.multiple_of
        && factor != 0.0
        && (x / factor).fract().abs() > f64::EPSILON
    {
        errors.push(invalid(
            path,
            v,
            format!("{path} in body should be a multiple of {}", float(factor)),
        ));
    }
}

fn check_array(items: &[Value], s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    let count = items.len();
    if let Some(max) = s.max_items
        && count as u64 > max
    {
        errors.push(FieldError::too_many(path, count, max, "items"));
    }
    if let Some(min) = s.min_items
        && (count as u64) < min
    {
        let detail = format!("{path} in body should have at least {min} items");
        errors.push(invalid(path, &Value::from(count), detail));
    }
    if let Some(item_schema) = s.items.as_deref() {
        for (i, item) in items.iter().enumerate() {
            check(item, item_schema, &format!("{path}[{i}]"), errors);
        }
    }
    check_list_uniqueness(items, s, path, errors);
}

/// `x-kubernetes-list-type: set|map` items must be unique (by value, or by their keys).
fn check_list_uniqueness(items: &[Value], s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    let identity = |item: &Value| -> Option<Value> {
        match &s.list_type {
            ListType::Atomic => None,
            ListType::Set => Some(item.clone()),
            ListType::Map(keys) => {
                let map = item.as_object()?;
                let ids: Map<String, Value> = keys
                    .iter()
                    .filter_map(|k| map.get(k).map(|v| (k.clone(), v.clone())))
                    .collect();
                Some(Value::Object(ids))
            }
        }
    };
    let mut seen: Vec<Value> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(id) = identity(item) else { continue };
        if seen.iter().any(|s| json_equal(s, &id)) {
            errors.push(FieldError::new(
                &format!("{path}[{i}]"),
                FieldErrorKind::Duplicate,
                Some(id),
                String::new(),
            ));
        } else {
            seen.push(id);
        }
    }
}

fn check_object(map: &Map<String, Value>, s: &Node, path: &str, errors: &mut Vec<FieldError>) {
    for key in &s.required {
        if !map.contains_key(key) {
            errors.push(FieldError::required(&child_path(path, key)));
        }
    }
    let count = map.len();
    if let Some(max) = s.max_properties
        && count as u64 > max
    {
        errors.push(FieldError::too_many(path, count, max, "items"));
    }
    if let Some(min) = s.min_properties
        && (count as u64) < min
    {
        let detail = format!("{path} in body should have at least {min} properties");
        errors.push(invalid(path, &Value::from(count), detail));
    }
    if s.embedded_resource {
        for key in ["apiVersion", "kind"] {
            if map
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                errors.push(FieldError::new(
                    &child_path(path, key),
                    FieldErrorKind::Required,
                    None,
                    "must not be empty".into(),
                ));
            }
        }
    }
    for (key, value) in map {
        let child = child_path(path, key);
        if let Some(prop) = s.property(key) {
            check(value, prop, &child, errors);
            continue;
        }
        match &s.additional {
            Additional::Schema(node) => check(value, node, &child, errors),
            Additional::Allowed(false) => {
                let detail = format!("{child} in body is a forbidden property");
                errors.push(FieldError::new(
                    &child,
                    FieldErrorKind::Forbidden,
                    None,
                    detail,
                ));
            }
            Additional::Allowed(true) | Additional::Unspecified => {}
        }
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| json_equal(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
