//! Lists with selectors and paging, discovery.

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::{Value, json};

use crate::common::{api_error, create_cm, plain_cluster, raw};

async fn names(api: &Api<ConfigMap>, lp: &ListParams) -> Vec<String> {
    let mut out: Vec<String> = api
        .list(lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|cm| cm.metadata.name.unwrap())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn label_selectors_filter_lists() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(
        &client,
        "default",
        "a",
        json!({ "app": "web", "tier": "fe" }),
    )
    .await;
    create_cm(&client, "default", "b", json!({ "app": "db" })).await;
    create_cm(&client, "default", "c", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let sel = |s: &str| ListParams::default().labels(s);
    assert_eq!(names(&api, &sel("app=web")).await, ["a"]);
    assert_eq!(names(&api, &sel("app!=web")).await, ["b", "c"]);
    assert_eq!(names(&api, &sel("app in (web,db)")).await, ["a", "b"]);
    assert_eq!(names(&api, &sel("app notin (web)")).await, ["b", "c"]);
    assert_eq!(names(&api, &sel("app")).await, ["a", "b"]);
    assert_eq!(names(&api, &sel("!app")).await, ["c"]);
    assert_eq!(names(&api, &sel("app==web,tier=fe")).await, ["a"]);
    assert_eq!(
        api_error(api.list(&sel("app in web")).await.unwrap_err()).0,
        400
    );
}

#[tokio::test]
async fn field_selectors_filter_by_name_namespace_and_pod_fields() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "a", json!({})).await;
    create_cm(&client, "kube-system", "b", json!({})).await;
    let all: Api<ConfigMap> = Api::all(client.clone());
    assert_eq!(names(&all, &ListParams::default()).await, ["a", "b"]);
    assert_eq!(
        names(
            &all,
            &ListParams::default().fields("metadata.namespace=kube-system")
        )
        .await,
        ["b"]
    );
    assert_eq!(
        names(&all, &ListParams::default().fields("metadata.name!=b")).await,
        ["a"]
    );
    let pods: Api<Pod> = Api::namespaced(client, "default");
    for (name, node) in [("p1", "n1"), ("p2", "n2")] {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": name },
            "spec": { "nodeName": node, "containers": [{ "name": "c", "image": "i" }] },
        }))
        .unwrap();
        pods.create(&PostParams::default(), &pod).await.unwrap();
    }
    let on_n2 = pods
        .list(&ListParams::default().fields("spec.nodeName=n2"))
        .await
        .unwrap();
    assert_eq!(on_n2.items.len(), 1);
    let pending = pods
        .list(&ListParams::default().fields("status.phase=Pending"))
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 2, "new pods are Pending");
}

#[tokio::test]
async fn limit_and_continue_page_through_a_list() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    for i in 0..5 {
        create_cm(&client, "default", &format!("cm-{i}"), json!({})).await;
    }
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let first = api.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.metadata.remaining_item_count, Some(3));
    let token = first.metadata.continue_.clone().unwrap();
    let second = api
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 2);
    assert_eq!(
        second.metadata.resource_version,
        first.metadata.resource_version
    );
    let token = second.metadata.continue_.clone().unwrap();
    let third = api
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(
        third
            .metadata
            .continue_
            .as_deref()
            .is_none_or(str::is_empty)
    );
    let mut all: Vec<String> = [first, second, third]
        .into_iter()
        .flat_map(|l| l.items)
        .map(|cm| cm.metadata.name.unwrap())
        .collect();
    all.dedup();
    assert_eq!(all.len(), 5);
}

#[tokio::test]
async fn list_resource_version_is_the_latest_write() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let cm = create_cm(&client, "default", "a", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let list = api.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.metadata.resource_version, cm.metadata.resource_version);
}

#[tokio::test]
async fn discovery_documents_describe_built_in_resources() {
    let c = plain_cluster().await;
    let (code, version) = raw(&c, "GET", "/version", "", b"").await;
    assert_eq!((code, version["major"].as_str()), (200, Some("1")));
    let (_, apis) = raw(&c, "GET", "/apis", "", b"").await;
    assert!(
        apis["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "coordination.k8s.io")
    );
    let (_, core) = raw(&c, "GET", "/api/v1", "", b"").await;
    let pods = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods")
        .unwrap();
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["shortNames"], json!(["po"]));
    let client = c.client().unwrap();
    let discovery = kube::Discovery::new(client).run().await.unwrap();
    assert!(discovery.has_group("apps"));
    assert!(discovery.has_group("policy"));
}

#[tokio::test]
async fn listing_at_a_future_resource_version_times_out() {
    // kube-rs retries 504s, so this speaks HTTP/1.1 directly.
    let c = plain_cluster().await;
    let path = "/api/v1/namespaces/default/configmaps?resourceVersion=999999&resourceVersionMatch=NotOlderThan";
    let (code, body) = crate::common::http1(&c, "GET", path).await;
    assert_eq!(code, 504);
    assert_eq!(body["reason"], "Timeout");
    assert_eq!(
        body["details"]["causes"][0]["reason"],
        "ResourceVersionTooLarge"
    );
}

#[tokio::test]
async fn aggregated_discovery_is_served_to_clients_that_ask_for_it() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let req = http::Request::get("/apis")
        .header(
            "accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        )
        .body(Vec::new())
        .unwrap();
    let doc: Value = serde_json::from_str(&client.request_text(req).await.unwrap()).unwrap();
    assert_eq!(doc["kind"], "APIGroupDiscoveryList");
    assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
    let apps = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .unwrap();
    assert_eq!(apps["versions"][0]["version"], "v1");
    // Without the media type, /apis stays the APIGroupList.
    let plain: Value = serde_json::from_str(
        &client
            .request_text(http::Request::get("/apis").body(Vec::new()).unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(plain["kind"], "APIGroupList");
}
