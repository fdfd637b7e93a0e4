//! Memo of parsed templates, keyed by template name and full source text.
//!
//! Parsing is a pure function of (name, source, function table), so a hit is exactly what a
//! fresh parse would give; entries never go stale, they are only evicted for space. Chart
//! templates and `tpl` strings share the memo. Parse errors are not kept (they are reported
//! again, identically, on the next parse).

use std::rc::Rc;
use std::sync::Arc;

use super::TemplateError;
use super::set::{Template, parse_templates};
use crate::funcs::Funcs;
use crate::memo::TextMemo;

/// What parsing one source gives: the body under its name, then each define.
pub type Parsed = Rc<[(String, Arc<Template>)]>;

/// Sources kept before the least recently used half is dropped.
const MAX_ENTRIES: usize = 4096;
/// Source bytes kept before the least recently used half is dropped.
const MAX_SOURCE_BYTES: usize = 64 << 20;

/// Parsed templates by (name, source). Use one cache with one function table only: which
/// functions exist decides whether a source parses.
#[derive(Debug)]
pub struct ParseCache {
    memo: TextMemo<Parsed>,
}

impl Default for ParseCache {
    fn default() -> Self {
        ParseCache {
            memo: TextMemo::new(MAX_ENTRIES, MAX_SOURCE_BYTES),
        }
    }
}

impl ParseCache {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of parsed sources kept.
    pub fn len(&self) -> usize {
        self.memo.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.memo.is_empty()
    }

    /// The templates of `src` parsed as `name`, from the memo or parsed now.
    pub fn parse(&mut self, name: &str, src: &str, funcs: &Funcs) -> Result<Parsed, TemplateError> {
        self.memo.get_or_try_insert(name, src, || {
            parse_templates(name, src, funcs).map(Parsed::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_parse_of_the_same_source_is_shared() {
        let funcs = Funcs::helm();
        let mut c = ParseCache::new();
        let a = c.parse("t", "{{ define \"x\" }}1{{ end }}a", &funcs);
        let b = c.parse("t", "{{ define \"x\" }}1{{ end }}a", &funcs);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert!(Rc::ptr_eq(&a, &b));
                assert_eq!(a.len(), 2);
            }
            other => unreachable!("{other:?}"),
        }
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn name_and_source_both_key_the_entry() {
        let funcs = Funcs::helm();
        let mut c = ParseCache::new();
        assert!(c.parse("t", "a", &funcs).is_ok());
        assert!(c.parse("u", "a", &funcs).is_ok());
        assert!(c.parse("t", "b", &funcs).is_ok());
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn errors_are_reported_every_time_and_not_kept() {
        let funcs = Funcs::helm();
        let mut c = ParseCache::new();
        for _ in 0..2 {
            assert!(matches!(
                c.parse("t", "{{ nope }}", &funcs),
                Err(TemplateError::Parse { .. })
            ));
        }
        assert!(c.is_empty());
    }

    #[test]
    fn the_memo_stays_bounded() {
        let funcs = Funcs::helm();
        let mut c = ParseCache::new();
        for i in 0..MAX_ENTRIES + 10 {
            assert!(c.parse("t", &i.to_string(), &funcs).is_ok());
        }
        assert!(c.len() <= MAX_ENTRIES);
        assert!(c.len() > MAX_ENTRIES / 4);
    }
}
