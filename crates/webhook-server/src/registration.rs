//! Registration in the cluster: the Validating/Mutating webhook configurations and the
//! `spec.conversion` of CRDs served by conversion hooks.

use std::collections::BTreeMap;
use std::time::Duration;

use hook_config::{AdmissionBinding, LabelOperator, LabelSelector, WebhookRule};
use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    MatchCondition, MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations,
    ServiceReference, ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admission::CONFIGURATION_ID;
use crate::error::WebhookError;

/// Where the admission webhooks point and how their configurations are named.
#[derive(Debug, Clone)]
pub struct AdmissionRegistration {
    /// `metadata.name` of both configurations, used as given
    /// (`--validating-webhook-configuration-name`, default `shell-operator-hooks`).
    pub configuration_name: String,
    /// `clientConfig.service.namespace` (`--namespace`).
    pub namespace: String,
    /// `clientConfig.service.name` (`--validating-webhook-service-name`).
    pub service_name: String,
    /// `clientConfig.service.port`; `None` leaves the API default (443).
    pub service_port: Option<i32>,
    /// `clientConfig.caBundle`: the CA file content (may be empty with cert-manager injection).
    pub ca_bundle: Vec<u8>,
    /// Annotations on the configurations, e.g. `cert-manager.io/inject-ca-from`.
    pub annotations: BTreeMap<String, String>,
}

