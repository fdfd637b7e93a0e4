//! `fieldValidation` (server-side field validation): what a create, update or patch does with
//! fields the type does not declare and with fields a JSON body repeats.
//!
//! Unknown fields are known for custom resources with a structural schema (those pruning would
//! drop; `x-kubernetes-preserve-unknown-fields` keeps them known). Built-in types have no type
//! schemas here, so only their duplicate fields are reported. `Strict` fails the request as the
//! real server does, `Warn` (the default) returns one `Warning` header per field, `Ignore` says
//! nothing; in every mode unknown fields are pruned and the last of repeated fields is kept.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Call;
use crate::status::{ApiError, Cause};

/// The `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Directive {
    /// Drop unknown fields and keep the last of repeated ones, silently.
    Ignore,
    /// As `Ignore`, with a warning per field; the default since Kubernetes 1.23.
    #[default]
    Warn,
    /// Fail the request with every unknown and repeated field.
    Strict,
}

impl Directive {
    /// Parses the parameter; `options` names the options kind in the error
    /// (`CreateOptions`, `UpdateOptions`, `PatchOptions`).
    pub fn parse(value: Option<&str>, options: &str) -> Result<Self, ApiError> {
        match value.unwrap_or_default() {
            "" | "Warn" => Ok(Self::Warn),
            "Ignore" => Ok(Self::Ignore),
            "Strict" => Ok(Self::Strict),
            other => Err(ApiError::invalid_field(
                options,
                "meta.k8s.io",
                "",
                Cause {
                    reason: "FieldValueNotSupported".to_owned(),
                    message: format!(
                        "Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
                    ),
                    field: "fieldValidation".to_owned(),
                },
            )),
        }
    }
}

/// The strict decoding errors of a create or update body: `unknown field "spec.foo"` and
/// `duplicate field "spec.bar"`, as the real server words them.
fn body_errors(call: &Call<'_>, obj: &Value) -> Vec<String> {
    let mut errors = duplicate_fields(&call.content_type, &call.body);
    if let Some(schema) = &call.rt.schema {
        errors.extend(
            schema
                .unknown_fields(obj)
                .into_iter()
                .map(|f| format!("unknown field \"{f}\"")),
        );
    }
    errors
}

/// Applies the directive to the body of a create or update (`obj` as parsed from it).
/// `Strict` answers 400 BadRequest:
/// `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: <errors>`.
pub fn check_body(call: &Call<'_>, directive: Directive, obj: &Value) -> Result<(), ApiError> {
    if directive == Directive::Ignore {
        return Ok(());
    }
    let errors = body_errors(call, obj);
    report(call, directive, errors, |joined| {
        let kind = &call.rt.kind;
        ApiError::bad_request(format!(
            "{kind} in version \"{}\" cannot be handled as a {kind}: strict decoding error: {joined}",
            call.rt.version
        ))
    })
}

/// Applies the directive to the result of a JSON or merge patch: repeated fields of the patch
/// document and unknown fields of the patched object. `Strict` answers 422 Invalid on the field
/// `patch` with the patched object as its value, as the real server does.
pub fn check_patched(
    call: &Call<'_>,
    directive: Directive,
    patched: &Value,
) -> Result<(), ApiError> {
    if directive == Directive::Ignore {
        return Ok(());
    }
    let errors = body_errors(call, patched);
    report(call, directive, errors, |joined| {
        let shown = serde_json::to_string(&Value::String(patched.to_string())).unwrap_or_default();
        ApiError::invalid_causes(
            "",
            "",
            "",
            vec![Cause {
                reason: "FieldValueInvalid".to_owned(),
                message: format!("Invalid value: {shown}: strict decoding error: {joined}"),
                field: "patch".to_owned(),
            }],
        )
    })
}

fn report(
    call: &Call<'_>,
    directive: Directive,
    errors: Vec<String>,
    strict: impl FnOnce(&str) -> ApiError,
) -> Result<(), ApiError> {
    if errors.is_empty() {
        return Ok(());
    }
    match directive {
        Directive::Strict => Err(strict(&errors.join(", "))),
        Directive::Warn => {
            call.warnings.add(errors);
            Ok(())
        }
        Directive::Ignore => Ok(()),
    }
}

/// `duplicate field "<path>"` for every key a JSON body repeats within one object; nothing for
/// other media types or bodies that do not parse (those fail elsewhere).
pub fn duplicate_fields(content_type: &str, body: &[u8]) -> Vec<String> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !media.ends_with("json") {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = Duplicates {
        path: String::new(),
        found: &mut found,
    };
    if seed.deserialize(&mut de).is_err() {
        return Vec::new();
    }
    found
}

/// Walks a JSON document without building it, recording repeated keys by path.
struct Duplicates<'a> {
    path: String,
    found: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Duplicates<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Duplicates<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                self.found.push(format!("duplicate field \"{path}\""));
            }
            map.next_value_seed(Duplicates {
                path,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Duplicates {
                path: format!("{}[{index}]", self.path),
                found: &mut *self.found,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_reported_by_path() {
        let body = br#"{"a":1,"spec":{"b":1,"b":2,"list":[{"c":1,"c":2}]},"a":3}"#;
        assert_eq!(
            duplicate_fields("application/json", body),
            vec![
                "duplicate field \"spec.b\"".to_owned(),
                "duplicate field \"spec.list[0].c\"".to_owned(),
                "duplicate field \"a\"".to_owned(),
            ]
        );
        assert!(duplicate_fields("application/yaml", body).is_empty());
        assert!(duplicate_fields("application/json", b"{not json").is_empty());
    }

    #[test]
    fn directives_parse_with_warn_as_the_default() {
        assert_eq!(
            Directive::parse(None, "CreateOptions").unwrap(),
            Directive::Warn
        );
        assert_eq!(
            Directive::parse(Some("Strict"), "CreateOptions").unwrap(),
            Directive::Strict
        );
        let err = Directive::parse(Some("strictly"), "PatchOptions").unwrap_err();
        assert_eq!((err.code, err.reason), (422, "Invalid"));
        assert!(err.message.contains("fieldValidation"), "{}", err.message);
    }
}
