//! Reads YAML as Helm does (go-yaml v2 then JSON): YAML 1.1 scalars, numbers as float64.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::resolve::{Resolved, resolve};
use crate::format::float_g;
use crate::value::{Map, Value};

/// A YAML syntax error with its position.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("yaml: line {line}: {message}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

struct Reader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Value>,
}

fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&saphyr_parser::Tag>) -> Value {
    if let Some(t) = tag
        && t.is_yaml_core_schema()
    {
        match t.suffix.as_str() {
            "str" => return Value::str(text),
            "null" => return Value::Nil,
            "bool" | "int" | "float" => {}
            _ => return Value::str(text),
        }
    } else if tag.is_some() || style != ScalarStyle::Plain {
        return Value::str(text);
    }
    match resolve(text) {
        Resolved::Null => Value::Nil,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(n) => Value::Float(n as f64),
        Resolved::Uint(n) => Value::Float(n as f64),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Merge | Resolved::Str => Value::str(text),
    }
}

fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Nil => "null".into(),
        Value::Float(f) => float_g(*f),
        other => crate::format::format_value(other),
    }
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, usize), YamlError> {
        match self.parser.next_event() {
            Some(Ok((ev, span))) => Ok((ev, span.start.line())),
            Some(Err(e)) => Err(YamlError {
                line: e.marker().line(),
                message: e.info().to_string(),
            }),
            None => Err(YamlError {
                line: 0,
                message: "unexpected end of stream".into(),
            }),
        }
    }

    fn node(&mut self, ev: Event<'a>, line: usize, depth: usize) -> Result<Value, YamlError> {
        if depth > 500 {
            return Err(YamlError {
                line,
                message: "exceeded max depth".into(),
            });
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = scalar_value(&text, style, tag.as_deref());
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::Alias(id) => self.anchors.get(&id).cloned().ok_or(YamlError {
                line,
                message: "unknown anchor referenced".into(),
            }),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (ev, line) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, line, depth + 1)?);
                }
                let v = Value::list(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(anchor, _) => {
                let mut m = Map::new();
                let mut merged: Vec<Map> = Vec::new();
                loop {
                    let (ev, line) = self.next()?;
                    if matches!(ev, Event::MappingEnd) {
                        break;
                    }
                    let is_merge =
                        matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
                    let key = self.node(ev, line, depth + 1)?;
                    let (ev, vline) = self.next()?;
                    let val = self.node(ev, vline, depth + 1)?;
                    if is_merge {
                        match &val {
                            Value::Map(_) => merged.push(val.as_map().unwrap_or_default()),
                            Value::List(l) => {
                                for item in l.iter().rev() {
                                    merged.push(item.as_map().unwrap_or_default());
                                }
                            }
                            _ => {
                                return Err(YamlError {
                                    line: vline,
                                    message:
                                        "map merge requires map or sequence of maps as the value"
                                            .into(),
                                });
                            }
                        }
                        continue;
                    }
                    m.insert(key_string(&key), val);
                }
                for src in merged.into_iter().rev() {
                    for (k, v) in src {
                        m.entry(k).or_insert(v);
                    }
                }
                let v = Value::map(m);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            other => Err(YamlError {
                line,
                message: format!("unexpected event {other:?}"),
            }),
        }
    }
}

/// Parses the first document of `text`; an empty document is nil.
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    let mut r = Reader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
    };
    loop {
        let (ev, line) = r.next()?;
        match ev {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
            Event::StreamEnd | Event::DocumentEnd => return Ok(Value::Nil),
            other => {
                let v = r.node(other, line, 0)?;
                // Read on to surface syntax errors later in the same document.
                loop {
                    match r.next()? {
                        (Event::DocumentEnd | Event::StreamEnd, _) => return Ok(v),
                        (Event::DocumentStart(_), _) => return Ok(v),
                        _ => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_one_one_scalars_and_float_numbers() {
        let v = parse_yaml("a: yes\nb: 3\nc: '3'\nd: ~\ne: 0x10\n").unwrap_or_default();
        let m = v.as_map().unwrap_or_default();
        assert!(matches!(m.get("a"), Some(Value::Bool(true))));
        assert!(matches!(m.get("b"), Some(Value::Float(f)) if *f == 3.0));
        assert!(matches!(m.get("c"), Some(Value::String(s)) if &**s == "3"));
        assert!(matches!(m.get("d"), Some(Value::Nil)));
        assert!(matches!(m.get("e"), Some(Value::Float(f)) if *f == 16.0));
    }

    #[test]
    fn merge_keys_and_aliases_expand() {
        let v = parse_yaml("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n").unwrap_or_default();
        let c = v
            .as_map()
            .unwrap_or_default()
            .get("c")
            .and_then(Value::as_map)
            .unwrap_or_default();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        assert!(parse_yaml("a: [1, 2\nb: 3\n").is_err());
    }
}
