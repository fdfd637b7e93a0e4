//! Output formats (`json|yaml|text`) and the upstream way of rendering a reply in each.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// An output format as named in a route suffix (`/queue/list.json`) or by `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text; data without a text form is rendered as JSON (as upstream does).
    #[default]
    Text,
    /// Compact JSON.
    Json,
    /// YAML with sorted keys (upstream converts JSON to YAML through a map).
    Yaml,
}

impl Format {
    /// The suffix used in routes.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Yaml => "yaml",
        }
    }

    /// Splits `list.json` into (`list`, [`Format::Json`]); `None` when the suffix is not a format.
    pub fn split_suffix(segment: &str) -> Option<(&str, Format)> {
        let (stem, ext) = segment.rsplit_once('.')?;
        Some((stem, ext.parse().ok()?))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The suffix was not one of `json`, `yaml`, `text`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format '{0}', expected json, yaml or text")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// What a handler returns before formatting: a ready text, or data to marshal.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Sent as is in every format (upstream returns strings verbatim).
    Text(String),
    /// Marshalled as JSON or YAML; in `text` format rendered as JSON.
    Data(Value),
}

impl Reply {
    /// Renders the reply the way upstream's `TransformUsingFormat` does.
    pub fn render(&self, format: Format) -> Result<String, RenderError> {
        match (self, format) {
            (Reply::Text(text), _) => Ok(text.clone()),
            (Reply::Data(value), Format::Text | Format::Json) => {
                serde_json::to_string(value).map_err(RenderError::Json)
            }
            (Reply::Data(value), Format::Yaml) => {
                serde_norway::to_string(&sorted(value)).map_err(RenderError::Yaml)
            }
        }
    }
}

/// Marshalling a reply failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// JSON serialization failed.
    #[error("render json")]
    Json(#[source] serde_json::Error),
    /// YAML serialization failed.
    #[error("render yaml")]
    Yaml(#[source] serde_norway::Error),
}

/// A copy of `value` with object keys sorted, as Go's JSON→YAML conversion produces.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use serde_json::json;

    #[test]
    fn a_suffix_names_the_format() {
        assert_eq!(
            Format::split_suffix("list.json"),
            Some(("list", Format::Json))
        );
        assert_eq!(
            Format::split_suffix("snapshots.yaml"),
            Some(("snapshots", Format::Yaml))
        );
        assert_eq!(Format::split_suffix("list.xml"), None);
        assert_eq!(Format::split_suffix("list"), None);
    }

    #[test]
    fn data_in_text_format_is_rendered_as_json() {
        let reply = Reply::Data(json!(["a", "b"]));
        assert_eq!(reply.render(Format::Text).unwrap(), r#"["a","b"]"#);
    }

    #[test]
    fn yaml_sorts_keys_like_go() {
        let reply = Reply::Data(json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(
            reply.render(Format::Yaml).unwrap(),
            "a:\n  c: 3\n  d: 2\nb: 1\n"
        );
    }

    #[test]
    fn text_replies_are_verbatim_in_every_format() {
        let reply = Reply::Text("hello\n".into());
        assert_eq!(reply.render(Format::Json).unwrap(), "hello\n");
    }
}
