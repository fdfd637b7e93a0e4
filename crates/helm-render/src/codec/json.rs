//! Go's encoding/json output for template values (sorted keys, HTML-safe escapes).

use crate::format::float_json;
use crate::value::Value;

/// Options for [`encode`].
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonStyle {
    /// Escape `<`, `>` and `&` as Go's `json.Marshal` does.
    pub escape_html: bool,
    /// Indent with two spaces (`json.MarshalIndent(v, "", "  ")`).
    pub pretty: bool,
}

fn string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(out: &mut String, style: JsonStyle, depth: usize) {
    if style.pretty {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write(out: &mut String, v: &Value, style: JsonStyle, depth: usize) -> Result<(), String> {
    if depth > 1000 {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    crate::format::float_g(*f)
                ));
            }
            out.push_str(&float_json(*f));
        }
        Value::String(s) => string(out, s, style.escape_html),
        Value::Bytes(b) => {
            use base64::Engine as _;
            string(
                out,
                &base64::engine::general_purpose::STANDARD.encode(b),
                false,
            );
        }
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write(out, item, style, depth + 1)?;
            }
            if !l.is_empty() {
                newline(out, style, depth);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let m = m.borrow().clone();
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                string(out, k, style.escape_html);
                out.push(':');
                if style.pretty {
                    out.push(' ');
                }
                write(out, item, style, depth + 1)?;
            }
            if !m.is_empty() {
                newline(out, style, depth);
            }
            out.push('}');
        }
        Value::Object(o) => write(out, &o.plain(), style, depth)?,
    }
    Ok(())
}

/// Encodes a value as Go's encoding/json would.
pub fn encode(v: &Value, style: JsonStyle) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, v, style, 0)?;
    Ok(out)
}

/// Decodes JSON; numbers become float64.
pub fn decode(s: &str) -> Result<Value, String> {
    serde_json::from_str::<serde_json::Value>(s)
        .map(|j| Value::from_json(&j))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_characters_are_escaped_like_json_marshal() {
        let v = Value::str("<a&b>");
        let s = encode(
            &v,
            JsonStyle {
                escape_html: true,
                pretty: false,
            },
        )
        .unwrap_or_default();
        assert_eq!(s, "\"\\u003ca\\u0026b\\u003e\"");
    }

    #[test]
    fn pretty_output_indents_by_two_spaces() {
        let v = Value::from_json(&serde_json::json!({"a": [1], "b": {}}));
        let s = encode(
            &v,
            JsonStyle {
                escape_html: true,
                pretty: true,
            },
        )
        .unwrap_or_default();
        assert_eq!(s, "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}");
    }
}
