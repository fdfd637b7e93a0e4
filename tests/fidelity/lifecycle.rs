//! Finalizers, namespace termination and owner-reference garbage collection.

use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Api, Client};
use serde_json::json;

use crate::common::{api_error, api_status, configmap, create_cm, plain_cluster};

/// Polls until `check` holds; the controller runs in the background.
async fn eventually<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition never held");
}

async fn exists(client: &Client, ns: &str, name: &str) -> bool {
    Api::<ConfigMap>::namespaced(client.clone(), ns)
        .get_opt(name)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn finalizers_hold_an_object_until_cleared() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut cm = configmap("a", json!({}));
    cm.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &cm).await.unwrap();
    let pending = api.delete("a", &DeleteParams::default()).await.unwrap();
    let held = pending
        .left()
        .expect("object returned while finalizers remain");
    assert!(held.metadata.deletion_timestamp.is_some());
    let still = api.get("a").await.unwrap();
    assert!(still.metadata.deletion_timestamp.is_some());
    let patch = json!({ "metadata": { "finalizers": ["example.com/hold", "example.com/new"] } });
    let err = api
        .patch("a", &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap_err();
    assert_eq!(api_error(err).0, 422, "no new finalizers while deleting");
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({ "metadata": { "finalizers": null } })),
    )
    .await
    .unwrap();
    assert!(!exists(&client, "default", "a").await);
}

#[tokio::test]
async fn terminating_namespaces_refuse_content_then_disappear() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({ "metadata": { "name": "doomed" } })).unwrap();
    let created = namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    assert_eq!(created.status.unwrap().phase.as_deref(), Some("Active"));
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    let mut held = configmap("held", json!({}));
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &held).await.unwrap();
    create_cm(&client, "doomed", "plain", json!({})).await;
    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    let terminating = namespaces.get("doomed").await.unwrap();
    assert_eq!(
        terminating.status.unwrap().phase.as_deref(),
        Some("Terminating")
    );
    let status = api_status(
        api.create(&PostParams::default(), &configmap("new", json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    assert!(status.message.contains("because it is being terminated"));
    eventually(|| async { !exists(&client, "doomed", "plain").await }).await;
    assert!(
        namespaces.get_opt("doomed").await.unwrap().is_some(),
        "held content keeps the namespace"
    );
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({ "metadata": { "finalizers": null } })),
    )
    .await
    .unwrap();
    eventually(|| async { namespaces.get_opt("doomed").await.unwrap().is_none() }).await;
}

#[tokio::test]
async fn system_namespaces_cannot_be_deleted() {
    let c = plain_cluster().await;
    let namespaces: Api<Namespace> = Api::all(c.client().unwrap());
    let err = namespaces
        .delete("default", &DeleteParams::default())
        .await
        .unwrap_err();
    assert_eq!(api_error(err).0, 403);
}

async fn owner_and_child(client: &Client) -> ConfigMap {
    let owner = create_cm(client, "default", "owner", json!({})).await;
    let mut child = configmap("child", json!({}));
    child.metadata.owner_references = Some(vec![
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
            "uid": owner.metadata.uid.clone().unwrap(), "blockOwnerDeletion": true,
        }))
        .unwrap(),
    ]);
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &child)
        .await
        .unwrap();
    owner
}

#[tokio::test]
async fn background_propagation_collects_dependents() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    owner_and_child(&client).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    api.delete("owner", &DeleteParams::background())
        .await
        .unwrap();
    eventually(|| async { !exists(&client, "default", "child").await }).await;
}

#[tokio::test]
async fn orphan_propagation_keeps_dependents() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    owner_and_child(&client).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    api.delete("owner", &DeleteParams::orphan()).await.unwrap();
    eventually(|| async { !exists(&client, "default", "owner").await }).await;
    let child = api.get("child").await.unwrap();
    assert!(
        child
            .metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn foreground_propagation_deletes_dependents_first() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    owner_and_child(&client).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let dp = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Foreground),
        ..DeleteParams::default()
    };
    let pending = api.delete("owner", &dp).await.unwrap().left().unwrap();
    assert!(
        pending
            .metadata
            .finalizers
            .unwrap()
            .contains(&"foregroundDeletion".to_owned())
    );
    eventually(|| async { !exists(&client, "default", "owner").await }).await;
    assert!(!exists(&client, "default", "child").await);
}

#[tokio::test]
async fn delete_collection_honours_label_selectors() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "a", json!({ "x": "1" })).await;
    create_cm(&client, "default", "b", json!({ "x": "2" })).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let lp = kube::api::ListParams::default().labels("x=1");
    api.delete_collection(&DeleteParams::default(), &lp)
        .await
        .unwrap();
    assert!(!exists(&client, "default", "a").await);
    assert!(exists(&client, "default", "b").await);
}
