//! Field path elements of structured-merge-diff: their order, their FieldsV1 key encoding
//! (`f:`, `k:`, `v:`, `i:`) and the path strings the real server prints in conflicts.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

/// One step of a field path.
#[derive(Debug, Clone)]
pub(crate) enum PathElement {
    /// A map or struct field.
    Field(String),
    /// An item of an associative list, identified by its key fields sorted by name.
    Key(Vec<(String, Value)>),
    /// An item of a set list, identified by its value.
    Value(Value),
    /// An item of a list without keys, by position.
    Index(usize),
}

impl PathElement {
    /// The FieldsV1 key, e.g. `f:spec`, `k:{"name":"nginx"}`, `v:"foo"`, `i:0`.
    pub(crate) fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let map: Map<String, Value> = fields.iter().cloned().collect();
                format!("k:{}", Value::Object(map))
            }
            PathElement::Value(v) => format!("v:{v}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// Parses a FieldsV1 key; `None` for malformed keys.
    pub(crate) fn decode(key: &str) -> Option<PathElement> {
        let (kind, rest) = key.split_at_checked(2)?;
        match kind {
            "f:" => Some(PathElement::Field(rest.to_owned())),
            "k:" => {
                let Ok(Value::Object(map)) = serde_json::from_str::<Value>(rest) else {
                    return None;
                };
                let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Some(PathElement::Key(fields))
            }
            "v:" => serde_json::from_str(rest).ok().map(PathElement::Value),
            "i:" => rest.parse().ok().map(PathElement::Index),
            _ => None,
        }
    }

    /// An associative list item's element from its key values (sorted by key name).
    pub(crate) fn key(mut fields: Vec<(String, Value)>) -> PathElement {
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        PathElement::Key(fields)
    }

    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }
}

impl Ord for PathElement {
    /// `PathElement.Compare`: fields, then keys, then values, then indexes.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for ((an, av), (bn, bv)) in a.iter().zip(b) {
                    let c = an.cmp(bn).then_with(|| compare_values(av, bv));
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

/// `value.Compare`: numbers, then strings, then booleans, then lists, maps and null.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) => 3,
            Value::Object(_) => 4,
            Value::Null => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (l, r) in x.iter().zip(y) {
                let c = compare_values(l, r);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|l, r| l.0.cmp(r.0));
            ys.sort_by(|l, r| l.0.cmp(r.0));
            for ((kl, vl), (kr, vr)) in xs.iter().zip(&ys) {
                let c = kl.cmp(kr).then_with(|| compare_values(vl, vr));
                if c != Ordering::Equal {
                    return c;
                }
            }
            xs.len().cmp(&ys.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

impl fmt::Display for PathElement {
    /// As `PathElement.String()`: `.name`, `[name="nginx"]`, `[="foo"]`, `[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(v) => write!(f, "[={v}]"),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A path as the real server prints it, e.g. `.spec.containers[name="nginx"].image`.
pub(crate) fn path_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(name: &str) -> PathElement {
        PathElement::Field(name.into())
    }

    #[test]
    fn elements_round_trip_through_their_fields_v1_keys() {
        let elements = [
            field("spec"),
            PathElement::key(vec![
                ("protocol".into(), json!("TCP")),
                ("containerPort".into(), json!(80)),
            ]),
            PathElement::Value(json!("foo")),
            PathElement::Index(3),
        ];
        let encoded: Vec<String> = elements.iter().map(PathElement::encode).collect();
        assert_eq!(
            encoded,
            [
                "f:spec",
                r#"k:{"containerPort":80,"protocol":"TCP"}"#,
                r#"v:"foo""#,
                "i:3"
            ]
        );
        for (e, k) in elements.iter().zip(&encoded) {
            assert_eq!(PathElement::decode(k).as_ref(), Some(e));
        }
        assert_eq!(PathElement::decode("x:1"), None);
        assert_eq!(PathElement::decode("k:[1]"), None);
    }

    #[test]
    fn paths_print_like_the_real_server() {
        let path = [
            field("spec"),
            field("containers"),
            PathElement::key(vec![("name".into(), json!("nginx"))]),
            field("image"),
        ];
        assert_eq!(
            path_string(&path),
            r#".spec.containers[name="nginx"].image"#
        );
        let path = [
            field("metadata"),
            field("finalizers"),
            PathElement::Value(json!("a")),
        ];
        assert_eq!(path_string(&path), r#".metadata.finalizers[="a"]"#);
        let ports = [PathElement::key(vec![
            ("protocol".into(), json!("TCP")),
            ("port".into(), json!(80)),
        ])];
        assert_eq!(path_string(&ports), r#"[port=80,protocol="TCP"]"#);
    }

    #[test]
    fn fields_sort_before_keys_and_numbers_sort_numerically() {
        let port = |p: u32| PathElement::key(vec![("port".into(), json!(p))]);
        assert!(field("z") < port(1));
        assert!(port(9000) < port(10000));
        assert!(PathElement::Value(json!(2)) < PathElement::Value(json!("1")));
    }
}
