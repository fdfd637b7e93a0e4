//! Go's formatting of decoded JSON values (`%v`, `%q`, `%#v`), which the real server's messages use.

use serde_json::{Number, Value};

/// `%v` of a number as Go prints an int64 or a float64.
pub(crate) fn number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    float(n.as_f64().unwrap_or(0.0))
}

/// `%v` of a float64: strconv's shortest `'g'`, which switches to exponent form below 1e-4 and
/// from 1e+06 on (so a schema `maximum: 1000000` prints as `1e+06`, as on the real server).
pub(crate) fn float(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor();
    if !(-4.0..6.0).contains(&exp) {
        let text = format!("{f:e}");
        let (mantissa, e) = text.split_once('e').unwrap_or((&text, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", e.abs());
    }
    format!("{f}")
}

/// `%q` of a string (JSON quoting is the same for printable text).
pub(crate) fn quote(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// How `field.Error` prints a bad value: strings quoted, numbers and booleans bare, null as
/// `"null"`, compound values in Go syntax.
pub(crate) fn bad_value(v: &Value) -> String {
    match v {
        Value::Null => quote("null"),
        Value::String(s) => quote(s),
        Value::Number(n) => number(n),
        Value::Bool(b) => b.to_string(),
        compound => go_syntax(compound),
    }
}

/// `%#v` of a decoded JSON value.
fn go_syntax(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::String(s) => quote(s),
        Value::Number(n) => number(n),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", parts.join(", "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .filter_map(|k| map.get(k).map(|v| format!("{}:{}", quote(k), go_syntax(v))))
                .collect();
            format!("map[string]interface {{}}{{{}}}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_print_like_go() {
        assert_eq!(bad_value(&json!(3)), "3");
        assert_eq!(bad_value(&json!(1.5)), "1.5");
        assert_eq!(bad_value(&json!(2.0)), "2");
        assert_eq!(float(0.00001), "1e-05");
        assert_eq!(float(1e22), "1e+22");
        assert_eq!(float(1_000_000.0), "1e+06");
        assert_eq!(float(123_456.0), "123456");
        assert_eq!(float(1.5e8), "1.5e+08");
    }

    #[test]
    fn compound_values_print_in_go_syntax() {
        assert_eq!(bad_value(&json!(["a", 1])), r#"[]interface {}{"a", 1}"#);
        assert_eq!(
            bad_value(&json!({"b": null, "a": true})),
            r#"map[string]interface {}{"a":true, "b":interface {}(nil)}"#
        );
        assert_eq!(bad_value(&Value::Null), r#""null""#);
    }
}
