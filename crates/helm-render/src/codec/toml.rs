//! A TOML encoder in the shape of BurntSushi/toml's (Helm's `toToml`), and the decoder behind
//! `fromToml` (the `toml` crate, mapped to the values BurntSushi/toml gives Helm).

use crate::format::float_g;
use crate::value::{Map, Value};

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

fn inline(v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => {
            let s = float_g(*f);
            if f.fract() == 0.0 && !s.contains('e') {
                format!("{s}.0")
            } else {
                s
            }
        }
        Value::String(s) => quote(s),
        Value::List(l) => {
            let parts: Result<Vec<String>, String> = l.iter().map(inline).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Map(m) => {
            let m = m.borrow();
            let parts: Result<Vec<String>, String> = m
                .iter()
                .map(|(k, x)| Ok(format!("{} = {}", key(k), inline(x)?)))
                .collect();
            format!("{{{}}}", parts?.join(", "))
        }
        Value::Object(o) => inline(&o.plain())?,
        Value::Nil | Value::Bytes(_) => return Err("toml: unsupported type".into()),
    })
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::List(l) if !l.is_empty() && l.iter().all(is_table))
}

fn table(out: &mut String, path: &[String], m: &Map, depth: usize) -> Result<(), String> {
    let indent = "  ".repeat(depth);
    for (k, v) in m {
        if matches!(v, Value::Nil) || is_table(v) || is_table_array(v) {
            continue;
        }
        out.push_str(&format!("{indent}{} = {}\n", key(k), inline(v)?));
    }
    for (k, v) in m {
        let mut p = path.to_vec();
        p.push(key(k));
        let sub_indent = "  ".repeat(depth);
        if let Value::Map(sub) = v {
            let sub = sub.borrow().clone();
            out.push_str(&format!("\n{sub_indent}[{}]\n", p.join(".")));
            table(out, &p, &sub, depth + 1)?;
        } else if is_table_array(v)
            && let Value::List(l) = v
        {
            for item in l.iter() {
                let sub = item.as_map().unwrap_or_default();
                out.push_str(&format!("\n{sub_indent}[[{}]]\n", p.join(".")));
                table(out, &p, &sub, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Encodes a map as TOML.
pub fn encode(v: &Value) -> Result<String, String> {
    let m = v.as_map().ok_or("toml: top-level value must be a map")?;
    let mut out = String::new();
    table(&mut out, &[], &m, 0)?;
    Ok(out)
}

/// Decodes a TOML document into a map as Helm's `fromToml` does: integers stay integers
/// (int64), floats are float64, date-times and dates are `time.Time` (local ones in UTC, the
/// zone Helm runs in here), and local times are their TOML text.
pub fn decode(text: &str) -> Result<Value, String> {
    let table: ::toml::Table = text
        .parse()
        .map_err(|e: ::toml::de::Error| e.message().to_string())?;
    Ok(from_toml(::toml::Value::Table(table)))
}

fn from_toml(v: ::toml::Value) -> Value {
    use ::toml::Value as T;
    match v {
        T::String(s) => Value::from(s),
        T::Integer(n) => Value::Int(n),
        T::Float(f) => Value::Float(f),
        T::Boolean(b) => Value::Bool(b),
        T::Datetime(d) => {
            let text = d.to_string();
            let t = match (d.date, d.time, d.offset) {
                (Some(_), Some(_), Some(_)) => chrono::DateTime::parse_from_rfc3339(&text).ok(),
                (Some(_), Some(_), None) => {
                    chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .map(|n| n.and_utc().fixed_offset())
                }
                (Some(_), None, _) => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .ok()
                    .map(|n| n.and_time(chrono::NaiveTime::MIN).and_utc().fixed_offset()),
                _ => None,
            };
            t.map(crate::funcs::time_value)
                .unwrap_or_else(|| Value::from(text))
        }
        T::Array(items) => Value::list(items.into_iter().map(from_toml).collect()),
        T::Table(t) => Value::map(t.into_iter().map(|(k, v)| (k, from_toml(v))).collect()),
    }
}
