//! Errors of the kube-events crate, named after the step that failed.

/// What went wrong while enabling a binding.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Discovery requests to the API server failed.
    #[error("discovery of {what} failed")]
    Discovery {
        /// Which discovery document was being read.
        what: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// No resource in the cluster matches the binding's kind (for example a CRD that is not installed yet).
    #[error("kind '{kind}' not found in the cluster (apiVersion '{api_version}')")]
    KindNotFound {
        /// The kind as written in the binding.
        kind: String,
        /// The apiVersion as written in the binding, empty for the preferred one.
        api_version: String,
    },
    /// The binding's apiVersion is not `group/version` or `version`.
    #[error("apiVersion '{0}' is invalid")]
    InvalidApiVersion(String),
    /// A selector cannot be expressed as a Kubernetes selector string.
    #[error("invalid selector: {0}")]
    InvalidSelector(String),
    /// The jqFilter does not compile.
    #[error("compile jqFilter")]
    JqFilter(#[source] jq_filter::JqError),
    /// A binding with this id is already running.
    #[error("binding '{0}' is already started")]
    AlreadyStarted(String),
    /// The manager is shutting down.
    #[error("the kube events manager is shut down")]
    ShutDown,
}
