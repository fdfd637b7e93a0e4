//! The webhook flags (`--validating-webhook-*`, `--conversion-webhook-*`) resolved into an
//! [`engine_webhooks::WebhooksConfig`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use engine_webhooks::{ServerSettings, WebhooksConfig};

use super::{ConfigError, Resolver, env};
use crate::cli::StartArgs;

/// A flag and the variable that stands in for it.
type Source<'a> = (&'a Option<String>, &'static str);

/// The flags of one server (`--validating-webhook-*` or `--conversion-webhook-*`).
struct ServerFlags<'a> {
    service_name: Source<'a>,
    server_cert: Source<'a>,
    server_key: Source<'a>,
    ca: Source<'a>,
    client_ca: (&'a [String], &'static str),
    listen_port: (&'a Option<String>, &'static str, &'static str),
    listen_address: Source<'a>,
}

impl Resolver<'_> {
    fn path(&self, (flag, var): Source<'_>, default: PathBuf) -> PathBuf {
        self.string(flag, var).map(PathBuf::from).unwrap_or(default)
    }

    /// One server's settings over its upstream defaults. An empty CA path leaves `caBundle`
    /// unset (for a CA injected by cert-manager).
    fn server(
        &self,
        flags: ServerFlags<'_>,
        defaults: ServerSettings,
    ) -> Result<ServerSettings, ConfigError> {
        let (port_flag, port_var, port_name) = flags.listen_port;
        let ca = match self.string(flags.ca.0, flags.ca.1) {
            Some(path) if path.is_empty() => None,
            Some(path) => Some(PathBuf::from(path)),
            None => defaults.ca,
        };
        Ok(ServerSettings {
            service_name: self.or(
                flags.service_name.0,
                flags.service_name.1,
                &defaults.service_name,
            ),
            server_cert: self.path(flags.server_cert, defaults.server_cert),
            server_key: self.path(flags.server_key, defaults.server_key),
            ca,
            client_cas: self.list(flags.client_ca.0, flags.client_ca.1),
            listen_address: self.or(
                flags.listen_address.0,
                flags.listen_address.1,
                &defaults.listen_address,
            ),
            listen_port: self.parsed(port_flag, port_var, port_name, defaults.listen_port)?,
        })
    }

    /// `KEY=VALUE` pairs from repeated flags or a comma-separated variable.
    fn pairs(
        &self,
        flag: &[String],
        var: &str,
        name: &'static str,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        self.items(flag, var)
            .into_iter()
            .map(|item| match item.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    Ok((key.trim().to_owned(), value.trim().to_owned()))
                }
                _ => Err(ConfigError {
                    flag: name,
                    value: item.clone(),
                    reason: "expected KEY=VALUE".to_owned(),
                }),
            })
            .collect()
    }
}

/// The webhook servers and registrations; `namespace` is `--namespace` (empty: the client's
/// default namespace, decided at startup).
pub(super) fn resolve(
    r: &Resolver<'_>,
    a: &StartArgs,
    namespace: &str,
) -> Result<WebhooksConfig, ConfigError> {
    let mut config = WebhooksConfig {
        namespace: namespace.to_owned(),
        ..WebhooksConfig::default()
    };
    let admission = &mut config.admission;
    admission.configuration_name = r.or(
        &a.validating_webhook_configuration_name,
        env::VALIDATING_WEBHOOK_CONFIGURATION_NAME,
        &admission.configuration_name,
    );
    admission.annotations = r.pairs(
        &a.validating_webhook_configuration_annotation,
        env::VALIDATING_WEBHOOK_CONFIGURATION_ANNOTATIONS,
        "validating-webhook-configuration-annotation",
    )?;
    admission.server = r.server(
        ServerFlags {
            service_name: (
                &a.validating_webhook_service_name,
                env::VALIDATING_WEBHOOK_SERVICE_NAME,
            ),
            server_cert: (
                &a.validating_webhook_server_cert,
                env::VALIDATING_WEBHOOK_SERVER_CERT,
            ),
            server_key: (
                &a.validating_webhook_server_key,
                env::VALIDATING_WEBHOOK_SERVER_KEY,
            ),
            ca: (&a.validating_webhook_ca, env::VALIDATING_WEBHOOK_CA),
            client_ca: (
                &a.validating_webhook_client_ca,
                env::VALIDATING_WEBHOOK_CLIENT_CA,
            ),
            listen_port: (
                &a.validating_webhook_listen_port,
                env::VALIDATING_WEBHOOK_LISTEN_PORT,
                "validating-webhook-listen-port",
            ),
            listen_address: (
                &a.validating_webhook_listen_address,
                env::VALIDATING_WEBHOOK_LISTEN_ADDRESS,
            ),
        },
        ServerSettings::admission_default(),
    )?;
    config.conversion.server = r.server(
        ServerFlags {
            service_name: (
                &a.conversion_webhook_service_name,
                env::CONVERSION_WEBHOOK_SERVICE_NAME,
            ),
            server_cert: (
                &a.conversion_webhook_server_cert,
                env::CONVERSION_WEBHOOK_SERVER_CERT,
            ),
            server_key: (
                &a.conversion_webhook_server_key,
                env::CONVERSION_WEBHOOK_SERVER_KEY,
            ),
            ca: (&a.conversion_webhook_ca, env::CONVERSION_WEBHOOK_CA),
            client_ca: (
                &a.conversion_webhook_client_ca,
                env::CONVERSION_WEBHOOK_CLIENT_CA,
            ),
            listen_port: (
                &a.conversion_webhook_listen_port,
                env::CONVERSION_WEBHOOK_LISTEN_PORT,
                "conversion-webhook-listen-port",
            ),
            listen_address: (
                &a.conversion_webhook_listen_address,
                env::CONVERSION_WEBHOOK_LISTEN_ADDRESS,
            ),
        },
        ServerSettings::conversion_default(),
    )?;
    Ok(config)
}
