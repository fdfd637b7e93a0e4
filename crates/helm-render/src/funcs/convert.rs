//! Sprig's and spf13/cast's conversions between Go kinds.

use std::collections::HashMap;

use super::Func;
use crate::format::format_value;
use crate::value::Value;

/// Sprig's `strval`: strings as-is, bytes as text, anything else `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Object(o) => o.display(),
        other => format_value(other),
    }
}

/// Removes `.0`-only decimals ("3.0" → "3"), as cast's `trimZeroDecimal` does.
fn trim_zero_decimal(s: &str) -> &str {
    match s.split_once('.') {
        Some((int, frac))
            if !int.is_empty() && !frac.is_empty() && frac.chars().all(|c| c == '0') =>
        {
            int
        }
        _ => s,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: base prefixes and underscores allowed.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() || digits.starts_with('_') {
        return None;
    }
    let digits = if radix != 10 || body.contains('_') {
        digits.replace('_', "")
    } else {
        digits
    };
    let n = i64::from_str_radix(&digits, radix).ok()?;
    Some(if neg { -n } else { n })
}

/// cast's `ToInt64`: floats truncate, strings parse (base prefixes allowed), failures give 0.
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        Value::Float(f) => {
            // Go on amd64 turns NaN and out-of-range floats into the minimum int64.
            if f.is_nan() || *f >= i64::MAX as f64 || *f < i64::MIN as f64 {
                i64::MIN
            } else {
                *f as i64
            }
        }
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// cast's `ToFloat64`: strings parse, failures give 0.
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(n) => *n as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Sprig's `strslice`: a list of strings from a list (nils dropped) or a single value.
pub fn strslice(v: &Value) -> Vec<String> {
    match v.plain() {
        Value::List(l) => l
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(&other)],
    }
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("toString", |a| {
        super::want(a, 1)?;
        Ok(Value::from(strval(&a[0])))
    });
    m.insert("toStrings", |a| {
        super::want(a, 1)?;
        Ok(Value::list(
            match a[0].plain() {
                Value::List(l) => l.iter().map(strval).collect::<Vec<_>>(),
                other => vec![strval(&other)],
            }
            .into_iter()
            .map(Value::from)
            .collect(),
        ))
    });
    m.insert("int", |a| {
        super::want(a, 1)?;
        Ok(Value::Int(to_i64(&a[0])))
    });
    m.insert("int64", |a| {
        super::want(a, 1)?;
        Ok(Value::Int(to_i64(&a[0])))
    });
    m.insert("float64", |a| {
        super::want(a, 1)?;
        Ok(Value::Float(to_f64(&a[0])))
    });
    m.insert("toDecimal", |a| {
        super::want(a, 1)?;
        let s = strval(&a[0]);
        Ok(Value::Int(i64::from_str_radix(&s, 8).unwrap_or(0)))
    });
    m.insert("atoi", |a| {
        super::want(a, 1)?;
        let s = super::arg_str(&a[0])?;
        Ok(Value::Int(s.parse().unwrap_or(0)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_i64_truncates_floats_and_parses_go_bases() {
        assert_eq!(to_i64(&Value::Float(3.9)), 3);
        assert_eq!(to_i64(&Value::str("0x10")), 16);
        assert_eq!(to_i64(&Value::str("3.0")), 3);
        assert_eq!(to_i64(&Value::str("abc")), 0);
    }

    #[test]
    fn strslice_drops_nils_and_formats_numbers() {
        let l = Value::list(vec![Value::str("a"), Value::Nil, Value::Float(1e6)]);
        assert_eq!(strslice(&l), vec!["a".to_string(), "1e+06".to_string()]);
    }
}
