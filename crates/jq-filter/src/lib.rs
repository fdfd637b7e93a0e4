//! jq filters for bindings: compiled once with jaq, applied to objects with upstream `filterResult` rules.
//!
//! Upstream shell-operator runs gojq; hooks rely on the usual jq vocabulary (paths, `select`, `map`,
//! `with_entries`, `to_entries`, string functions, object construction). jaq implements that language;
//! `tests/jq_compat.rs` checks our output against the `jq` binary on the filters hooks commonly use.

mod convert;
mod filter;

pub use convert::{from_val, to_val};
pub use filter::{FilterOutput, JqError, JqFilter};
