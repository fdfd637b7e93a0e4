//! Webhook configurations: defaults the real server fills in, and the parsed form dispatch uses.

use std::time::Duration;

use serde_json::{Value, json};

use super::rules::{Rule, Selector};
use crate::webhook::ClientConfig;

/// Group of the webhook configuration resources.
pub const GROUP: &str = "admissionregistration.k8s.io";
/// Plural of validating webhook configurations.
pub const VALIDATING: &str = "validatingwebhookconfigurations";
/// Plural of mutating webhook configurations.
pub const MUTATING: &str = "mutatingwebhookconfigurations";

/// Timeout of a webhook without `timeoutSeconds`.
const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

/// Whether a webhook is called before (mutating) or after (validating) the object is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Mutating webhooks: may patch the object, run in order.
    Mutating,
    /// Validating webhooks: only allow or deny.
    Validating,
}

impl Phase {
    /// The phase of configurations stored under `plural`, if it is one.
    pub fn of_plural(group: &str, plural: &str) -> Option<Self> {
        match (group, plural) {
            (GROUP, MUTATING) => Some(Self::Mutating),
            (GROUP, VALIDATING) => Some(Self::Validating),
            _ => None,
        }
    }

    /// `Mutating` or `Validating`, as in kinds.
    pub fn kind_prefix(self) -> &'static str {
        match self {
            Self::Mutating => "Mutating",
            Self::Validating => "Validating",
        }
    }
}

/// The `AdmissionReview` version a webhook is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewVersion {
    /// `admission.k8s.io/v1`.
    V1,
    /// `admission.k8s.io/v1beta1`.
    V1beta1,
}

impl ReviewVersion {
    /// `admission.k8s.io/<version>`.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::V1 => "admission.k8s.io/v1",
            Self::V1beta1 => "admission.k8s.io/v1beta1",
        }
    }
}

/// One webhook of a stored configuration, as dispatch uses it.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// `webhooks[].name`, quoted in errors.
    pub name: String,
    /// Name of the configuration it belongs to.
    pub configuration: String,
    /// Where it is reached; `None` when the stored `clientConfig` is unusable.
    pub client: Option<ClientConfig>,
    /// `rules`.
    pub rules: Vec<Rule>,
    /// `failurePolicy: Ignore`.
    pub ignore_failures: bool,
    /// `matchPolicy: Equivalent`.
    pub match_equivalent: bool,
    /// `namespaceSelector`.
    pub namespace_selector: Selector,
    /// `objectSelector`.
    pub object_selector: Selector,
    /// Whether `sideEffects` allows calls for dry-run requests.
    pub dry_run_safe: bool,
    /// `timeoutSeconds`.
    pub timeout: Duration,
    /// The first `admissionReviewVersions` entry this server speaks, if any.
    pub review_version: Option<ReviewVersion>,
    /// `reinvocationPolicy: IfNeeded` (mutating only).
    pub reinvoke_if_needed: bool,
}