impl AdmissionRegistration {
    /// Upstream defaults for a namespace.
    pub fn with_defaults(namespace: impl Into<String>) -> AdmissionRegistration {
        AdmissionRegistration {
            configuration_name: "shell-operator-hooks".to_owned(),
            namespace: namespace.into(),
            service_name: "shell-operator-validating-svc".to_owned(),
            service_port: None,
            ca_bundle: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    fn metadata(&self) -> meta::ObjectMeta {
        meta::ObjectMeta {
            name: Some(self.configuration_name.clone()),
            annotations: (!self.annotations.is_empty()).then(|| self.annotations.clone()),
            ..meta::ObjectMeta::default()
        }
    }

    fn client_config(&self, binding: &AdmissionBinding) -> WebhookClientConfig {
        let path = format!(
            "/{CONFIGURATION_ID}/{}",
            hook_config::safe_url_string(&binding.name)
        );
        WebhookClientConfig {
            ca_bundle: (!self.ca_bundle.is_empty()).then(|| ByteString(self.ca_bundle.clone())),
            service: Some(ServiceReference {
                namespace: self.namespace.clone(),
                name: self.service_name.clone(),
                path: Some(path),
                port: self.service_port,
            }),
            url: None,
        }
    }
}

fn rule(rule: &WebhookRule) -> RuleWithOperations {
    RuleWithOperations {
        api_groups: Some(rule.api_groups.clone()),
        api_versions: Some(rule.api_versions.clone()),
        resources: Some(rule.resources.clone()),
        operations: Some(rule.operations.clone()),
        scope: rule.scope.clone(),
    }
}

fn selector(selector: &LabelSelector) -> meta::LabelSelector {
    let expressions: Vec<meta::LabelSelectorRequirement> = selector
        .match_expressions
        .iter()
        .map(|r| meta::LabelSelectorRequirement {
            key: r.key.clone(),
            operator: match r.operator {
                LabelOperator::In => "In",
                LabelOperator::NotIn => "NotIn",
                LabelOperator::Exists => "Exists",
                LabelOperator::DoesNotExist => "DoesNotExist",
            }
            .to_owned(),
            values: (!r.values.is_empty()).then(|| r.values.clone()),
        })
        .collect();
    meta::LabelSelector {
        match_labels: (!selector.match_labels.is_empty()).then(|| selector.match_labels.clone()),
        match_expressions: (!expressions.is_empty()).then_some(expressions),
    }
}

fn match_conditions(binding: &AdmissionBinding) -> Option<Vec<MatchCondition>> {
    (!binding.match_conditions.is_empty()).then(|| {
        binding
            .match_conditions
            .iter()
            .map(|c| MatchCondition {
                name: c.name.clone(),
                expression: c.expression.clone(),
            })
            .collect()
    })
}

fn timeout(binding: &AdmissionBinding) -> Option<i32> {
    i32::try_from(binding.timeout_seconds).ok()
}

/// The ValidatingWebhookConfiguration with one webhook per binding.
pub fn validating_configuration(
    registration: &AdmissionRegistration,
    bindings: &[AdmissionBinding],
) -> ValidatingWebhookConfiguration {
    ValidatingWebhookConfiguration {
        metadata: registration.metadata(),
        webhooks: Some(
            bindings
                .iter()
                .map(|b| ValidatingWebhook {
                    name: b.name.clone(),
                    admission_review_versions: vec!["v1".to_owned(), "v1beta1".to_owned()],
                    client_config: registration.client_config(b),
                    failure_policy: Some(b.failure_policy.as_str().to_owned()),
                    match_conditions: match_conditions(b),
                    match_policy: Some("Equivalent".to_owned()),
                    namespace_selector: b.namespace_selector.as_ref().map(selector),
                    object_selector: b.object_selector.as_ref().map(selector),
                    rules: Some(b.rules.iter().map(rule).collect()),
                    side_effects: b.side_effects.as_str().to_owned(),
                    timeout_seconds: timeout(b),
                })
                .collect(),
        ),
    }
}

/// The MutatingWebhookConfiguration with one webhook per binding.
pub fn mutating_configuration(
    registration: &AdmissionRegistration,
    bindings: &[AdmissionBinding],
) -> MutatingWebhookConfiguration {
    MutatingWebhookConfiguration {
        metadata: registration.metadata(),
        webhooks: Some(
            bindings
                .iter()
                .map(|b| MutatingWebhook {
                    name: b.name.clone(),
                    admission_review_versions: vec!["v1".to_owned(), "v1beta1".to_owned()],
                    client_config: registration.client_config(b),
                    failure_policy: Some(b.failure_policy.as_str().to_owned()),
                    match_conditions: match_conditions(b),
                    match_policy: Some("Equivalent".to_owned()),
                    namespace_selector: b.namespace_selector.as_ref().map(selector),
                    object_selector: b.object_selector.as_ref().map(selector),
                    reinvocation_policy: None,
                    rules: Some(b.rules.iter().map(rule).collect()),
                    side_effects: b.side_effects.as_str().to_owned(),
                    timeout_seconds: timeout(b),
                })
                .collect(),
        ),
    }
}

async fn create_or_update<K>(api: &Api<K>, mut object: K) -> Result<(), WebhookError>
where
    K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let kube_err = |action: &str, source| WebhookError::Kube {
        action: format!("{action} {name}"),
        source,
    };
    match api.get_opt(&name).await.map_err(|e| kube_err("get", e))? {
        Some(existing) => {
            object.meta_mut().resource_version = existing.meta().resource_version.clone();
            api.replace(&name, &PostParams::default(), &object)
                .await
                .map_err(|e| kube_err("update", e))?;
        }
        None => {
            api.create(&PostParams::default(), &object)
                .await
                .map_err(|e| kube_err("create", e))?;
        }
    }
    Ok(())
}

/// Creates or updates the configurations; a kind with no bindings is left alone.
pub async fn register_admission(
    client: &Client,
    registration: &AdmissionRegistration,
    validating: &[AdmissionBinding],
    mutating: &[AdmissionBinding],
) -> Result<(), WebhookError> {
    if !validating.is_empty() {
        let api: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
        create_or_update(&api, validating_configuration(registration, validating)).await?;
    }
    if !mutating.is_empty() {
        let api: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
        create_or_update(&api, mutating_configuration(registration, mutating)).await?;
    }
    Ok(())
}

/// Where conversion webhooks point.
#[derive(Debug, Clone)]
pub struct ConversionRegistration {
    /// `service.namespace` (`--namespace`).
    pub namespace: String,
    /// `service.name` (`--conversion-webhook-service-name`).
    pub service_name: String,
    /// `service.port`; `None` leaves the API default (443).
    pub service_port: Option<i32>,
    /// `caBundle`: the CA file content (may be empty with cert-manager injection).
    pub ca_bundle: Vec<u8>,
    /// First delay between attempts while a CRD is missing (doubles up to `max_retry_delay`).
    pub retry_delay: Duration,
    /// Longest delay between attempts.
    pub max_retry_delay: Duration,
}

impl ConversionRegistration {
    /// Upstream defaults for a namespace.
    pub fn with_defaults(namespace: impl Into<String>) -> ConversionRegistration {
        ConversionRegistration {
            namespace: namespace.into(),
            service_name: "shell-operator-conversion-svc".to_owned(),
            service_port: None,
            ca_bundle: Vec::new(),
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(30),
        }
    }

