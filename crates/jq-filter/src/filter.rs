//! A compiled jq filter and the `filterResult` it gives for one object.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::convert::{from_val, to_val};

/// What can go wrong with a jq filter.
#[derive(Debug, thiserror::Error)]
pub enum JqError {
    /// The filter text does not parse or names something undefined.
    #[error("jqFilter {filter:?} does not compile: {message}")]
    Compile {
        /// The filter text as configured.
        filter: String,
        /// What the parser or compiler reported.
        message: String,
    },
    /// The filter raised an error on an input.
    #[error("jqFilter {filter:?} failed: {message}")]
    Run {
        /// The filter text as configured.
        filter: String,
        /// The jq error value, printed.
        message: String,
    },
}

type Data = data::JustLut<Val>;

/// A jq program compiled once and applied to many inputs.
pub struct JqFilter {
    text: String,
    filter: jaq_core::Filter<Data>,
    /// Set when the program is only field names (`.`, `.metadata.labels`): such filters, the most
    /// common in hooks, are walked directly on the input instead of converting it for jaq.
    path: Option<Vec<String>>,
}

static NULL: Value = Value::Null;

/// The field names of a filter like `.a.b_c` (`Some(vec![])` for `.`), or `None` for anything else.
fn field_path(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    if text == "." {
        return Some(Vec::new());
    }
    let mut fields = Vec::new();
    for part in text.strip_prefix('.')?.split('.') {
        let mut chars = part.chars();
        let first = chars.next()?;
        let ident = (first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return None;
        }
        fields.push(part.to_owned());
    }
    Some(fields)
}

/// jq's `.a.b` on `input`: missing keys and `null` give `null`; `None` when jq would raise an
/// error (indexing a non-object), which the caller leaves to jaq for the exact message.
fn walk<'a>(input: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut current = input;
    for field in path {
        current = match current {
            Value::Object(map) => map.get(field).unwrap_or(&NULL),
            Value::Null => &NULL,
            _ => return None,
        };
    }
    Some(current)
}

impl std::fmt::Debug for JqFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JqFilter")
            .field("text", &self.text)
            .finish()
    }
}

/// The outputs of one filter run with the upstream `filterResult` rules applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterOutput {
    /// No outputs give `null`, one output gives that value, several give an array of them.
    pub result: Value,
    /// SHA-256 of the result's JSON text: equal checksums mean the hook need not run again.
    pub checksum: String,
}

impl JqFilter {
    /// Parse and compile a filter; errors name the filter and what is wrong with it.
    pub fn compile(text: &str) -> Result<Self, JqError> {
        let compile_error = |message: String| JqError::Compile {
            filter: text.to_string(),
            message,
        };
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(
                &arena,
                File {
                    code: text,
                    path: (),
                },
            )
            .map_err(|errs| compile_error(describe_load_errors(text, &errs)))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                let names: Vec<String> = errs
                    .iter()
                    .flat_map(|(_, list)| list.iter())
                    .map(|(name, undefined)| format!("undefined {undefined:?} {name}"))
                    .collect();
                compile_error(names.join("; "))
            })?;
        Ok(Self {
            text: text.to_string(),
            filter,
            path: field_path(text),
        })
    }

    /// The filter text as configured.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Run the filter on one input and collect its outputs.
    pub fn run(&self, input: &Value) -> Result<Vec<Value>, JqError> {
        if let Some(found) = self.path.as_deref().and_then(|path| walk(input, path)) {
            return Ok(vec![found.clone()]);
        }
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        let outputs = self.filter.id.run((ctx, to_val(input))).map(unwrap_valr);
        let mut values = Vec::new();
        for output in outputs {
            match output {
                Ok(val) => values.push(from_val(&val)),
                Err(err) => {
                    return Err(JqError::Run {
                        filter: self.text.clone(),
                        message: err.to_string(),
                    });
                }
            }
        }
        Ok(values)
    }

    /// Run the filter and apply the `filterResult` rules; the checksum covers the result's JSON text.
    pub fn apply(&self, input: &Value) -> Result<FilterOutput, JqError> {
        let mut outputs = self.run(input)?;
        let result = match outputs.len() {
            0 => Value::Null,
            1 => outputs.pop().unwrap_or(Value::Null),
            _ => Value::Array(outputs),
        };
        let checksum = checksum(&result);
        Ok(FilterOutput { result, checksum })
    }
}

