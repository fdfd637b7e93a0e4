//! CRD conversion webhooks: objects read, written, listed and watched at a non-storage version.

use futures::StreamExt as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{
    ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use serde_json::{Value, json};

use crate::common::{api_status, cluster};
use crate::webhooks::{Answer, SERVICE_NAME, SERVICE_NAMESPACE, WebhookServer};

fn crd(conversion: Value) -> CustomResourceDefinition {
    let schema = json!({ "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } });
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "widgets.example.com" },
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "kind": "Widget", "plural": "widgets" },
            "versions": [
                { "name": "v1", "served": true, "storage": true, "schema": schema },
                { "name": "v2", "served": true, "storage": false, "schema": schema },
            ],
            "conversion": conversion,
        }
    }))
    .unwrap()
}

fn widgets(client: &kube::Client, version: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("example.com", version, "Widget");
    Api::namespaced_with(
        client.clone(),
        "default",
        &ApiResource::from_gvk_with_plural(&gvk, "widgets"),
    )
}

fn widget(version: &str, name: &str, spec: Value, labels: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": format!("example.com/{version}"), "kind": "Widget",
        "metadata": { "name": name, "labels": labels }, "spec": spec,
    }))
    .unwrap()
}

/// v1 has `spec.host` and `spec.port`; v2 has `spec.address: "host:port"`.
fn convert(obj: &Value, desired: &str) -> Value {
    let mut out = obj.clone();
    let spec = &obj["spec"];
    out["spec"] = if desired.ends_with("/v2") {
        json!({ "address": format!("{}:{}", spec["host"].as_str().unwrap_or_default(), spec["port"]) })
    } else {
        let address = spec["address"].as_str().unwrap_or_default();
        let (host, port) = address.split_once(':').unwrap_or((address, "0"));
        json!({ "host": host, "port": port.parse::<u64>().unwrap_or(0) })
    };
    out["apiVersion"] = json!(desired);
    out
}

fn converter(path: &str, review: &Value) -> Answer {
    let req = &review["request"];
    if path == "/validate" {
        return crate::webhooks::allow(review);
    }
    let desired = req["desiredAPIVersion"].as_str().unwrap();
    let objects = req["objects"].as_array().unwrap();
    let labelled = |l: &str| {
        objects
            .iter()
            .any(|o| o["metadata"]["labels"][l].is_string())
    };
    let (result, converted) = if labelled("fail") {
        (
            json!({ "status": "Failure", "message": "cannot convert this one" }),
            json!([]),
        )
    } else if labelled("drop") {
        (json!({ "status": "Success" }), json!([]))
    } else {
        let converted: Vec<Value> = objects.iter().map(|o| convert(o, desired)).collect();
        (json!({ "status": "Success" }), json!(converted))
    };
    Answer::Json(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
        "response": { "uid": req["uid"], "result": result, "convertedObjects": converted },
    }))
}

async fn setup() -> (
    embedded_apiserver::EmbeddedCluster,
    WebhookServer,
    kube::Client,
) {
    let c = cluster().await;
    let hooks = WebhookServer::start(converter).await;
    c.register_service(SERVICE_NAMESPACE, SERVICE_NAME, hooks.addr);
    let client = c.client().unwrap();
    let conversion = json!({
        "strategy": "Webhook",
        "webhook": { "conversionReviewVersions": ["v1"], "clientConfig": hooks.service_config("/convert") },
    });
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &crd(conversion))
        .await
        .unwrap();
    (c, hooks, client)
}

