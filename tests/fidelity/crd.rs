//! CustomResourceDefinitions: establishment, discovery, serving, subresources, deletion.

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use serde_json::json;

use crate::common::{api_error, api_status, plain_cluster};

fn widget_crd(scope: &str) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "widgets.example.com" },
        "spec": {
            "group": "example.com",
            "scope": scope,
            "names": { "kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"] },
            "versions": [
                { "name": "v1", "served": true, "storage": true,
                  "subresources": { "status": {}, "scale": { "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas" } },
                  "schema": { "openAPIV3Schema": { "type": "object", "properties": {
                      "spec": { "type": "object", "properties": { "replicas": { "type": "integer" }, "color": { "type": "string" } } },
                      "status": { "type": "object", "properties": { "replicas": { "type": "integer" } } } } } } },
                { "name": "v1beta1", "served": true, "storage": false,
                  "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } } }
            ]
        }
    }))
    .unwrap()
}

fn widgets(client: kube::Client, version: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", version, "Widget"),
        "widgets",
    );
    Api::namespaced_with(client, "default", &ar)
}

fn widget(name: &str, version: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": format!("example.com/{version}"), "kind": "Widget",
        "metadata": { "name": name }, "spec": { "replicas": 1, "color": "red" },
    }))
    .unwrap()
}

#[tokio::test]
async fn created_crds_are_established_and_discoverable() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let created = crds
        .create(&PostParams::default(), &widget_crd("Namespaced"))
        .await
        .unwrap();
    let conditions = created.status.unwrap().conditions.unwrap();
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True")
    );
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == "NamesAccepted" && c.status == "True")
    );
    let discovery = kube::Discovery::new(client).run().await.unwrap();
    let group = discovery.get("example.com").expect("group discovered");
    let versions: Vec<&str> = group.versions().collect();
    assert_eq!(versions, ["v1", "v1beta1"]);
}

#[tokio::test]
async fn custom_resources_are_served_in_every_version() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &widget_crd("Namespaced"))
        .await
        .unwrap();
    let v1 = widgets(client.clone(), "v1");
    let created = v1
        .create(&PostParams::default(), &widget("w", "v1"))
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let via_beta = widgets(client, "v1beta1").get("w").await.unwrap();
    assert_eq!(via_beta.types.unwrap().api_version, "example.com/v1beta1");
}

#[tokio::test]
async fn custom_resources_reject_strategic_merge_patch() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &widget_crd("Namespaced"))
        .await
        .unwrap();
    let api = widgets(client, "v1");
    api.create(&PostParams::default(), &widget("w", "v1"))
        .await
        .unwrap();
    let err = api
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Strategic(json!({ "spec": { "color": "blue" } })),
        )
        .await
        .unwrap_err();
    assert_eq!(api_error(err), (415, "UnsupportedMediaType".into()));
}

#[tokio::test]
async fn custom_resource_status_and_scale_subresources_work() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &widget_crd("Namespaced"))
        .await
        .unwrap();
    let api = widgets(client, "v1");
    let mut w = widget("w", "v1");
    w.data["status"] = json!({ "replicas": 7 });
    let created = api.create(&PostParams::default(), &w).await.unwrap();
    assert!(
        created.data.get("status").is_none(),
        "status is dropped on create"
    );
    let pp = PatchParams::default();
    let patched = api
        .patch_status(
            "w",
            &pp,
            &Patch::Merge(json!({ "status": { "replicas": 1 } })),
        )
        .await
        .unwrap();
    assert_eq!(patched.data["status"]["replicas"], 1);
    assert_eq!(patched.metadata.generation, Some(1));
    api.patch_scale(
        "w",
        &pp,
        &Patch::Merge(json!({ "spec": { "replicas": 3 } })),
    )
    .await
    .unwrap();
    let after = api.get("w").await.unwrap();
    assert_eq!(after.data["spec"]["replicas"], 3);
    assert_eq!(after.metadata.generation, Some(2));
}

