//! CRD conversion: the graph of rules from all hooks and the chain run of a ConversionReview.

mod graph;
mod review;

pub use graph::{ConversionGraph, ConversionStep, versions_match};
pub use review::{EMPTY_RESPONSE_MESSAGE, conversion_failure, conversion_success, convert};
