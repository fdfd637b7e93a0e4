//! Field validation errors and the messages the real API server prints for them
//! (k8s.io/apimachinery `util/validation/field`).

use serde_json::Value;

use crate::go_format::{bad_value, quote};

/// The kind of one violation, as `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// A required field is missing.
    Required,
    /// The value is invalid (pattern, minimum, minLength, ...).
    Invalid,
    /// The value is not among the enumerated ones.
    NotSupported,
    /// The value has the wrong JSON type or format.
    TypeInvalid,
    /// A string is too long.
    TooLong,
    /// A list or map has too many items.
    TooMany,
    /// A field is forbidden.
    Forbidden,
    /// A list has a duplicate item.
    Duplicate,
}

/// One violation of the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The field path as the real server prints it, e.g. `spec.replicas` or `spec.items[0].name`.
    pub field: String,
    /// What kind of violation.
    pub kind: FieldErrorKind,
    /// The detail text, e.g. `spec.replicas in body must be of type integer: "string"`.
    pub detail: String,
    /// The offending value when the message shows it.
    pub value: Option<Value>,
}

impl FieldError {
    pub(crate) fn new(
        field: &str,
        kind: FieldErrorKind,
        value: Option<Value>,
        detail: String,
    ) -> Self {
        FieldError {
            field: field.to_owned(),
            kind,
            detail,
            value,
        }
    }

    /// `field.Required` with no detail.
    pub(crate) fn required(field: &str) -> Self {
        FieldError::new(field, FieldErrorKind::Required, None, String::new())
    }

    /// `field.NotSupported`: `supported values: "a", "b"` (non-strings as their JSON).
    pub(crate) fn not_supported(field: &str, value: &Value, allowed: &[Value]) -> Self {
        let quoted: Vec<String> = allowed
            .iter()
            .map(|v| match v {
                Value::String(s) => quote(s),
                other => quote(&other.to_string()),
            })
            .collect();
        let detail = if quoted.is_empty() {
            String::new()
        } else {
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError::new(
            field,
            FieldErrorKind::NotSupported,
            Some(value.clone()),
            detail,
        )
    }

    /// `field.TooLong`: `may not be more than 5 bytes`.
    pub(crate) fn too_long(field: &str, value: &Value, max: u64) -> Self {
        let unit = if max == 1 { "byte" } else { "bytes" };
        let detail = format!("may not be more than {max} {unit}");
        FieldError::new(field, FieldErrorKind::TooLong, Some(value.clone()), detail)
    }

    /// `field.TooMany`: `Too many: 3: must have at most 2 items`.
    pub(crate) fn too_many(field: &str, actual: usize, max: u64, what: &str) -> Self {
        let noun = if max == 1 {
            what.trim_end_matches('s')
        } else {
            what
        };
        let detail = format!("must have at most {max} {noun}");
        FieldError::new(
            field,
            FieldErrorKind::TooMany,
            Some(Value::from(actual)),
            detail,
        )
    }

    /// The `Status.details.causes[].reason`.
    pub fn reason(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::Invalid => "FieldValueInvalid",
            FieldErrorKind::NotSupported => "FieldValueNotSupported",
            FieldErrorKind::TypeInvalid => "FieldValueTypeInvalid",
            FieldErrorKind::TooLong => "FieldValueTooLong",
            FieldErrorKind::TooMany => "FieldValueTooMany",
            FieldErrorKind::Forbidden => "FieldValueForbidden",
            FieldErrorKind::Duplicate => "FieldValueDuplicate",
        }
    }

