//! Errors of starting the webhook servers and registering them in the cluster.

use webhook_server::WebhookError;

use crate::config::ServerRole;

/// Why the webhooks could not start; each one stops operator startup, as upstream.
#[derive(Debug, thiserror::Error)]
pub enum WebhooksError {
    /// The listen address and port did not resolve to a socket address.
    #[error("resolve {role} webhook listen address {address}")]
    ResolveListen {
        /// Which server.
        role: ServerRole,
        /// `address:port` as configured.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The CA file for `caBundle` could not be read.
    #[error("read {role} webhook CA")]
    ReadCa {
        /// Which server.
        role: ServerRole,
        /// The cause (names the file).
        #[source]
        source: WebhookError,
    },
    /// The HTTPS server did not start (certificate, key, client CAs or bind).
    #[error("start {role} webhook server")]
    Serve {
        /// Which server.
        role: ServerRole,
        /// The cause.
        #[source]
        source: WebhookError,
    },
    /// The Validating/MutatingWebhookConfiguration could not be created or updated.
    #[error("register admission webhook configurations")]
    RegisterAdmission(#[source] WebhookError),
}