    /// The merge patch setting `spec.conversion` of `crd_name`.
    pub fn conversion_patch(&self, crd_name: &str) -> serde_json::Value {
        let mut service = json!({
            "namespace": self.namespace,
            "name": self.service_name,
            "path": format!("/{crd_name}"),
        });
        if let Some(port) = self.service_port {
            service["port"] = json!(port);
        }
        let mut client_config = json!({ "service": service });
        if !self.ca_bundle.is_empty() {
            use base64::Engine as _;
            client_config["caBundle"] =
                json!(base64::engine::general_purpose::STANDARD.encode(&self.ca_bundle));
        }
        json!({
            "spec": {
                "conversion": {
                    "strategy": "Webhook",
                    "webhook": {
                        "clientConfig": client_config,
                        "conversionReviewVersions": ["v1", "v1beta1"],
                    }
                }
            }
        })
    }
}

/// Patches one CRD, retrying with backoff while it is missing or the call fails, until done or
/// cancelled. Returns true when the patch was applied.
pub async fn patch_crd_conversion(
    client: &Client,
    registration: &ConversionRegistration,
    crd_name: &str,
    cancel: &CancellationToken,
) -> bool {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let patch = registration.conversion_patch(crd_name);
    let mut delay = registration.retry_delay;
    loop {
        match api
            .patch(crd_name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                tracing::info!(crd = crd_name, "conversion webhook registered");
                return true;
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                tracing::info!(
                    crd = crd_name,
                    "CRD not found yet, will retry conversion registration"
                );
            }
            Err(err) => {
                tracing::warn!(crd = crd_name, error = %error_report::Report(&err), "conversion registration failed, will retry");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return false,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(registration.max_retry_delay);
    }
}

/// Registers the conversion webhook of every CRD in background tasks owned by `tracker`, so
/// the rest of startup does not wait for CRDs that appear later.
pub fn spawn_crd_conversion(
    client: &Client,
    registration: &ConversionRegistration,
    crd_names: impl IntoIterator<Item = String>,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) {
    for crd_name in crd_names {
        let client = client.clone();
        let registration = registration.clone();
        let cancel = cancel.clone();
        tracker.spawn(async move {
            patch_crd_conversion(&client, &registration, &crd_name, &cancel).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use hook_config::{FailurePolicy, SideEffects};
    use serde_json::Value;

    use super::*;

    fn binding(name: &str) -> AdmissionBinding {
        AdmissionBinding {
            name: name.to_owned(),
            group: None,
            include_snapshots_from: Vec::new(),
            rules: vec![WebhookRule {
                api_groups: vec!["stable.example.com".to_owned()],
                api_versions: vec!["v1".to_owned()],
                resources: vec!["crontabs".to_owned()],
                operations: vec!["CREATE".to_owned()],
                scope: None,
            }],
            failure_policy: FailurePolicy::Fail,
            side_effects: SideEffects::None,
            timeout_seconds: 10,
            match_conditions: Vec::new(),
            object_selector: Some(LabelSelector {
                match_labels: BTreeMap::from([("app".to_owned(), "x".to_owned())]),
                match_expressions: Vec::new(),
            }),
            namespace_selector: None,
        }
    }

    #[test]
    fn validating_configuration_has_upstream_shape() {
        let mut registration = AdmissionRegistration::with_defaults("ns");
        registration.ca_bundle = b"CA".to_vec();
        let config =
            validating_configuration(&registration, &[binding("private-repo-policy.example.com")]);
        let value = serde_json::to_value(&config).unwrap_or(Value::Null);
        assert_eq!(value["metadata"]["name"], json!("shell-operator-hooks"));
        let webhook = &value["webhooks"][0];
        assert_eq!(webhook["matchPolicy"], json!("Equivalent"));
        assert_eq!(webhook["admissionReviewVersions"], json!(["v1", "v1beta1"]));
        assert_eq!(webhook["failurePolicy"], json!("Fail"));
        assert_eq!(webhook["sideEffects"], json!("None"));
        assert_eq!(webhook["timeoutSeconds"], json!(10));
        assert_eq!(
            webhook["objectSelector"],
            json!({"matchLabels":{"app":"x"}})
        );
        assert_eq!(
            webhook["clientConfig"],
            json!({"caBundle":"Q0E=","service":{"namespace":"ns","name":"shell-operator-validating-svc",
                   "path":"/hooks/private-repo-policy-example-com"}})
        );
    }

    #[test]
    fn annotations_are_set_for_cert_manager_injection() {
        let mut registration = AdmissionRegistration::with_defaults("ns");
        registration.annotations.insert(
            "cert-manager.io/inject-ca-from".to_owned(),
            "ns/webhook-cert".to_owned(),
        );
        let config = mutating_configuration(&registration, &[binding("m")]);
        let annotations = config.metadata.annotations.unwrap_or_default();
        assert_eq!(
            annotations
                .get("cert-manager.io/inject-ca-from")
                .map(String::as_str),
            Some("ns/webhook-cert")
        );
        assert!(
            config.webhooks.unwrap_or_default()[0]
                .client_config
                .ca_bundle
                .is_none()
        );
    }

    #[test]
    fn conversion_patch_points_at_the_crd_path() {
        let mut registration = ConversionRegistration::with_defaults("ns");
        registration.ca_bundle = b"CA".to_vec();
        let patch = registration.conversion_patch("crontabs.stable.example.com");
        assert_eq!(
            patch,
            json!({"spec":{"conversion":{"strategy":"Webhook","webhook":{
                "clientConfig":{"service":{"namespace":"ns","name":"shell-operator-conversion-svc",
                    "path":"/crontabs.stable.example.com"},"caBundle":"Q0E="},
                "conversionReviewVersions":["v1","v1beta1"]}}}})
        );
    }
}
