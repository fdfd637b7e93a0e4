//! Why a release step failed, named after the step, with the release, object or Secret.

use crate::chart::ChartError;
use crate::objects::ManifestError;

/// A stored release could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The Secret has no `release` key.
    #[error("no 'release' data")]
    NoData,
    /// Not base64.
    #[error("base64")]
    Base64(#[source] base64::DecodeError),
    /// gzip failed.
    #[error("gzip")]
    Gzip(#[source] std::io::Error),
    /// Not the release JSON.
    #[error("json")]
    Json(#[source] serde_json::Error),
}

/// Why a release operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// Listing the release's Secrets failed.
    #[error("read history of release {release}")]
    ReadHistory {
        /// The release.
        release: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Listing the releases of the namespace failed.
    #[error("list releases in namespace {namespace}")]
    List {
        /// The namespace.
        namespace: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// A stored release does not decode.
    #[error("decode release Secret {secret}")]
    Decode {
        /// The Secret.
        secret: String,
        /// The cause.
        #[source]
        source: DecodeError,
    },
    /// A release could not be encoded.
    #[error("encode release {release}")]
    Encode {
        /// The release.
        release: String,
        /// The cause.
        #[source]
        source: DecodeError,
    },
    /// Writing a release Secret failed.
    #[error("write release Secret {secret}")]
    WriteRelease {
        /// The Secret.
        secret: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Deleting a release Secret failed.
    #[error("delete release Secret {secret}")]
    DeleteRelease {
        /// The Secret.
        secret: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The chart could not be read.
    #[error("read chart of release {release}")]
    Chart {
        /// The release.
        release: String,
        /// The cause.
        #[source]
        source: ChartError,
    },
    /// The manifest has a document that is not an object.
    #[error("manifest of release {release}")]
    Manifest {
        /// The release.
        release: String,
        /// The cause.
        #[source]
        source: ManifestError,
    },
    /// The object's kind is unknown to the cluster.
    #[error("release {release}: resolve kind of {object}")]
    Resolve {
        /// The release.
        release: String,
        /// `apiVersion/kind name`.
        object: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Reading an object failed.
    #[error("release {release}: get {object}")]
    Get {
        /// The release.
        release: String,
        /// `<ns>/<Kind>/<name>`.
        object: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Applying an object failed.
    #[error("release {release}: apply {object}")]
    Apply {
        /// The release.
        release: String,
        /// `<ns>/<Kind>/<name>`.
        object: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Deleting an object failed.
    #[error("release {release}: delete {object}")]
    Delete {
        /// The release.
        release: String,
        /// `<ns>/<Kind>/<name>`.
        object: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
}
