//! The crate's error type.

/// Why a schema could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema is not a JSON object or a keyword has the wrong shape.
    #[error("invalid schema at {path}: {reason}")]
    Malformed {
        /// JSON path of the offending schema node, e.g. `properties.spec.properties.replicas`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A `pattern` is not a valid regular expression.
    #[error("invalid pattern at {path}")]
    Pattern {
        /// JSON path of the offending schema node.
        path: String,
        /// The regex compile error.
        #[source]
        source: regex::Error,
    },
}
