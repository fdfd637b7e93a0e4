//! Settings of the webhook servers, one field per shell-operator flag (see
//! `crates/shell-operator/FLAGS.md`), with upstream defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use webhook_server::{TlsFiles, WebhookServerConfig};

use crate::error::WebhooksError;

/// Which of the two servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRole {
    /// The admission server (validating and mutating bindings).
    Admission,
    /// The conversion server (CRD conversion bindings).
    Conversion,
}

impl fmt::Display for ServerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServerRole::Admission => "admission",
            ServerRole::Conversion => "conversion",
        })
    }
}

/// Certificate files and listen address of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// `--*-webhook-service-name`: the Service the API server calls.
    pub service_name: String,
    /// `--*-webhook-server-cert`.
    pub server_cert: PathBuf,
    /// `--*-webhook-server-key`.
    pub server_key: PathBuf,
    /// `--*-webhook-ca`: its content becomes `caBundle`. `None` leaves `caBundle` unset, for a
    /// CA injected by cert-manager.
    pub ca: Option<PathBuf>,
    /// `--*-webhook-client-ca` (repeatable): when set, clients must present a certificate
    /// signed by one of these.
    pub client_cas: Vec<PathBuf>,
    /// `--*-webhook-listen-address` (an IP or a host name).
    pub listen_address: String,
    /// `--*-webhook-listen-port`; `0` picks a free port (tests).
    pub listen_port: u16,
}

impl ServerSettings {
    /// Upstream admission defaults (`/validating-certs/*`, `0.0.0.0:9680`).
    pub fn admission_default() -> ServerSettings {
        ServerSettings::defaults("shell-operator-validating-svc", "/validating-certs", 9680)
    }

    /// Upstream conversion defaults (`/conversion-certs/*`, `0.0.0.0:9681`).
    pub fn conversion_default() -> ServerSettings {
        ServerSettings::defaults("shell-operator-conversion-svc", "/conversion-certs", 9681)
    }

    fn defaults(service: &str, dir: &str, port: u16) -> ServerSettings {
        ServerSettings {
            service_name: service.to_owned(),
            server_cert: PathBuf::from(format!("{dir}/tls.crt")),
            server_key: PathBuf::from(format!("{dir}/tls.key")),
            ca: Some(PathBuf::from(format!("{dir}/ca.crt"))),
            client_cas: Vec::new(),
            listen_address: "0.0.0.0".to_owned(),
            listen_port: port,
        }
    }

    /// The server configuration, resolving the listen address (host names allowed, as Go's
    /// `net.Listen`; the first address wins).
    pub(crate) async fn server_config(
        &self,
        role: ServerRole,
        reload_interval: Duration,
    ) -> Result<WebhookServerConfig, WebhooksError> {
        let address = format!("{}:{}", self.listen_address, self.listen_port);
        let resolve_error = |source| WebhooksError::ResolveListen {
            role,
            address: address.clone(),
            source,
        };
        let listen: SocketAddr =
            tokio::net::lookup_host((self.listen_address.as_str(), self.listen_port))
                .await
                .map_err(resolve_error)?
                .next()
                .ok_or_else(|| {
                    resolve_error(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no address found",
                    ))
                })?;
        Ok(WebhookServerConfig {
            listen,
            tls: TlsFiles {
                cert: self.server_cert.clone(),
                key: self.server_key.clone(),
                client_cas: self.client_cas.clone(),
            },
            reload_interval,
        })
    }
}

/// Settings of the admission webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// The server and its certificates (`--validating-webhook-*`).
    pub server: ServerSettings,
    /// `--validating-webhook-configuration-name`; the configurations are named
    /// `<configuration_name>-hooks`, as upstream.
    pub configuration_name: String,
    /// Annotations put on both configurations (no upstream flag), e.g.
    /// `cert-manager.io/inject-ca-from: <namespace>/<certificate>` with `server.ca: None`.
    pub annotations: BTreeMap<String, String>,
}

impl Default for AdmissionSettings {
    fn default() -> AdmissionSettings {
        AdmissionSettings {
            server: ServerSettings::admission_default(),
            configuration_name: "shell-operator-hooks".to_owned(),
            annotations: BTreeMap::new(),
        }
    }
}

/// Settings of the conversion webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionSettings {
    /// The server and its certificates (`--conversion-webhook-*`).
    pub server: ServerSettings,
    /// First delay between attempts to patch a CRD that is missing (doubles each attempt).
    pub retry_delay: Duration,
    /// Longest delay between attempts.
    pub max_retry_delay: Duration,
}

impl Default for ConversionSettings {
    fn default() -> ConversionSettings {
        ConversionSettings {
            server: ServerSettings::conversion_default(),
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(30),
        }
    }
}

/// Everything [`crate::Webhooks`] needs besides the hooks and the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhooksConfig {
    /// `--namespace`: the namespace of the Services in `clientConfig`.
    pub namespace: String,
    /// The admission server and configurations.
    pub admission: AdmissionSettings,
    /// The conversion server and CRD patches.
    pub conversion: ConversionSettings,
    /// How often the certificate files are checked for changes (no upstream flag: upstream
    /// loads the pair once; here a rotated pair is served within this interval, no restart).
    pub cert_reload_interval: Duration,
}

impl Default for WebhooksConfig {
    fn default() -> WebhooksConfig {
        WebhooksConfig {
            namespace: String::new(),
            admission: AdmissionSettings::default(),
            conversion: ConversionSettings::default(),
            cert_reload_interval: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_upstream_flag_defaults() {
        let config = WebhooksConfig::default();
        let admission = &config.admission.server;
        assert_eq!(admission.service_name, "shell-operator-validating-svc");
        assert_eq!(
            admission.server_cert,
            PathBuf::from("/validating-certs/tls.crt")
        );
        assert_eq!(
            admission.ca,
            Some(PathBuf::from("/validating-certs/ca.crt"))
        );
        assert_eq!(
            (admission.listen_address.as_str(), admission.listen_port),
            ("0.0.0.0", 9680)
        );
        assert_eq!(config.admission.configuration_name, "shell-operator-hooks");
        let conversion = &config.conversion.server;
        assert_eq!(conversion.service_name, "shell-operator-conversion-svc");
        assert_eq!(
            conversion.server_key,
            PathBuf::from("/conversion-certs/tls.key")
        );
        assert_eq!(conversion.listen_port, 9681);
    }

    #[tokio::test]
    async fn listen_address_resolves_ips_and_host_names() {
        let mut settings = ServerSettings::admission_default();
        settings.listen_address = "127.0.0.1".to_owned();
        settings.listen_port = 0;
        let config = settings
            .server_config(ServerRole::Admission, Duration::from_secs(1))
            .await
            .map(|c| c.listen);
        assert_eq!(config.ok(), Some(SocketAddr::from(([127, 0, 0, 1], 0))));

        settings.listen_address = "localhost".to_owned();
        let config = settings
            .server_config(ServerRole::Admission, Duration::from_secs(1))
            .await;
        assert!(config.is_ok_and(|c| c.listen.ip().is_loopback()));

        settings.listen_address = "not an address".to_owned();
        let err = settings
            .server_config(ServerRole::Admission, Duration::from_secs(1))
            .await
            .err();
        assert!(
            matches!(err, Some(WebhooksError::ResolveListen { role: ServerRole::Admission, ref address, .. }) if address == "not an address:0"),
            "{err:?}"
        );
    }
}
