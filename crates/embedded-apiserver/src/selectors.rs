//! Label and field selectors in the syntax of the Kubernetes API.

use serde_json::Value;

use crate::status::ApiError;

/// One label requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed `labelSelector`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(Self { requirements })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `obj`'s `metadata.labels` satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels");
        self.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }

    /// Whether labels looked up with `get` satisfy every requirement.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn bad(text: &str) -> ApiError {
    ApiError::bad_request(format!(
        "unable to parse requirement: invalid label selector: {text:?}"
    ))
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 316
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_requirement(part: &str) -> Result<Requirement, ApiError> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return if valid_key(key) {
            Ok(Requirement::NotExists(key.to_owned()))
        } else {
            Err(bad(part))
        };
    }
    for (op, ctor) in [
        (
            "!=",
            Requirement::NotEquals as fn(String, String) -> Requirement,
        ),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((k, v)) = part.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            if !valid_key(k) || !valid_value(v) {
                return Err(bad(part));
            }
            return Ok(ctor(k.to_owned(), v.to_owned()));
        }
    }
    let mut words = part.splitn(2, char::is_whitespace);
    let key = words.next().unwrap_or_default().trim();
    let rest = words.next().unwrap_or_default().trim();
    if rest.is_empty() {
        return if valid_key(key) {
            Ok(Requirement::Exists(key.to_owned()))
        } else {
            Err(bad(part))
        };
    }
    let (negated, list) = if let Some(l) = rest.strip_prefix("notin") {
        (true, l)
    } else if let Some(l) = rest.strip_prefix("in") {
        (false, l)
    } else {
        return Err(bad(part));
    };
    let list = list
        .trim()
        .strip_prefix('(')
        .and_then(|l| l.strip_suffix(')'))
        .ok_or_else(|| bad(part))?;
    let values: Vec<String> = list
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if !valid_key(key) || values.is_empty() || !values.iter().all(|v| valid_value(v)) {
        return Err(bad(part));
    }
    Ok(if negated {
        Requirement::NotIn(key.to_owned(), values)
    } else {
        Requirement::In(key.to_owned(), values)
    })
}

/// A parsed `fieldSelector`: conjunction of `path=value` / `path!=value` terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parses `metadata.name=a,status.phase!=Running`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = part.split_once('=') {
                (p, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid field selector: invalid selector: '{text}'; can't understand '{part}'"
                )));
            };
            terms.push((path.trim().to_owned(), equal, value.trim().to_owned()));
        }
        Ok(Self { terms })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value required for `path` by an equality term, if there is one.
    pub fn required(&self, path: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|(p, eq, _)| *eq && p == path)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether every term holds on an object named `namespace`/`name`, when the selector looks at
    /// nothing else; `None` when it needs the object.
    pub fn matches_name(&self, namespace: &str, name: &str) -> Option<bool> {
        self.terms
            .iter()
            .try_fold(true, |all, (path, equal, value)| {
                let actual = match path.as_str() {
                    "metadata.name" => name,
                    "metadata.namespace" => namespace,
                    _ => return None,
                };
                Some(all && (actual == value) == *equal)
            })
    }

    /// Whether every term holds on `obj`. Missing fields compare as empty strings, like the real server.
    pub fn matches(&self, obj: &Value) -> bool {
        self.terms.iter().all(|(path, equal, value)| {
            let actual = field_value(obj, path);
            (actual == *value) == *equal
        })
    }
}

/// The string form of the field at a dotted path.
fn field_value(obj: &Value, path: &str) -> String {
    let mut cur = obj;
    for seg in path.split('.') {
        match cur.get(seg) {
            Some(v) => cur = v,
            None => return String::new(),
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({ "metadata": { "name": "a", "namespace": "ns", "labels": labels }, "spec": { "nodeName": "n1" }, "status": { "phase": "Running" } })
    }

    #[test]
    fn equality_and_inequality_labels_match() {
        let o = obj(json!({ "app": "web", "tier": "fe" }));
        assert!(LabelSelector::parse("app=web").unwrap().matches(&o));
        assert!(
            LabelSelector::parse("app==web,tier!=be")
                .unwrap()
                .matches(&o)
        );
        assert!(!LabelSelector::parse("app!=web").unwrap().matches(&o));
        assert!(LabelSelector::parse("missing!=x").unwrap().matches(&o));
    }

    #[test]
    fn set_based_labels_match() {
        let o = obj(json!({ "env": "prod" }));
        assert!(
            LabelSelector::parse("env in (prod, staging)")
                .unwrap()
                .matches(&o)
        );
        assert!(
            !LabelSelector::parse("env notin (prod)")
                .unwrap()
                .matches(&o)
        );
        assert!(
            LabelSelector::parse("other notin (prod)")
                .unwrap()
                .matches(&o)
        );
        assert!(!LabelSelector::parse("other in (prod)").unwrap().matches(&o));
        assert!(LabelSelector::parse("env,!other").unwrap().matches(&o));
        assert!(!LabelSelector::parse("!env").unwrap().matches(&o));
        assert!(
            LabelSelector::parse("env in (prod),app notin (x,y)")
                .unwrap()
                .matches(&o)
        );
    }

    #[test]
    fn malformed_label_selectors_are_bad_requests() {
        for text in ["env in prod", "a b c", "=x", "env in ()", "a=b=c!"] {
            let err = LabelSelector::parse(text).unwrap_err();
            assert_eq!(err.code, 400, "{text}");
        }
    }

    #[test]
    fn field_selectors_walk_dotted_paths() {
        let o = obj(json!({}));
        assert!(
            FieldSelector::parse("metadata.name=a,metadata.namespace=ns")
                .unwrap()
                .matches(&o)
        );
        assert!(
            FieldSelector::parse("spec.nodeName=n1,status.phase!=Pending")
                .unwrap()
                .matches(&o)
        );
        assert!(
            !FieldSelector::parse("status.phase==Pending")
                .unwrap()
                .matches(&o)
        );
        assert!(FieldSelector::parse("spec.missing=").unwrap().matches(&o));
        assert_eq!(
            FieldSelector::parse("metadata.name=a")
                .unwrap()
                .required("metadata.name"),
            Some("a")
        );
    }

    #[test]
    fn field_selector_without_operator_is_rejected() {
        assert_eq!(FieldSelector::parse("metadata.name").unwrap_err().code, 400);
    }
}