#[tokio::test]
async fn invalid_crds_are_rejected_with_causes() {
    let c = plain_cluster().await;
    let crds: Api<CustomResourceDefinition> = Api::all(c.client().unwrap());
    let mut bad = widget_crd("Namespaced");
    bad.metadata.name = Some("wrong.example.com".into());
    let status = api_status(crds.create(&PostParams::default(), &bad).await.unwrap_err());
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    let causes = status.details.unwrap().causes;
    assert_eq!(causes[0].field, "metadata.name");
}

#[tokio::test]
async fn deleting_a_crd_removes_its_objects_and_stops_serving() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &widget_crd("Namespaced"))
        .await
        .unwrap();
    let api = widgets(client.clone(), "v1");
    api.create(&PostParams::default(), &widget("w", "v1"))
        .await
        .unwrap();
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    for _ in 0..200 {
        if crds.get_opt("widgets.example.com").await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(crds.get_opt("widgets.example.com").await.unwrap().is_none());
    assert_eq!(api_error(api.get("w").await.unwrap_err()).0, 404);
    crds.create(&PostParams::default(), &widget_crd("Namespaced"))
        .await
        .unwrap();
    assert_eq!(
        api_error(api.get("w").await.unwrap_err()).0,
        404,
        "objects do not come back with the CRD"
    );
}

#[tokio::test]
async fn cluster_scoped_custom_resources_have_no_namespace() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &widget_crd("Cluster"))
        .await
        .unwrap();
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    );
    let api: Api<DynamicObject> = Api::all_with(client, &ar);
    let created = api
        .create(&PostParams::default(), &widget("w", "v1"))
        .await
        .unwrap();
    assert!(created.metadata.namespace.is_none());
}

fn validated_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "gadgets.example.com" },
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "kind": "Gadget", "plural": "gadgets" },
            "versions": [{ "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "properties": {
                    "spec": { "type": "object", "required": ["size"], "properties": {
                        "size": { "type": "integer", "minimum": 1 },
                        "mode": { "type": "string", "enum": ["fast", "slow"], "default": "slow" },
                        "free": { "type": "object", "x-kubernetes-preserve-unknown-fields": true }
                    } } } } } }]
        }
    }))
    .unwrap()
}

fn gadgets(client: kube::Client) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Gadget"),
        "gadgets",
    );
    Api::namespaced_with(client, "default", &ar)
}

fn gadget(spec: serde_json::Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Gadget", "metadata": { "name": "g" }, "spec": spec,
    }))
    .unwrap()
}

#[tokio::test]
async fn schemas_default_and_prune_custom_resources() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &validated_crd())
        .await
        .unwrap();
    let created = gadgets(client)
        .create(
            &PostParams::default(),
            &gadget(json!({ "size": 2, "unknown": 1, "free": { "anything": true } })),
        )
        .await
        .unwrap();
    assert_eq!(created.data["spec"]["mode"], "slow", "defaulted");
    assert!(created.data["spec"].get("unknown").is_none(), "pruned");
    assert_eq!(created.data["spec"]["free"]["anything"], true, "preserved");
}

#[tokio::test]
async fn schema_violations_are_422_with_causes() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &validated_crd())
        .await
        .unwrap();
    let api = gadgets(client);
    let status = api_status(
        api.create(
            &PostParams::default(),
            &gadget(json!({ "size": 0, "mode": "warp" })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert!(
        status
            .message
            .starts_with("Gadget.example.com \"g\" is invalid"),
        "{}",
        status.message
    );
    let details = status.details.unwrap();
    let fields: Vec<&str> = details.causes.iter().map(|c| c.field.as_str()).collect();
    assert!(fields.contains(&"spec.size"), "{fields:?}");
    assert!(fields.contains(&"spec.mode"), "{fields:?}");
    let missing = api_status(
        api.create(&PostParams::default(), &gadget(json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        missing.details.unwrap().causes[0].reason,
        "FieldValueRequired"
    );
}
