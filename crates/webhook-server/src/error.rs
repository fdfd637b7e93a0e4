//! Errors of the webhook servers and registration.

use std::path::PathBuf;

/// An error starting a server or registering webhooks.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A certificate, key or CA file could not be read.
    #[error("read {path}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The PEM content is not usable.
    #[error("load TLS material from {path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The rustls configuration could not be built.
    #[error("build TLS config")]
    Tls(#[source] rustls::Error),
    /// The client CA verifier could not be built.
    #[error("build client certificate verifier: {0}")]
    ClientVerifier(String),
    /// The listen address could not be bound.
    #[error("bind {addr}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A Kubernetes API call failed.
    #[error("{action}")]
    Kube {
        /// What was being done.
        action: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
}
