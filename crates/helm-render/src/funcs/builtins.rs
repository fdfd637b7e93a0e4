//! Go text/template's builtin functions: comparisons, `index`, `len`, printing.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::Func;
use crate::format::{sprint, sprintf, sprintln};
use crate::value::Value;

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Other,
    }
}

/// Go's `eq arg1 arg2...`.
pub fn eq(args: &[Value]) -> Result<Value, String> {
    let Some((a, rest)) = args.split_first() else {
        return Err("wrong number of args for eq: want at least 1 got 0".into());
    };
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let ka = kind(a);
    for b in rest {
        let kb = kind(b);
        let truth = if ka != kb {
            if ka != Kind::Invalid && kb != Kind::Invalid {
                return Err("incompatible types for comparison".into());
            }
            false
        } else {
            match (a, b) {
                (Value::Nil, Value::Nil) => true,
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => return Err("non-comparable types for comparison".into()),
            }
        };
        if truth {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn less(a: &Value, b: &Value) -> Result<Ordering, String> {
    let (ka, kb) = (kind(a), kind(b));
    if matches!(ka, Kind::Invalid | Kind::Bool | Kind::Other)
        || matches!(kb, Kind::Invalid | Kind::Bool | Kind::Other)
    {
        return Err("invalid type for comparison".into());
    }
    if ka != kb {
        return Err("incompatible types for comparison".into());
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => Ordering::Equal,
    })
}

fn two(args: &[Value]) -> Result<(&Value, &Value), String> {
    match args {
        [a, b] => Ok((a, b)),
        _ => Err(format!("wrong number of args: want 2 got {}", args.len())),
    }
}

/// Go's `index item keys...`.
pub fn index(args: &[Value]) -> Result<Value, String> {
    let Some((item, keys)) = args.split_first() else {
        return Err("wrong number of args for index: want at least 1 got 0".into());
    };
    let mut item = item.plain();
    if matches!(item, Value::Nil) {
        return Err("index of untyped nil".into());
    }
    for k in keys {
        item = match (&item, k) {
            (Value::Nil, _) => return Err("index of nil pointer".into()),
            (Value::List(l), Value::Int(i)) => {
                if *i < 0 || *i as usize >= l.len() {
                    return Err(format!("error calling index: index out of range: {i}"));
                }
                l[*i as usize].clone()
            }
            (Value::Bytes(b), Value::Int(i)) => match b.get(*i as usize) {
                Some(x) if *i >= 0 => Value::Int(i64::from(*x)),
                _ => return Err(format!("error calling index: index out of range: {i}")),
            },
            (Value::String(s), Value::Int(i)) => match s.as_bytes().get(*i as usize) {
                Some(x) if *i >= 0 => Value::Int(i64::from(*x)),
                _ => return Err(format!("error calling index: index out of range: {i}")),
            },
            (Value::List(_) | Value::String(_) | Value::Bytes(_), other) => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    other.type_name()
                ));
            }
            (Value::Map(m), Value::String(key)) => {
                m.borrow().get(key.as_ref()).cloned().unwrap_or(Value::Nil)
            }
            (Value::Map(_), other) => {
                return Err(format!(
                    "value has type {}; should be string",
                    other.type_name()
                ));
            }
            (Value::Object(o), key) => {
                let p = o.plain();
                index(&[p, key.clone()])?
            }
            (other, _) => return Err(format!("can't index item of type {}", other.type_name())),
        }
        .plain();
    }
    Ok(item)
}

fn html_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    sprint(args)
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("eq", eq);
    m.insert("ne", |a| {
        let (x, y) = two(a)?;
        eq(&[x.clone(), y.clone()]).map(|v| Value::Bool(!v.is_truthy()))
    });
    m.insert("lt", |a| {
        let (x, y) = two(a)?;
        Ok(Value::Bool(less(x, y)? == Ordering::Less))
    });
    m.insert("le", |a| {
        let (x, y) = two(a)?;
        Ok(Value::Bool(less(x, y)? != Ordering::Greater))
    });
    m.insert("gt", |a| {
        let (x, y) = two(a)?;
        Ok(Value::Bool(less(x, y)? == Ordering::Greater))
    });
    m.insert("ge", |a| {
        let (x, y) = two(a)?;
        Ok(Value::Bool(less(x, y)? != Ordering::Less))
    });
    m.insert("not", |a| {
        super::want(a, 1)?;
        Ok(Value::Bool(!a[0].is_truthy()))
    });
    m.insert("len", |a| {
        super::want(a, 1)?;
        match &a[0] {
            Value::Nil => Err("len of nil pointer".into()),
            v => v
                .len()
                .map(|n| Value::Int(n as i64))
                .ok_or_else(|| format!("len of type {}", v.type_name())),
        }
    });
    m.insert("index", index);
    m.insert("print", |a| Ok(Value::from(sprint(a))));
    m.insert("println", |a| Ok(Value::from(sprintln(a))));
    m.insert("printf", |a| {
        let Some((f, rest)) = a.split_first() else {
            return Err("wrong number of args for printf: want at least 1 got 0".into());
        };
        let f = super::arg_str(f)?;
        Ok(Value::from(sprintf(&f, rest)))
    });
    m.insert("html", |a| Ok(Value::from(html_escape(&eval_args(a)))));
    m.insert("js", |a| Ok(Value::from(js_escape(&eval_args(a)))));
    m.insert("urlquery", |a| Ok(Value::from(query_escape(&eval_args(a)))));
    m.insert("call", |a| match a.first() {
        Some(v) => Err(format!("non-function of type {}", v.type_name())),
        None => Err("wrong number of args for call: want at least 1 got 0".into()),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_rejects_int_against_float_like_go() {
        assert!(eq(&[Value::Int(1), Value::Float(1.0)]).is_err());
        assert!(eq(&[Value::Nil, Value::str("a")]).is_ok());
    }

    #[test]
    fn index_of_a_missing_key_is_nil_but_indexing_further_fails() {
        let m = Value::map(Default::default());
        assert!(matches!(
            index(&[m.clone(), Value::str("a")]),
            Ok(Value::Nil)
        ));
        assert!(index(&[m, Value::str("a"), Value::str("b")]).is_err());
    }
}