/// SHA-256 over a value's compact JSON text, hex-encoded.
pub fn checksum(value: &Value) -> String {
    let mut hasher = Sha256::new();
    // writing into a hasher cannot fail; a serializer error would only come from non-string map keys,
    // which serde_json::Value cannot hold
    let _ = serde_json::to_writer(HashWriter(&mut hasher), value);
    hex::encode(hasher.finalize())
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn describe_load_errors(code: &str, errs: &jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let offset = |rest: &str| {
        // the lexer and parser report the unconsumed rest of the input; its start is the position
        code.len().saturating_sub(rest.len()) + 1
    };
    let mut messages = Vec::new();
    for (_, err) in errs {
        match err {
            Error::Io(list) => messages.extend(
                list.iter()
                    .map(|(path, msg)| format!("cannot load {path}: {msg}")),
            ),
            Error::Lex(list) => messages.extend(list.iter().map(|(expect, rest)| {
                format!("expected {} at column {}", expect.as_str(), offset(rest))
            })),
            Error::Parse(list) => messages.extend(list.iter().map(|(expect, rest)| {
                format!("expected {} at column {}", expect.as_str(), offset(rest))
            })),
        }
    }
    if messages.is_empty() {
        "invalid filter".to_string()
    } else {
        messages.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({
            "metadata": {"name": "p1", "namespace": "ns", "labels": {"app": "web", "tier": "fe"}},
            "spec": {"containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}]},
            "status": {"phase": "Running"}
        })
    }

    #[test]
    fn one_output_is_the_filter_result_itself() {
        let f = JqFilter::compile(".metadata.labels").unwrap();
        assert_eq!(
            f.apply(&pod()).unwrap().result,
            json!({"app": "web", "tier": "fe"})
        );
    }

    #[test]
    fn no_output_gives_null() {
        let f = JqFilter::compile("select(.status.phase == \"Pending\")").unwrap();
        assert_eq!(f.apply(&pod()).unwrap().result, Value::Null);
    }

    #[test]
    fn several_outputs_give_an_array() {
        let f = JqFilter::compile(".spec.containers[].image").unwrap();
        assert_eq!(f.apply(&pod()).unwrap().result, json!(["nginx", "redis"]));
    }

    #[test]
    fn checksum_changes_only_with_the_result() {
        let f = JqFilter::compile(".metadata.labels").unwrap();
        let before = f.apply(&pod()).unwrap();
        let mut changed_status = pod();
        changed_status["status"]["phase"] = json!("Failed");
        assert_eq!(f.apply(&changed_status).unwrap().checksum, before.checksum);
        let mut changed_label = pod();
        changed_label["metadata"]["labels"]["app"] = json!("db");
        assert_ne!(f.apply(&changed_label).unwrap().checksum, before.checksum);
    }

    #[test]
    fn syntax_errors_name_the_filter_and_the_column() {
        let err = JqFilter::compile(".a | (").unwrap_err().to_string();
        assert!(err.contains("\".a | (\""), "{err}");
        assert!(err.contains("column"), "{err}");
    }

    #[test]
    fn undefined_functions_are_compile_errors() {
        let err = JqFilter::compile("nosuchfn(1)").unwrap_err().to_string();
        assert!(err.contains("nosuchfn"), "{err}");
    }

    #[test]
    fn runtime_errors_are_values_not_panics() {
        let f = JqFilter::compile(".metadata.name | tonumber").unwrap();
        assert!(matches!(f.apply(&pod()), Err(JqError::Run { .. })));
    }

    #[test]
    fn field_paths_take_the_direct_walk_and_agree_with_jaq() {
        assert_eq!(
            field_path(".metadata.labels"),
            Some(vec!["metadata".into(), "labels".into()])
        );
        assert_eq!(field_path(" . "), Some(vec![]));
        for not_a_path in [
            ".a[0]", ".a | .b", "..", ".a.", ".\"x\"", ".a-b", "keys", ".1a",
        ] {
            assert_eq!(field_path(not_a_path), None, "{not_a_path}");
        }
        let inputs = [pod(), json!(null), json!({"metadata": null}), json!({})];
        for text in [
            ".",
            ".metadata",
            ".metadata.labels",
            ".metadata.labels.app",
            ".nope.deeper",
        ] {
            let fast = JqFilter::compile(text).unwrap();
            let mut slow = JqFilter::compile(text).unwrap();
            slow.path = None;
            for input in &inputs {
                assert_eq!(
                    fast.run(input).unwrap(),
                    slow.run(input).unwrap(),
                    "{text} on {input}"
                );
            }
        }
    }

    #[test]
    fn a_field_path_on_a_non_object_still_raises_jqs_error() {
        let filter = JqFilter::compile(".metadata.name.first").unwrap();
        let err = filter.run(&pod()).unwrap_err();
        assert!(matches!(err, JqError::Run { .. }), "{err}");
    }
}
