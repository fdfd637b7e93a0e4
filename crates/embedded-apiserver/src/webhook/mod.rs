//! Calling webhooks: `clientConfig` parsing and checks, Service resolution, TLS, one POST per call.

mod call;
mod services;
mod tls;

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::Value;

pub use call::CallError;
pub use services::{ServiceRef, ServiceRegistry};

use crate::status::Cause;

/// Where a webhook is reached, from a `clientConfig` that passed [`check_client_config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The URL or Service.
    pub target: Target,
    /// PEM bytes of `caBundle`; empty when none was given.
    pub ca_bundle: Vec<u8>,
}

/// The two ways a `clientConfig` names its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `url`: an `https://host[:port][/path]` URL.
    Url(String),
    /// `service`: a Service port and path.
    Service {
        /// Namespace of the Service.
        namespace: String,
        /// Name of the Service.
        name: String,
        /// Port of the Service (default 443).
        port: u16,
        /// Path on the server (default `/`).
        path: String,
    },
}

impl ClientConfig {
    /// Reads a `clientConfig`; `None` when it is not usable (the stored object was never checked).
    pub fn parse(cc: &Value) -> Option<Self> {
        let ca_bundle = match cc.get("caBundle").and_then(Value::as_str) {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()?,
            None => Vec::new(),
        };
        let target = if let Some(url) = cc.get("url").and_then(Value::as_str) {
            Target::Url(url.to_owned())
        } else {
            let svc = cc.get("service")?;
            Target::Service {
                namespace: svc.get("namespace")?.as_str()?.to_owned(),
                name: svc.get("name")?.as_str()?.to_owned(),
                port: match svc.get("port") {
                    None | Some(Value::Null) => 443,
                    Some(p) => u16::try_from(p.as_u64()?).ok()?,
                },
                path: svc
                    .get("path")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                    .unwrap_or("/")
                    .to_owned(),
            }
        };
        Some(Self { target, ca_bundle })
    }

    /// The URL the real server posts to, `https://<name>.<namespace>.svc:<port><path>` for Services.
    pub fn url(&self) -> String {
        match &self.target {
            Target::Url(url) => url.clone(),
            Target::Service {
                namespace,
                name,
                port,
                path,
            } => format!("https://{name}.{namespace}.svc:{port}{path}"),
        }
    }
}

fn invalid(field: &str, value: &str, why: &str) -> Cause {
    Cause {
        reason: "FieldValueInvalid".to_owned(),
        message: format!("Invalid value: {value:?}: {why}"),
        field: field.to_owned(),
    }
}

fn required(field: &str, why: &str) -> Cause {
    Cause {
        reason: "FieldValueRequired".to_owned(),
        message: if why.is_empty() {
            "Required value".to_owned()
        } else {
            format!("Required value: {why}")
        },
        field: field.to_owned(),
    }
}

/// Checks a `clientConfig` at `field` as the real server does on create and update.
pub fn check_client_config(cc: &Value, field: &str) -> Vec<Cause> {
    let mut causes = Vec::new();
    if !cc.is_object() {
        causes.push(required(field, "exactly one of url or service is required"));
        return causes;
    }
    if let Some(b64) = cc.get("caBundle").filter(|v| !v.is_null()) {
        let decoded = b64.as_str().map(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .is_ok()
        });
        if decoded != Some(true) {
            causes.push(invalid(
                &format!("{field}.caBundle"),
                &b64.to_string(),
                "must be base64-encoded PEM certificates",
            ));
        }
    }
    let url = cc.get("url").filter(|v| !v.is_null());
    let service = cc.get("service").filter(|v| !v.is_null());
    match (url, service) {
        (Some(url), None) => causes.extend(check_url(url, &format!("{field}.url"))),
        (None, Some(svc)) => causes.extend(check_service(svc, &format!("{field}.service"))),
        _ => causes.push(required(field, "exactly one of url or service is required")),
    }
    causes
}

fn check_url(url: &Value, field: &str) -> Vec<Cause> {
    const FORM: &str = "; desired format: https://host[/path]";
    let Some(text) = url.as_str() else {
        return vec![required(field, &format!("url must be a valid URL{FORM}"))];
    };
    let Ok(uri) = text.parse::<http::Uri>() else {
        return vec![required(field, &format!("url must be a valid URL{FORM}"))];
    };
    let mut causes = Vec::new();
    let scheme = uri.scheme_str().unwrap_or_default();
    if scheme != "https" {
        causes.push(invalid(
            field,
            scheme,
            &format!("'https' is the only allowed URL scheme{FORM}"),
        ));
    }
    let authority = uri.authority().map(http::uri::Authority::as_str);
    if uri.host().is_none_or(str::is_empty) {
        causes.push(invalid(field, "", &format!("host must be specified{FORM}")));
    }
    if let Some(user) = authority.and_then(|a| a.split_once('@')).map(|(u, _)| u) {
        causes.push(invalid(
            field,
            user,
            "user information is not permitted in the URL",
        ));
    }
    if let Some(query) = uri.query() {
        causes.push(invalid(
            field,
            query,
            "query parameters are not permitted in the URL",
        ));
    }
    if let Some((_, fragment)) = text.split_once('#') {
        causes.push(invalid(
            field,
            fragment,
            "fragments are not permitted in the URL",
        ));
    }
    causes
}

