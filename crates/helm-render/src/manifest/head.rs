//! What the release needs to know about a rendered document: its kind and whether it is a
//! hook. Helm reads every document as YAML (so invalid YAML fails the render); so do we.
//!
//! The answer depends on the document text only, and a module re-rendered with unchanged
//! values produces the same documents, so answers are memoized per thread by text.

use std::cell::RefCell;

use crate::codec::parse_yaml;
use crate::memo::TextMemo;
use crate::value::Value;

/// Documents remembered before the least recently used half is dropped.
const MAX_ENTRIES: usize = 8192;
/// Document bytes remembered before the least recently used half is dropped.
const MAX_BYTES: usize = 32 << 20;

/// The parts of a document's YAML Helm sorts and separates by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Head {
    /// `kind`, empty when absent or not a string.
    pub kind: String,
    /// Whether `metadata.annotations` has `helm.sh/hook`.
    pub is_hook: bool,
}

thread_local! {
    static HEADS: RefCell<TextMemo<Head>> = RefCell::new(TextMemo::new(MAX_ENTRIES, MAX_BYTES));
}

/// Reads a document's head; the error is the message Helm's YAML-to-JSON step would give.
pub fn read(doc: &str) -> Result<Head, String> {
    HEADS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut memo) => memo.get_or_try_insert("", doc, || parse(doc)),
        Err(_) => parse(doc),
    })
}

/// [`read`] without the memo.
pub fn parse(doc: &str) -> Result<Head, String> {
    let head = parse_yaml(doc).map_err(|e| e.to_string())?;
    if !matches!(head, Value::Map(_) | Value::Nil) {
        return Err("error unmarshaling JSON: document is not a mapping".into());
    }
    let m = head.as_map().unwrap_or_default();
    let kind = m
        .get("kind")
        .and_then(|k| k.as_str().map(str::to_string))
        .unwrap_or_default();
    let is_hook = m
        .get("metadata")
        .and_then(Value::as_map)
        .and_then(|md| md.get("annotations").and_then(Value::as_map))
        .is_some_and(|a| a.contains_key("helm.sh/hook"));
    Ok(Head { kind, is_hook })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_and_hook_annotation_are_read() {
        let doc = "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n";
        for _ in 0..2 {
            assert_eq!(
                read(doc),
                Ok(Head {
                    kind: "Job".into(),
                    is_hook: true
                })
            );
        }
        assert_eq!(read("a: 1"), Ok(Head::default()));
    }

    #[test]
    fn invalid_yaml_and_non_mappings_are_errors_every_time() {
        for _ in 0..2 {
            assert!(read("a: [1, 2\nb: 3\n").is_err());
            assert_eq!(
                read("- 1\n"),
                Err("error unmarshaling JSON: document is not a mapping".to_string())
            );
        }
    }
}
