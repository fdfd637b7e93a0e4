//! Errors of the object patcher: a rejected file, or operations that failed.

use std::fmt;

/// The patch file is malformed; nothing was executed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// The file is neither a JSON stream nor YAML documents.
    #[error("patch file is neither a JSON stream nor YAML documents: {0}")]
    Syntax(String),
    /// One document is invalid.
    #[error("document {index}: field '{field}': {message}")]
    Document {
        /// 0-based index of the document in the file.
        index: usize,
        /// The offending field (`operation`, `object`, an unknown key, ...).
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// What went wrong with one operation at run time.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// The kind could not be resolved.
    #[error("resolve kind")]
    Resolve(#[source] kube_events::Error),
    /// An API request failed.
    #[error("{step}")]
    Api {
        /// Which request (`create`, `get`, `delete`, `patch`, `update`).
        step: &'static str,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// The object to create does not convert to a Kubernetes object.
    #[error("invalid object")]
    InvalidObject(#[source] serde_json::Error),
    /// The jq filter failed or did not return an object.
    #[error("jqFilter")]
    JqFilter(#[source] jq_filter::JqError),
    /// A foreground delete did not finish in time.
    #[error("object was not deleted within {0:?}")]
    DeleteTimeout(std::time::Duration),
    /// Optimistic concurrency failed too many times.
    #[error("conflict persisted after {0} attempts")]
    Conflict(u32),
}

/// One failed operation with its description, as upstream reports it (`<op description>: <err>`).
#[derive(Debug)]
pub struct FailedOperation {
    /// e.g. `MergePatch ConfigMap default/cm`.
    pub description: String,
    /// The cause.
    pub error: OperationError,
}

/// Every operation that failed in one batch.
#[derive(Debug)]
pub struct PatchErrors(pub Vec<FailedOperation>);

impl fmt::Display for PatchErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for failed in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(
                f,
                "{}: {}",
                failed.description,
                error_report::Report(&failed.error)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for PatchErrors {}