    /// The `Status.details.causes[].message` (`field.Error.ErrorBody`), e.g. `Required value` or
    /// `Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
    pub fn message(&self) -> String {
        let label = match self.kind {
            FieldErrorKind::Required => "Required value",
            FieldErrorKind::Invalid | FieldErrorKind::TypeInvalid => "Invalid value",
            FieldErrorKind::NotSupported => "Unsupported value",
            FieldErrorKind::TooLong => "Too long",
            FieldErrorKind::TooMany => "Too many",
            FieldErrorKind::Forbidden => "Forbidden",
            FieldErrorKind::Duplicate => "Duplicate value",
        };
        let shows_value = !matches!(
            self.kind,
            FieldErrorKind::Required | FieldErrorKind::Forbidden | FieldErrorKind::TooLong
        );
        let mut out = label.to_owned();
        if let (true, Some(v)) = (shows_value, &self.value) {
            out.push_str(": ");
            out.push_str(&bad_value(v));
        }
        if !self.detail.is_empty() {
            out.push_str(": ");
            out.push_str(&self.detail);
        }
        out
    }
}

impl std::fmt::Display for FieldError {
    /// `field.Error.Error()`: `spec.replicas: Invalid value: ...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message())
    }
}

/// The real `Status.message` of a 422 Invalid answer, e.g.
/// `CronTab.stable.example.com "my-obj" is invalid: spec.replicas: Invalid value: ...`, with
/// several distinct errors in brackets: `... is invalid: [spec.a: Required value, spec.b: ...]`.
pub fn invalid_message(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> String {
    let qualified = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let text = e.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    match seen.as_slice() {
        [] => format!("{qualified} {} is invalid", quote(name)),
        [one] => format!("{qualified} {} is invalid: {one}", quote(name)),
        many => format!(
            "{qualified} {} is invalid: [{}]",
            quote(name),
            many.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn type_error() -> FieldError {
        FieldError::new(
            "spec.replicas",
            FieldErrorKind::TypeInvalid,
            Some(json!("string")),
            "spec.replicas in body must be of type integer: \"string\"".into(),
        )
    }

    #[test]
    fn messages_read_like_field_error_bodies() {
        assert_eq!(
            type_error().message(),
            r#"Invalid value: "string": spec.replicas in body must be of type integer: "string""#
        );
        assert_eq!(FieldError::required("spec.a").message(), "Required value");
        assert_eq!(
            FieldError::not_supported("spec.a", &json!("x"), &[json!("a"), json!("b")]).message(),
            r#"Unsupported value: "x": supported values: "a", "b""#
        );
        assert_eq!(
            FieldError::not_supported("spec.a", &json!(3), &[json!(1), json!(2)]).message(),
            r#"Unsupported value: 3: supported values: "1", "2""#
        );
        assert_eq!(
            FieldError::too_long("spec.a", &json!("abcdef"), 5).message(),
            "Too long: may not be more than 5 bytes"
        );
        assert_eq!(
            FieldError::too_many("spec.a", 3, 2, "items").message(),
            "Too many: 3: must have at most 2 items"
        );
        assert_eq!(
            FieldError::too_many("spec.a", 3, 1, "items").message(),
            "Too many: 3: must have at most 1 item"
        );
    }

    #[test]
    fn reasons_match_the_cause_types() {
        assert_eq!(type_error().reason(), "FieldValueTypeInvalid");
        assert_eq!(FieldError::required("x").reason(), "FieldValueRequired");
        assert_eq!(
            FieldError::too_long("x", &json!(""), 1).reason(),
            "FieldValueTooLong"
        );
    }

    #[test]
    fn one_error_is_printed_without_brackets() {
        assert_eq!(
            invalid_message("CronTab", "stable.example.com", "my-obj", &[type_error()]),
            r#"CronTab.stable.example.com "my-obj" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#
        );
    }

    #[test]
    fn several_distinct_errors_are_bracketed_and_duplicates_dropped() {
        let errors = [
            FieldError::required("spec.a"),
            type_error(),
            FieldError::required("spec.a"),
        ];
        assert_eq!(
            invalid_message("CronTab", "stable.example.com", "my-obj", &errors),
            r#"CronTab.stable.example.com "my-obj" is invalid: [spec.a: Required value, spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"]"#
        );
        assert_eq!(
            invalid_message("ConfigMap", "", "x", &[]),
            r#"ConfigMap "x" is invalid"#
        );
    }
}