/// Fills in the fields the real server defaults in `admissionregistration.k8s.io/v1`.
pub fn apply_defaults(config: &mut Value, phase: Phase) {
    let Some(webhooks) = config.get_mut("webhooks").and_then(Value::as_array_mut) else {
        return;
    };
    for hook in webhooks.iter_mut().filter_map(Value::as_object_mut) {
        let mut default = |key: &str, value: Value| {
            if hook.get(key).is_none_or(Value::is_null) {
                hook.insert(key.to_owned(), value);
            }
        };
        default("failurePolicy", json!("Fail"));
        default("matchPolicy", json!("Equivalent"));
        default("namespaceSelector", json!({}));
        default("objectSelector", json!({}));
        default("timeoutSeconds", json!(DEFAULT_TIMEOUT_SECONDS));
        if phase == Phase::Mutating {
            default("reinvocationPolicy", json!("Never"));
        }
        if let Some(rules) = hook.get_mut("rules").and_then(Value::as_array_mut) {
            for rule in rules.iter_mut().filter_map(Value::as_object_mut) {
                if rule.get("scope").is_none_or(Value::is_null) {
                    rule.insert("scope".to_owned(), json!("*"));
                }
            }
        }
        if let Some(service) = hook
            .get_mut("clientConfig")
            .and_then(|cc| cc.get_mut("service"))
            .and_then(Value::as_object_mut)
            && service.get("port").is_none_or(Value::is_null)
        {
            service.insert("port".to_owned(), json!(443));
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn review_version(versions: &[String]) -> Option<ReviewVersion> {
    versions.iter().find_map(|v| match v.as_str() {
        "v1" => Some(ReviewVersion::V1),
        "v1beta1" => Some(ReviewVersion::V1beta1),
        _ => None,
    })
}

/// The webhooks of one stored configuration, in order; unusable entries are skipped or marked.
pub fn parse(config: &Value, phase: Phase) -> Vec<Webhook> {
    let configuration = config
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Some(webhooks) = config.get("webhooks").and_then(Value::as_array) else {
        return Vec::new();
    };
    webhooks
        .iter()
        .filter(|hook| hook.is_object())
        .map(|hook| {
            let text = |key: &str| hook.get(key).and_then(Value::as_str).unwrap_or_default();
            Webhook {
                name: text("name").to_owned(),
                configuration: configuration.clone(),
                client: hook.get("clientConfig").and_then(ClientConfig::parse),
                rules: hook
                    .get("rules")
                    .and_then(Value::as_array)
                    .map(|rules| rules.iter().map(Rule::parse).collect())
                    .unwrap_or_default(),
                ignore_failures: text("failurePolicy") == "Ignore",
                match_equivalent: text("matchPolicy") != "Exact",
                namespace_selector: Selector::parse(hook.get("namespaceSelector")),
                object_selector: Selector::parse(hook.get("objectSelector")),
                dry_run_safe: matches!(text("sideEffects"), "None" | "NoneOnDryRun"),
                timeout: Duration::from_secs(
                    hook.get("timeoutSeconds")
                        .and_then(Value::as_u64)
                        .unwrap_or(DEFAULT_TIMEOUT_SECONDS)
                        .clamp(1, 30),
                ),
                review_version: review_version(&strings(&hook["admissionReviewVersions"])),
                reinvoke_if_needed: phase == Phase::Mutating
                    && text("reinvocationPolicy") == "IfNeeded",
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Value {
        json!({
            "metadata": { "name": "hooks" },
            "webhooks": [{
                "name": "a.example.com",
                "clientConfig": { "service": { "namespace": "ns", "name": "svc", "path": "/a" } },
                "rules": [{ "operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"] }],
                "sideEffects": "None",
                "admissionReviewVersions": ["v2", "v1beta1", "v1"],
            }, "garbage"],
        })
    }

    #[test]
    fn defaults_match_the_real_server() {
        let mut c = config();
        apply_defaults(&mut c, Phase::Mutating);
        let hook = &c["webhooks"][0];
        assert_eq!(hook["failurePolicy"], "Fail");
        assert_eq!(hook["matchPolicy"], "Equivalent");
        assert_eq!(hook["namespaceSelector"], json!({}));
        assert_eq!(hook["objectSelector"], json!({}));
        assert_eq!(hook["timeoutSeconds"], 10);
        assert_eq!(hook["reinvocationPolicy"], "Never");
        assert_eq!(hook["rules"][0]["scope"], "*");
        assert_eq!(hook["clientConfig"]["service"]["port"], 443);
        let mut v = config();
        apply_defaults(&mut v, Phase::Validating);
        assert!(v["webhooks"][0].get("reinvocationPolicy").is_none());
    }

    #[test]
    fn parsing_picks_the_first_spoken_review_version_and_skips_garbage() {
        let hooks = parse(&config(), Phase::Validating);
        assert_eq!(hooks.len(), 1);
        let hook = &hooks[0];
        assert_eq!(hook.configuration, "hooks");
        assert_eq!(hook.review_version, Some(ReviewVersion::V1beta1));
        assert!(!hook.ignore_failures && hook.match_equivalent && hook.dry_run_safe);
        assert_eq!(hook.timeout, Duration::from_secs(10));
        assert_eq!(
            hook.client.as_ref().map(ClientConfig::url).as_deref(),
            Some("https://svc.ns.svc:443/a")
        );
    }

    #[test]
    fn a_configuration_without_webhooks_has_none() {
        assert!(parse(&json!({ "webhooks": 3 }), Phase::Mutating).is_empty());
        assert!(parse(&json!(null), Phase::Mutating).is_empty());
    }
}
