//! `fieldValidation` (server-side field validation): what a create, update or patch does with
//! fields the type does not declare and with fields a JSON body repeats.
//!
//! Unknown fields are those pruning drops from custom resources with a structural schema
//! (`x-kubernetes-preserve-unknown-fields` keeps them known) and those the `k8s-openapi` type of a
//! built-in does not declare (`crate::builtin_fields`). `Strict` fails the request as the real
//! server does, `Warn` (the default) returns one `Warning` header per field, `Ignore` says
//! nothing; in every mode unknown fields are dropped from what is stored and the last of repeated
//! fields is kept.
//!
//! Server-side apply is stricter, as on the real server: an apply configuration with a field the
//! type does not declare is refused whatever the directive (500, `failed to create typed patch
//! object`), because the field manager cannot represent it.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Call;
use super::warnings::Warnings;
use crate::resources::ResourceType;
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
///
/// For a built-in, the Go decoder finds both kinds in one pass: they come in document order, and
/// a field both unknown and repeated is reported as unknown only. For a custom resource, repeated
/// fields come from decoding, then unknown ones of `metadata` (read as an `ObjectMeta`), then
/// those pruning drops.
fn body_errors(req: &Request<'_>, obj: &Value) -> Vec<String> {
    let mut errors = duplicate_fields(req.content_type, req.body);
    if let Some(find) = req.rt.unknown_fields {
        let unknown: Vec<String> = find(obj).unknown.iter().map(ToString::to_string).collect();
        errors.retain(|e| !unknown.iter().any(|f| quoted_path(e) == Some(f.as_str())));
        errors.extend(unknown.iter().map(|f| format!("unknown field \"{f}\"")));
        let order = document_order(obj);
        errors.sort_by_key(|e| quoted_path(e).and_then(|p| order.get(p).copied()));
    }
    if req.rt.custom {
        let meta = crate::builtin_fields::unknown_metadata_fields(obj);
        errors.extend(
            meta.unknown
                .iter()
                .map(|f| format!("unknown field \"{f}\"")),
        );
    }
    if let Some(schema) = &req.rt.schema {
        errors.extend(
            schema
                .unknown_fields(obj)
                .into_iter()
                .map(|f| format!("unknown field \"{f}\"")),
        );
    }
    errors
}

/// The field path of an error such as `unknown field "spec.foo"`.
fn quoted_path(error: &str) -> Option<&str> {
    let (_, rest) = error.split_once('"')?;
    rest.strip_suffix('"')
}

/// The position of every field path of `obj` in a depth-first walk of it, which for a parsed
/// body is the order its fields were written in (a repeated key keeps its first position).
fn document_order(obj: &Value) -> HashMap<String, usize> {
    fn walk(v: &Value, path: &str, out: &mut HashMap<String, usize>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    let next = out.len();
                    out.entry(p.clone()).or_insert(next);
                    walk(child, &p, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    walk(obj, "", &mut out);
    out
}

/// What field validation needs of a request.
struct Request<'a> {
    rt: &'a ResourceType,
    content_type: &'a str,
    body: &'a [u8],
    warnings: &'a Warnings,
}

impl<'a> Request<'a> {
    fn of(call: &'a Call<'_>) -> Self {
        Self {
            rt: &call.rt,
            content_type: &call.content_type,
            body: &call.body,
            warnings: call.warnings,
        }
    }

    fn check_body(&self, directive: Directive, obj: &Value) -> Result<(), ApiError> {
        if directive == Directive::Ignore {
            return Ok(());
        }
        let errors = body_errors(self, obj);
        self.report(directive, errors, |joined| {
            let kind = &self.rt.kind;
            ApiError::bad_request(format!(
                "{kind} in version \"{}\" cannot be handled as a {kind}: strict decoding error: {joined}",
                self.rt.version
            ))
        })
    }

    fn report(
        &self,
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
                self.warnings.add(errors);
                Ok(())
            }
            Directive::Ignore => Ok(()),
        }
    }
}

/// Applies the directive to the body of a create or update (`obj` as parsed from it).
/// `Strict` answers 400 BadRequest:
/// `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: <errors>`.
pub fn check_body(call: &Call<'_>, directive: Directive, obj: &Value) -> Result<(), ApiError> {
    Request::of(call).check_body(directive, obj)
}

/// What a `Strict` patch error shows as the invalid value: the patched object's JSON for JSON and
/// merge patches, the patch itself as Go prints a map (`map[spec:map[replicaz:3]]`) for strategic
/// merge patches, as the real server does.
pub enum Shown<'a> {
    /// The patched object.
    Patched,
    /// The strategic merge patch document.
    StrategicPatch(&'a Value),
}

