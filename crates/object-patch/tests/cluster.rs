//! Integration tests of every operation against the embedded API server (reference scenario 27).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Client;
use kube::api::{Api, PostParams};
use object_patch::{ObjectPatcher, PatcherConfig, parse_operations};
use serde_json::json;

async fn setup() -> (EmbeddedCluster, Client, ObjectPatcher) {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::plain_http())
        .await
        .expect("cluster starts");
    let client = cluster.client().expect("client");
    let patcher = ObjectPatcher::new(
        client.clone(),
        PatcherConfig {
            delete_poll: Duration::from_millis(50),
            delete_timeout: Duration::from_secs(5),
            conflict_attempts: 5,
        },
    );
    (cluster, client, patcher)
}

async fn run(patcher: &ObjectPatcher, text: &str) -> Result<(), String> {
    let ops = parse_operations(text).map_err(|e| e.to_string())?;
    patcher.apply_all(&ops).await.map_err(|e| e.to_string())
}

async fn seed_cm(client: &Client, name: &str) {
    let cm: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": name, "namespace": "default"}, "data": {"x": "0"}}),
    )
    .unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
}

async fn data_x(client: &Client, name: &str) -> Option<String> {
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .get_opt(name)
        .await
        .unwrap()
        .map(|c| {
            c.data
                .unwrap_or_default()
                .get("x")
                .cloned()
                .unwrap_or_default()
        })
}

const CM: &str = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},"data":{"x":"new"}}"#;