#[tokio::test]
async fn objects_convert_through_the_webhook_on_write_read_list_and_watch() {
    let (_c, hooks, client) = setup().await;
    let (v1, v2) = (widgets(&client, "v1"), widgets(&client, "v2"));
    let created = v2
        .create(
            &PostParams::default(),
            &widget("v2", "a", json!({ "address": "db:5432" }), json!({})),
        )
        .await
        .unwrap();
    assert_eq!(created.types.unwrap().api_version, "example.com/v2");
    assert_eq!(created.data["spec"], json!({ "address": "db:5432" }));
    let requests: Vec<String> = hooks
        .reviews("/convert")
        .iter()
        .map(|r| {
            r["request"]["desiredAPIVersion"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        requests,
        vec!["example.com/v1", "example.com/v2"],
        "stored at v1, answered at v2"
    );

    let stored = v1.get("a").await.unwrap();
    assert_eq!(stored.data["spec"], json!({ "host": "db", "port": 5432 }));
    assert_eq!(stored.metadata.uid, created.metadata.uid);
    assert_eq!(
        v2.get("a").await.unwrap().data["spec"]["address"],
        "db:5432"
    );

    for name in ["b", "c"] {
        v1.create(
            &PostParams::default(),
            &widget("v1", name, json!({ "host": name, "port": 1 }), json!({})),
        )
        .await
        .unwrap();
    }
    let before = hooks.reviews("/convert").len();
    let listed = v2.list(&ListParams::default()).await.unwrap();
    let addresses: Vec<&str> = listed
        .items
        .iter()
        .map(|o| o.data["spec"]["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, vec!["db:5432", "b:1", "c:1"]);
    let reviews = hooks.reviews("/convert");
    assert_eq!(
        reviews.len(),
        before + 1,
        "one call converts the whole page"
    );
    assert_eq!(
        reviews[before]["request"]["objects"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    v2.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(json!({ "spec": { "address": "cache:6379" } })),
    )
    .await
    .unwrap();
    assert_eq!(
        v1.get("b").await.unwrap().data["spec"],
        json!({ "host": "cache", "port": 6379 })
    );

    let mut events = v2
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match events.next().await.unwrap().unwrap() {
            WatchEvent::Added(o) => {
                seen.push(o.data["spec"]["address"].as_str().unwrap().to_owned())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, vec!["db:5432", "cache:6379", "c:1"]);
}

#[tokio::test]
async fn conversion_failures_are_reported_as_the_real_server_does() {
    let (_c, _hooks, client) = setup().await;
    let (v1, v2) = (widgets(&client, "v1"), widgets(&client, "v2"));
    for (name, label) in [("failing", "fail"), ("dropped", "drop")] {
        v1.create(
            &PostParams::default(),
            &widget(
                "v1",
                name,
                json!({ "host": "h", "port": 1 }),
                json!({ label: "yes" }),
            ),
        )
        .await
        .unwrap();
    }
    let status = api_status(v2.get("failing").await.unwrap_err());
    assert_eq!((status.code, status.reason.as_str()), (500, ""));
    assert_eq!(
        status.message,
        "conversion webhook for example.com/v1, Kind=Widget failed: cannot convert this one"
    );
    let status = api_status(v2.get("dropped").await.unwrap_err());
    assert_eq!(
        status.message,
        "conversion webhook for example.com/v1, Kind=Widget returned 0 objects, expected 1"
    );
    let status = api_status(v2.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(status.code, 500);
    // The storage version needs no conversion and keeps working.
    assert_eq!(
        v1.list(&ListParams::default()).await.unwrap().items.len(),
        2
    );
}

#[tokio::test]
async fn a_down_conversion_webhook_fails_reads_at_other_versions() {
    let c = cluster().await;
    let client = c.client().unwrap();
    let conversion = json!({
        "strategy": "Webhook",
        "webhook": {
            "conversionReviewVersions": ["v1"],
            "clientConfig": { "service": { "namespace": "webhooks", "name": "gone", "path": "/convert" } },
        },
    });
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &crd(conversion))
        .await
        .unwrap();
    let v1 = widgets(&client, "v1");
    v1.create(
        &PostParams::default(),
        &widget("v1", "a", json!({}), json!({})),
    )
    .await
    .unwrap();
    let status = api_status(widgets(&client, "v2").get("a").await.unwrap_err());
    assert_eq!(
        status.message,
        "conversion webhook for example.com/v1, Kind=Widget failed: Post \"https://gone.webhooks.svc:443/convert?timeout=30s\": service \"gone\" not found"
    );
}

#[tokio::test]
async fn crds_with_incomplete_webhook_conversion_are_invalid() {
    let c = cluster().await;
    let client = c.client().unwrap();
    let status = api_status(
        Api::<CustomResourceDefinition>::all(client)
            .create(
                &PostParams::default(),
                &crd(json!({ "strategy": "Webhook" })),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 422);
    assert_eq!(
        status.message,
        "CustomResourceDefinition.apiextensions.k8s.io \"widgets.example.com\" is invalid: spec.conversion.webhook: Required value: required when strategy is set to Webhook"
    );
}

#[tokio::test]
async fn equivalent_match_policy_sends_the_object_at_the_version_the_rule_names() {
    let (_c, hooks, client) = setup().await;
    let rule = json!([{ "operations": ["CREATE"], "apiGroups": ["example.com"], "apiVersions": ["v1"], "resources": ["widgets"] }]);
    let equivalent = crate::webhooks::webhook(
        "eq.example.com",
        hooks.service_config("/validate"),
        rule.clone(),
    );
    let mut exact =
        crate::webhooks::webhook("exact.example.com", hooks.service_config("/validate"), rule);
    exact["matchPolicy"] = json!("Exact");
    crate::webhooks::configure(&client, "Validating", "widgets", json!([equivalent, exact])).await;
    widgets(&client, "v2")
        .create(
            &PostParams::default(),
            &widget("v2", "a", json!({ "address": "db:1" }), json!({})),
        )
        .await
        .unwrap();
    let reviews = hooks.reviews("/validate");
    assert_eq!(reviews.len(), 1, "the Exact webhook is not called");
    let req = &reviews[0]["request"];
    assert_eq!(
        req["kind"],
        json!({ "group": "example.com", "version": "v1", "kind": "Widget" })
    );
    assert_eq!(req["requestKind"]["version"], "v2");
    assert_eq!(req["resource"]["version"], "v1");
    assert_eq!(req["requestResource"]["version"], "v2");
    assert_eq!(req["object"]["apiVersion"], "example.com/v1");
    assert_eq!(req["object"]["spec"], json!({ "host": "db", "port": 1 }));
}