/// Applies the directive to the result of a JSON, merge or strategic merge patch: repeated
/// fields of the patch document and unknown fields of the patched object. `Strict` answers 422
/// Invalid on the field `patch`, as the real server does.
pub fn check_patched(
    call: &Call<'_>,
    directive: Directive,
    patched: &Value,
    shown: Shown<'_>,
) -> Result<(), ApiError> {
    if directive == Directive::Ignore {
        return Ok(());
    }
    let req = Request::of(call);
    let errors = body_errors(&req, patched);
    req.report(directive, errors, |joined| {
        let value = match shown {
            Shown::Patched => patched.to_string(),
            Shown::StrategicPatch(patch) => k8s_patch::go_format(patch),
        };
        let quoted = serde_json::to_string(&Value::String(value)).unwrap_or_default();
        ApiError::invalid_causes(
            "",
            "",
            "",
            vec![Cause {
                reason: "FieldValueInvalid".to_owned(),
                message: format!("Invalid value: {quoted}: strict decoding error: {joined}"),
                field: "patch".to_owned(),
            }],
        )
    })
}

/// Refuses an apply configuration with fields the type does not declare, as the real server's
/// field manager does whatever the directive: 500 without a reason,
/// `failed to create typed patch object (<ns>/<name>; <group>/<version>, Kind=<Kind>): <path>:
/// field not declared in schema`, several fields as `errors:` with one line each.
pub fn check_applied(rt: &ResourceType, applied: &Value) -> Result<(), ApiError> {
    let paths: Vec<String> = if let Some(find) = rt.unknown_fields {
        let meta = crate::managed::patch_meta(rt);
        find(applied)
            .unknown
            .iter()
            .map(|p| p.apply_notation(applied, meta))
            .collect()
    } else if let Some(schema) = &rt.schema {
        let meta = crate::builtin_fields::unknown_metadata_fields(applied).unknown;
        meta.iter()
            .map(ToString::to_string)
            .chain(schema.unknown_fields(applied))
            .map(|p| format!(".{p}"))
            .collect()
    } else {
        Vec::new()
    };
    let problems: Vec<String> = paths
        .iter()
        .map(|p| format!("{p}: field not declared in schema"))
        .collect();
    let detail = match problems.as_slice() {
        [] => return Ok(()),
        [one] => one.clone(),
        many => format!("errors:\n  {}", many.join("\n  ")),
    };
    let meta = |key: &str| applied["metadata"][key].as_str().unwrap_or_default();
    Err(ApiError::unknown(format!(
        "failed to create typed patch object ({}/{}; {}/{}, Kind={}): {detail}",
        meta("namespace"),
        meta("name"),
        rt.group,
        rt.version,
        rt.kind
    )))
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

    /// A Deployment body with two unknown fields and a repeated one between them.
    const MISSPELLED: &[u8] =
        br#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
        "spec":{"replicaz":3,"replicas":1,"replicas":2,
        "template":{"spec":{"containers":[{"name":"a","imagez":"x"}]}}}}"#;

    fn deployments() -> std::sync::Arc<ResourceType> {
        crate::resources::Registry::builtin()
            .get("apps", "v1", "deployments")
            .unwrap()
    }

    /// The outcome of `directive` on [`MISSPELLED`], and the warnings it added.
    fn check_misspelled(directive: Directive) -> (Result<(), ApiError>, usize) {
        let rt = deployments();
        let warnings = Warnings::default();
        let req = Request {
            rt: &rt,
            content_type: "application/json",
            body: MISSPELLED,
            warnings: &warnings,
        };
        let obj: Value = serde_json::from_slice(MISSPELLED).unwrap();
        let outcome = req.check_body(directive, &obj);
        (outcome, warnings.header_values().len())
    }

    #[test]
    fn strict_refuses_a_built_in_naming_every_field_in_document_order() {
        let (outcome, warned) = check_misspelled(Directive::Strict);
        let err = outcome.unwrap_err();
        assert_eq!((err.code, err.reason, warned), (400, "BadRequest", 0));
        assert_eq!(
            err.message,
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: \
             unknown field \"spec.replicaz\", duplicate field \"spec.replicas\", \
             unknown field \"spec.template.spec.containers[0].imagez\""
        );
    }

    #[test]
    fn warn_passes_a_built_in_with_a_warning_per_field_and_ignore_says_nothing() {
        assert_eq!(check_misspelled(Directive::Warn), (Ok(()), 3));
        assert_eq!(check_misspelled(Directive::Ignore), (Ok(()), 0));
    }

    #[test]
    fn apply_configurations_with_undeclared_fields_get_the_field_managers_500() {
        let rt = deployments();
        let mut applied: Value = serde_json::from_slice(MISSPELLED).unwrap();
        applied["metadata"]["namespace"] = serde_json::json!("ns");
        let err = check_applied(&rt, &applied).unwrap_err();
        assert_eq!((err.code, err.reason), (500, ""));
        assert_eq!(
            err.message,
            "failed to create typed patch object (ns/d; apps/v1, Kind=Deployment): errors:\n  \
             .spec.replicaz: field not declared in schema\n  \
             .spec.template.spec.containers[name=\"a\"].imagez: field not declared in schema"
        );
        applied["spec"] = serde_json::json!({ "replicas": 1 });
        assert_eq!(check_applied(&rt, &applied), Ok(()));
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
