//! Errors of starting and running the embedded cluster.

/// Failure to start or talk to the embedded cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Generating the CA or serving certificate failed.
    #[error("generating certificates")]
    Certificates(#[source] rcgen::Error),
    /// Building the TLS server configuration failed.
    #[error("configuring tls")]
    Tls(#[source] rustls::Error),
    /// Binding the listen address failed.
    #[error("binding {addr}")]
    Bind {
        /// The address that could not be bound.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Writing the kubeconfig file failed.
    #[error("writing kubeconfig {path}")]
    Kubeconfig {
        /// Where the kubeconfig was to be written.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Building a kube client for the cluster failed.
    #[error("building kube client")]
    Client(#[source] kube::Error),
    /// Reading the generated kubeconfig back failed.
    #[error("loading kubeconfig")]
    LoadKubeconfig(#[source] kube::config::KubeconfigError),
}
