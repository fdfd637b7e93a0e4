//! Registration against the embedded API server: webhook configurations created then updated,
//! and a CRD conversion patched once the CRD appears.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail loudly"
)]

use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use hook_config::{AdmissionBinding, FailurePolicy, SideEffects, WebhookRule};
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use webhook_server::{
    AdmissionRegistration, ConversionRegistration, register_admission, spawn_crd_conversion,
};

fn binding(name: &str, timeout_seconds: i64) -> AdmissionBinding {
    AdmissionBinding {
        name: name.to_owned(),
        group: None,
        include_snapshots_from: Vec::new(),
        rules: vec![WebhookRule {
            api_groups: vec![String::new()],
            api_versions: vec!["v1".to_owned()],
            resources: vec!["configmaps".to_owned()],
            operations: vec!["CREATE".to_owned()],
            scope: None,
        }],
        failure_policy: FailurePolicy::Ignore,
        side_effects: SideEffects::None,
        timeout_seconds,
        match_conditions: Vec::new(),
        object_selector: None,
        namespace_selector: None,
    }
}

#[tokio::test]
async fn validating_configuration_is_created_then_updated() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    let mut registration = AdmissionRegistration::with_defaults("ops");
    registration.ca_bundle = b"first-ca".to_vec();

    register_admission(&client, &registration, &[binding("a.example.com", 10)], &[])
        .await
        .unwrap();
    registration.ca_bundle = b"second-ca".to_vec();
    register_admission(
        &client,
        &registration,
        &[binding("a.example.com", 5), binding("b.example.com", 10)],
        &[],
    )
    .await
    .unwrap();

    let api: Api<ValidatingWebhookConfiguration> = Api::all(client);
    let stored = api.get("shell-operator-hooks").await.unwrap();
    let webhooks = stored.webhooks.unwrap_or_default();
    assert_eq!(webhooks.len(), 2);
    assert_eq!(webhooks[0].timeout_seconds, Some(5));
    assert_eq!(webhooks[0].failure_policy.as_deref(), Some("Ignore"));
    assert_eq!(
        webhooks[0]
            .client_config
            .ca_bundle
            .as_ref()
            .map(|b| b.0.clone()),
        Some(b"second-ca".to_vec())
    );
    let service = webhooks[1].client_config.service.clone().unwrap();
    assert_eq!(service.path.as_deref(), Some("/hooks/b-example-com"));
    assert_eq!(service.namespace, "ops");
    cluster.shutdown().await;
}

fn crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {
            "group": "stable.example.com",
            "scope": "Namespaced",
            "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab"},
            "versions": [
                {"name": "v1", "served": true, "storage": true,
                 "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                {"name": "v2", "served": true, "storage": false,
                 "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
            ]
        }
    }))
    .unwrap()
}

#[tokio::test]
async fn conversion_is_registered_once_the_crd_appears() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    let mut registration = ConversionRegistration::with_defaults("ops");
    registration.retry_delay = Duration::from_millis(20);
    registration.max_retry_delay = Duration::from_millis(100);
    let tracker = TaskTracker::new();
    let cancel = CancellationToken::new();
    spawn_crd_conversion(
        &client,
        &registration,
        ["crontabs.stable.example.com".to_owned()],
        &tracker,
        &cancel,
    );
    tokio::time::sleep(Duration::from_millis(100)).await;

    let api: Api<CustomResourceDefinition> = Api::all(client);
    api.create(&PostParams::default(), &crd()).await.unwrap();
    tracker.close();
    tokio::time::timeout(Duration::from_secs(10), tracker.wait())
        .await
        .expect("the registration task finishes once the CRD exists");

    let stored = api.get("crontabs.stable.example.com").await.unwrap();
    let conversion = serde_json::to_value(stored.spec.conversion).unwrap();
    assert_eq!(conversion["strategy"], json!("Webhook"));
    assert_eq!(
        conversion["webhook"]["clientConfig"]["service"]["path"],
        json!("/crontabs.stable.example.com")
    );
    assert_eq!(
        conversion["webhook"]["conversionReviewVersions"],
        json!(["v1", "v1beta1"])
    );
    cluster.shutdown().await;
}
