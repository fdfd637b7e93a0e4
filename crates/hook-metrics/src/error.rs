//! What can be wrong with a metrics file or a batch of operations.

/// Why one operation in the file is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationProblem {
    /// Neither `action` nor a `set`/`add` shorthand.
    #[error("one of 'action', 'set' or 'add' is required")]
    MissingAction,
    /// Both shorthands at once.
    #[error("'set' and 'add' are mutually exclusive")]
    SetAndAdd,
    /// An action this operator does not know.
    #[error("unsupported action '{0}'")]
    UnsupportedAction(String),
    /// `expire` without a `group`.
    #[error("action 'expire' requires 'group'")]
    ExpireWithoutGroup,
    /// A metric operation without a `name`.
    #[error("'name' is required")]
    MissingName,
    /// A metric name Prometheus would reject.
    #[error("invalid metric name '{0}'")]
    InvalidName(String),
    /// A label name Prometheus would reject.
    #[error("invalid label name '{0}'")]
    InvalidLabelName(String),
    /// `set`, `add` or `observe` without a `value`.
    #[error("'value' is required for action '{0}'")]
    MissingValue(&'static str),
    /// NaN or infinity.
    #[error("'value' must be a finite number")]
    NonFiniteValue,
    /// A counter cannot go down.
    #[error("'value' of action 'add' must not be negative")]
    NegativeAdd,
    /// `observe` without `buckets`.
    #[error("'buckets' is required for action 'observe'")]
    MissingBuckets,
    /// Buckets that are not finite and strictly increasing.
    #[error("'buckets' must be finite and strictly increasing")]
    InvalidBuckets,
}

/// The metrics file could not be used; the hook run fails.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Reading the file failed.
    #[error("read metrics file {path}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The text at `line` is not a JSON object of the expected shape.
    #[error("line {line}: invalid JSON")]
    Json {
        /// 1-based line number.
        line: usize,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The object starting at `line` is not a valid operation.
    #[error("line {line}: {problem}")]
    Operation {
        /// 1-based line number where the object starts.
        line: usize,
        /// What is wrong with it.
        problem: OperationProblem,
    },
}

/// A batch conflicts with what the store already holds; nothing from it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The same metric name used as two kinds (gauge, counter, histogram).
    #[error("line {line}: metric '{name}' is a {existing}, cannot use it as a {requested}")]
    KindConflict {
        /// 1-based line number of the conflicting operation.
        line: usize,
        /// Metric name.
        name: String,
        /// The kind the metric already has.
        existing: &'static str,
        /// The kind the operation needs.
        requested: &'static str,
    },
}