#[tokio::test]
async fn create_fails_on_existing_objects_while_create_if_not_exists_and_create_or_update_succeed()
{
    let (_c, client, patcher) = setup().await;
    let create = format!(r#"{{"operation":"Create","object":{CM}}}"#);
    run(&patcher, &create).await.unwrap();
    assert_eq!(data_x(&client, "cm").await.as_deref(), Some("new"));
    let err = run(&patcher, &create).await.unwrap_err();
    assert!(
        err.starts_with("Create ConfigMap default/cm: create"),
        "{err}"
    );

    run(
        &patcher,
        &format!(r#"{{"operation":"CreateIfNotExists","object":{CM}}}"#),
    )
    .await
    .unwrap();

    let updated = CM.replace("\"new\"", "\"updated\"");
    run(
        &patcher,
        &format!(r#"{{"operation":"CreateOrUpdate","object":{updated}}}"#),
    )
    .await
    .unwrap();
    assert_eq!(data_x(&client, "cm").await.as_deref(), Some("updated"));
}

#[tokio::test]
async fn merge_patch_of_a_missing_object_fails_unless_ignored() {
    let (_c, client, patcher) = setup().await;
    let patch = r#"{"operation":"MergePatch","kind":"ConfigMap","namespace":"default","name":"cm","mergePatch":{"data":{"x":"m"}}}"#;
    assert!(run(&patcher, patch).await.is_err());
    let ignored = r#"{"operation":"MergePatch","kind":"ConfigMap","namespace":"default","name":"cm","ignoreMissingObject":true,"mergePatch":{"data":{"x":"m"}}}"#;
    run(&patcher, ignored).await.unwrap();
    seed_cm(&client, "cm").await;
    run(&patcher, patch).await.unwrap();
    assert_eq!(data_x(&client, "cm").await.as_deref(), Some("m"));
}

#[tokio::test]
async fn json_patch_and_jq_patch_update_the_object() {
    let (_c, client, patcher) = setup().await;
    seed_cm(&client, "cm").await;
    run(
        &patcher,
        r#"{"operation":"JSONPatch","kind":"ConfigMap","namespace":"default","name":"cm","jsonPatch":[{"op":"replace","path":"/data/x","value":"j"}]}"#,
    )
    .await
    .unwrap();
    assert_eq!(data_x(&client, "cm").await.as_deref(), Some("j"));
    run(
        &patcher,
        r#"{"operation":"JQPatch","kind":"ConfigMap","namespace":"default","name":"cm","jqFilter":".data.x = \"y\""}"#,
    )
    .await
    .unwrap();
    assert_eq!(data_x(&client, "cm").await.as_deref(), Some("y"));
    // An unchanged result does not write (the resourceVersion stays).
    let api = Api::<ConfigMap>::namespaced(client.clone(), "default");
    let before = api.get("cm").await.unwrap().metadata.resource_version;
    run(
        &patcher,
        r#"{"operation":"JQPatch","kind":"ConfigMap","namespace":"default","name":"cm","jqFilter":".data.x = \"y\""}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        api.get("cm").await.unwrap().metadata.resource_version,
        before
    );
    // Missing objects: an error, or nothing with ignoreMissingObject.
    assert!(run(&patcher, r#"{"operation":"JQPatch","kind":"ConfigMap","namespace":"default","name":"nope","jqFilter":"."}"#).await.is_err());
    run(
        &patcher,
        r#"{"operation":"JQPatch","kind":"ConfigMap","namespace":"default","name":"nope","jqFilter":".","ignoreMissingObject":true}"#,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn every_delete_flavour_removes_the_object_and_missing_objects_are_fine() {
    let (_c, client, patcher) = setup().await;
    for (op, name) in [
        ("Delete", "a"),
        ("DeleteInBackground", "b"),
        ("DeleteNonCascading", "c"),
    ] {
        seed_cm(&client, name).await;
        run(
            &patcher,
            &format!(r#"{{"operation":"{op}","kind":"cm","namespace":"default","name":"{name}"}}"#),
        )
        .await
        .unwrap();
        if op == "Delete" {
            assert_eq!(
                data_x(&client, name).await,
                None,
                "foreground delete waits until gone"
            );
        }
        // Deleting what is already gone succeeds.
        run(
            &patcher,
            &format!(r#"{{"operation":"{op}","kind":"cm","namespace":"default","name":"{name}"}}"#),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn subresource_patches_go_to_the_subresource() {
    let (_c, client, patcher) = setup().await;
    let deploy: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    }))
    .unwrap();
    let api = Api::<Deployment>::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &deploy).await.unwrap();
    run(
        &patcher,
        "operation: MergePatch\nkind: Deployment\nnamespace: default\nname: web\nsubresource: status\nmergePatch: |\n  status:\n    observedGeneration: 7\n",
    )
    .await
    .unwrap();
    let got = api.get("web").await.unwrap();
    assert_eq!(got.status.and_then(|s| s.observed_generation), Some(7));
    assert_eq!(got.spec.and_then(|s| s.replicas), Some(1));
}

#[tokio::test]
async fn a_yaml_stream_runs_all_operations_and_an_unknown_key_runs_none() {
    let (_c, client, patcher) = setup().await;
    let three = "operation: Create\nobject:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: default}\n  data: {x: \"1\"}\n---\noperation: Create\nobject: '{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"namespace\":\"default\"}}'\n---\noperation: MergePatch\nkind: ConfigMap\nnamespace: default\nname: a\nmergePatch:\n  data: {x: \"2\"}\n";
    run(&patcher, three).await.unwrap();
    assert_eq!(data_x(&client, "a").await.as_deref(), Some("2"));
    assert!(data_x(&client, "b").await.is_some());

    let bad = "operation: Create\nobject: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: default}}\n---\noperation: Delete\nkind: ConfigMap\nnamespace: default\nname: a\nfoo: 1\n";
    let err = run(&patcher, bad).await.unwrap_err();
    assert!(err.contains("document 1") && err.contains("foo"), "{err}");
    assert_eq!(data_x(&client, "c").await, None, "nothing ran");
    assert!(data_x(&client, "a").await.is_some(), "nothing ran");
}

#[tokio::test]
async fn failures_are_collected_while_the_other_operations_still_run() {
    let (_c, client, patcher) = setup().await;
    let missing = r#"{"operation":"MergePatch","kind":"ConfigMap","namespace":"default","name":"missing","mergePatch":{"data":{"x":"1"}}}"#;
    let unknown_kind = r#"{"operation":"JSONPatch","kind":"NoSuchKind","namespace":"default","name":"x","jsonPatch":[{"op":"add","path":"/a","value":1}]}"#;
    let text = format!("{missing}\n{{\"operation\":\"Create\",\"object\":{CM}}}\n{unknown_kind}");
    let ops = parse_operations(&text).unwrap();
    let errors = patcher.apply_all(&ops).await.unwrap_err();
    assert_eq!(errors.0.len(), 2);
    assert_eq!(data_x(&client, "cm").await.as_deref(), Some("new"));
}