fn check_service(svc: &Value, field: &str) -> Vec<Cause> {
    let mut causes = Vec::new();
    if svc
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        causes.push(required(
            &format!("{field}.name"),
            "service name is required",
        ));
    }
    if svc
        .get("namespace")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        causes.push(required(
            &format!("{field}.namespace"),
            "service namespace is required",
        ));
    }
    match svc.get("port") {
        None | Some(Value::Null) => {}
        Some(port) if port.as_u64().is_some_and(|p| (1..=65535).contains(&p)) => {}
        Some(port) => causes.push(Cause {
            reason: "FieldValueInvalid".to_owned(),
            message: format!(
                "Invalid value: {port}: port is not valid: must be between 1 and 65535, inclusive"
            ),
            field: format!("{field}.port"),
        }),
    }
    match svc.get("path") {
        None | Some(Value::Null) => {}
        Some(Value::String(path)) if path.is_empty() || path == "/" => {}
        Some(Value::String(path)) if !path.starts_with('/') => {
            causes.push(invalid(
                &format!("{field}.path"),
                path,
                "must start with a '/'",
            ));
        }
        Some(Value::String(path)) if path.contains("//") || path.contains('?') => {
            causes.push(invalid(
                &format!("{field}.path"),
                path,
                "segments may not be empty and the path may not have a query",
            ));
        }
        Some(Value::String(_)) => {}
        Some(other) => causes.push(invalid(
            &format!("{field}.path"),
            &other.to_string(),
            "must be a string",
        )),
    }
    causes
}

/// The client the server calls admission and conversion webhooks with.
#[derive(Debug, Default)]
pub struct Client {
    services: ServiceRegistry,
    tls: tls::Configs,
}

impl Client {
    /// A client resolving Services through `services`.
    pub fn new(services: ServiceRegistry) -> Self {
        Self {
            services,
            tls: tls::Configs::default(),
        }
    }

    /// POSTs `body` as JSON with the real server's `?timeout=` parameter and returns the response body.
    pub async fn post(
        &self,
        config: &ClientConfig,
        timeout: Duration,
        body: Vec<u8>,
    ) -> Result<Bytes, CallError> {
        let url = format!("{}?timeout={}s", config.url(), timeout.as_secs());
        let tls = self
            .tls
            .get(&config.ca_bundle)
            .map_err(|message| CallError::Tls {
                url: url.clone(),
                message,
            })?;
        let request = call::Request {
            target: &config.target,
            url: &url,
            tls,
            body: Bytes::from(body),
        };
        match tokio::time::timeout(timeout, call::post(&self.services, request)).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout { url }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn service_configs_default_port_and_path_like_the_real_server() {
        let cc = ClientConfig::parse(&json!({
            "service": { "namespace": "ns", "name": "hooks" },
            "caBundle": "LS0tLS0=",
        }))
        .unwrap();
        assert_eq!(cc.url(), "https://hooks.ns.svc:443/");
        assert_eq!(cc.ca_bundle, b"-----");
    }

    #[test]
    fn client_config_checks_name_the_field_and_the_problem() {
        let msgs = |cc: Value| -> Vec<String> {
            check_client_config(&cc, "webhooks[0].clientConfig")
                .into_iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect()
        };
        assert_eq!(
            msgs(json!({})),
            vec![
                "webhooks[0].clientConfig: Required value: exactly one of url or service is required"
            ]
        );
        assert_eq!(
            msgs(json!({ "url": "http://127.0.0.1:1/x" })),
            vec![
                "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]"
            ]
        );
        assert_eq!(
            msgs(
                json!({ "service": { "name": "a", "namespace": "b", "port": 70000, "path": "x" } })
            ),
            vec![
                "webhooks[0].clientConfig.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive",
                "webhooks[0].clientConfig.service.path: Invalid value: \"x\": must start with a '/'",
            ]
        );
        assert_eq!(
            msgs(json!({ "url": "https://a/b", "caBundle": "!!" })).len(),
            1
        );
        assert!(msgs(json!({ "url": "https://127.0.0.1:8443/hooks/x" })).is_empty());
    }

    #[test]
    fn unusable_stored_configs_parse_to_none_instead_of_panicking() {
        assert_eq!(
            ClientConfig::parse(&json!({ "service": { "name": 1 } })),
            None
        );
        assert_eq!(ClientConfig::parse(&json!("garbage")), None);
        assert_eq!(
            ClientConfig::parse(
                &json!({ "service": { "namespace": "a", "name": "b", "port": -1 } })
            ),
            None
        );
    }
}
