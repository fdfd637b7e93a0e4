//! Synchronization, events, groups, outputs and kubectl through the engine.

use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::json;

use super::harness::{Harness, WAIT, config_map, create, names};

#[tokio::test]
async fn synchronization_and_events_reach_the_hook_with_objects_and_filter_results() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    create(&api, &config_map("b", json!({"app": "b"}), json!({}))).await;
    create(&api, &config_map("a", json!({"app": "a"}), json!({}))).await;
    let h = Harness::start_on(
        cluster,
        client,
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "labelSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},
            "jqFilter":".metadata.labels"}]}"#,
        "",
    )
    .await;

    let sync = h.run(0).await;
    assert_eq!(sync.as_array().unwrap().len(), 1);
    assert_eq!(sync[0]["binding"], "cms");
    assert_eq!(sync[0]["type"], "Synchronization");
    assert_eq!(names(&sync[0]["objects"]), ["a", "b"]);
    assert_eq!(sync[0]["objects"][0]["filterResult"], json!({"app": "a"}));
    assert!(sync[0].get("snapshots").is_none());

    let api = h.config_maps("default");
    create(
        &api,
        &config_map("c", json!({"app": "c"}), json!({"k": "1"})),
    )
    .await;
    let added = h.run(1).await;
    assert_eq!(added[0]["type"], "Event");
    assert_eq!(added[0]["watchEvent"], "Added");
    assert_eq!(added[0]["object"]["metadata"]["name"], "c");
    assert_eq!(added[0]["filterResult"], json!({"app": "c"}));

    // A change outside the jq filter result runs nothing; a label change is Modified.
    let data_only = json!({"data": {"k": "2"}});
    api.patch("c", &PatchParams::default(), &Patch::Merge(&data_only))
        .await
        .unwrap();
    let labels = json!({"metadata": {"labels": {"app": "c2"}}});
    api.patch("c", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .unwrap();
    let modified = h.run(2).await;
    assert_eq!(modified[0]["watchEvent"], "Modified");
    assert_eq!(modified[0]["filterResult"], json!({"app": "c2"}));

    api.delete("c", &DeleteParams::default()).await.unwrap();
    let deleted = h.run(3).await;
    assert_eq!(deleted[0]["watchEvent"], "Deleted");
    assert_eq!(deleted[0]["object"]["metadata"]["labels"]["app"], "c2");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.runs(), 4, "the data-only change must not run the hook");
    h.stop().await;
}

#[tokio::test]
async fn grouped_bindings_start_with_one_group_context_holding_both_snapshots() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[
            {"name":"first","kind":"ConfigMap","group":"main",
             "labelSelector":{"matchLabels":{"role":"first"}},"jqFilter":".data"},
            {"name":"second","kind":"ConfigMap","group":"main",
             "labelSelector":{"matchLabels":{"role":"second"}},"keepFullObjectsInMemory":false,
             "jqFilter":".metadata.name"}]}"#,
        "",
    )
    .await;
    // Reference scenario 13: the two grouped Synchronizations are one run with one Group
    // context (the last binding's name) holding both snapshot keys, never `objects`.
    let start = h.run(0).await;
    assert_eq!(
        start,
        json!([{"binding":"second","type":"Group","groupName":"main",
                "snapshots":{"first": [], "second": []}}])
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = h.runs();
    assert_eq!(before, 1, "grouped synchronizations must run once");

    let api = h.config_maps("default");
    create(
        &api,
        &config_map("s1", json!({"role": "second"}), json!({})),
    )
    .await;
    let event = h.run(before).await;
    assert_eq!(
        event,
        json!([{"binding":"second","type":"Group","groupName":"main",
                "snapshots":{"first":[],"second":[{"filterResult":"s1"}]}}])
    );
    h.stop().await;
}

#[tokio::test]
async fn a_create_or_update_patch_written_by_the_hook_creates_the_config_map() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "executeHookOnEvent":[],"nameSelector":{"matchNames":["nothing"]}}]}"#,
        r#"cat > "$KUBERNETES_PATCH_PATH" <<'EOF'
{"operation":"CreateOrUpdate","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-patch","namespace":"default"},"data":{"x":"y"}}}
EOF"#,
    )
    .await;
    let sync = h.run(0).await;
    assert_eq!(sync[0]["objects"], json!([]));
    let api = h.config_maps("default");
    let deadline = tokio::time::Instant::now() + WAIT;
    let cm = loop {
        if let Some(cm) = api.get_opt("from-patch").await.unwrap() {
            break cm;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "config map not created"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(cm.data.unwrap()["x"], "y");
    h.stop().await;
}

#[tokio::test]
async fn kubectl_in_a_hook_reaches_the_cluster_through_kubeconfig() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "nameSelector":{"matchNames":["nothing"]}}]}"#,
        "kubectl create configmap from-kubectl -n default --from-literal=a=b >&2",
    )
    .await;
    h.run(0).await;
    let api = h.config_maps("default");
    let deadline = tokio::time::Instant::now() + WAIT;
    let cm = loop {
        if let Some(cm) = api.get_opt("from-kubectl").await.unwrap() {
            break cm;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "kubectl did not create the config map"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(cm.data.unwrap()["a"], "b");
    h.stop().await;
}

#[tokio::test]
async fn synchronization_objects_are_read_at_run_time_and_events_during_it_follow_it() {
    // Reference scenario 15. `first` (own queue) blocks in its Synchronization until `$OUT/go`
    // exists; meanwhile f1 (seen by `first`) and s1 (seen by `second`) are created.
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[
            {"name":"first","kind":"ConfigMap","queue":"q",
             "labelSelector":{"matchLabels":{"role":"first"}},"jqFilter":".metadata.name"},
            {"name":"second","kind":"ConfigMap",
             "labelSelector":{"matchLabels":{"role":"second"}},"jqFilter":".metadata.name"}]}"#,
        r#"if jq -e '.[0].type == "Synchronization" and .[0].binding == "first"' "$BINDING_CONTEXT_PATH" >/dev/null; then
  for i in $(seq 600); do [ -f "$OUT/go" ] && break; sleep 0.05; done
fi"#,
    )
    .await;
    let sync_first = h.run(0).await;
    assert_eq!(sync_first[0]["binding"], "first");
    assert_eq!(sync_first[0]["objects"], json!([]));

    let api = h.config_maps("default");
    create(&api, &config_map("f1", json!({"role": "first"}), json!({}))).await;
    create(
        &api,
        &config_map("s1", json!({"role": "second"}), json!({})),
    )
    .await;
    h.cached("first", 1).await;
    h.cached("second", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.runs(),
        1,
        "the event of `first` (queue q) must wait for its Synchronization"
    );
    std::fs::write(h.out.join("go"), b"").unwrap();

    let mut rest = [h.run(1).await, h.run(2).await];
    rest.sort_by_key(|ctx| ctx[0]["binding"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        rest[0],
        json!([{"binding":"first","type":"Event","watchEvent":"Added",
                "object": rest[0][0]["object"].clone(), "filterResult":"f1"}])
    );
    assert_eq!(rest[0][0]["object"]["metadata"]["name"], "f1");
    assert_eq!(rest[1][0]["type"], "Synchronization");
    assert_eq!(rest[1][0]["binding"], "second");
    assert_eq!(
        rest[1][0]["objects"][0]["filterResult"], "s1",
        "objects are read when the Synchronization runs"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.runs(),
        3,
        "s1 is part of the Synchronization, not an Added event"
    );
    h.stop().await;
}
