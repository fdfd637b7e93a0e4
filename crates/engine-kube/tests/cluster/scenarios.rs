//! Reference scenarios 9, 11, 12 and 17 (`../shared/reference/shell-operator.md` §5) through the
//! engine: which bindings run at startup, what their snapshots hold, and how events queued during
//! a Synchronization are combined.

use std::time::Duration;

use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::harness::{Harness, config_map, create};

fn is(context: &Value, kind: &str, binding: &str) -> bool {
    context["type"] == kind && context["binding"] == binding
}

fn snapshot_names(context: &Value, binding: &str) -> Vec<String> {
    context["snapshots"][binding]
        .as_array()
        .unwrap_or_else(|| panic!("no snapshot {binding} in {context}"))
        .iter()
        .map(|i| i["filterResult"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn scenario_9_bindings_without_synchronization_run_only_on_events_or_only_feed_snapshots() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[
            {"name":"a","kind":"ConfigMap","executeHookOnSynchronization":false,
             "labelSelector":{"matchLabels":{"role":"a"}},"jqFilter":".metadata.name",
             "includeSnapshotsFrom":["b"]},
            {"name":"b","kind":"ConfigMap","executeHookOnSynchronization":false,
             "executeHookOnEvent":[],
             "labelSelector":{"matchLabels":{"role":"b"}},"jqFilter":".metadata.name"}]}"#,
        "",
    )
    .await;
    let api = h.config_maps("default");
    create(&api, &config_map("b1", json!({"role": "b"}), json!({}))).await;
    h.cached("b", 1).await;
    create(&api, &config_map("a1", json!({"role": "a"}), json!({}))).await;
    let first = h.run(0).await;
    assert_eq!(
        first[0]["type"], "Event",
        "no Synchronization run at startup"
    );
    assert_eq!(first[0]["binding"], "a");
    assert_eq!(first[0]["filterResult"], "a1");
    assert_eq!(snapshot_names(&first[0], "b"), ["b1"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.runs(), 1, "binding b never runs the hook");
    h.stop().await;
}

#[tokio::test]
async fn scenario_11_events_and_schedules_see_the_included_snapshot_as_it_changes() {
    let api_setup = Harness::start(
        r#"{"configVersion":"v1",
            "kubernetes":[{"name":"selected","kind":"ConfigMap",
              "labelSelector":{"matchLabels":{"sel":"yes"}},"jqFilter":".metadata.name",
              "includeSnapshotsFrom":["selected"]}],
            "schedule":[{"name":"tick","crontab":"* * * * * *",
              "includeSnapshotsFrom":["selected"]}]}"#,
        "",
    )
    .await;
    let h = api_setup;
    let sync = h
        .context("Synchronization", |c| is(c, "Synchronization", "selected"))
        .await;
    assert_eq!(sync["objects"], json!([]));
    assert_eq!(sync["snapshots"], json!({"selected": []}));

    let api = h.config_maps("default");
    for name in ["p1", "p2", "p3"] {
        create(&api, &config_map(name, json!({"sel": "yes"}), json!({}))).await;
    }
    let added = h
        .context("Added p3", |c| {
            is(c, "Event", "selected") && c["filterResult"] == "p3"
        })
        .await;
    assert_eq!(added["watchEvent"], "Added");
    assert_eq!(snapshot_names(&added, "selected"), ["p1", "p2", "p3"]);

    let labels = json!({"metadata": {"labels": {"sel": "yes", "x": "1"}}});
    api.patch("p2", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .unwrap();
    api.delete("p3", &DeleteParams::default()).await.unwrap();
    let deleted = h
        .context("Deleted p3", |c| c["watchEvent"] == "Deleted")
        .await;
    assert_eq!(deleted["filterResult"], "p3");
    assert_eq!(snapshot_names(&deleted, "selected"), ["p1", "p2"]);
    // A schedule run after the delete sees the same two objects.
    let seen = h.contexts().len();
    let tick = loop {
        let later: Vec<Value> = h.contexts().into_iter().skip(seen).collect();
        if let Some(t) = later.into_iter().find(|c| is(c, "Schedule", "tick")) {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(snapshot_names(&tick, "selected"), ["p1", "p2"]);
    h.stop().await;
}

#[tokio::test]
async fn scenario_12_six_bindings_start_with_two_synchronizations_and_one_group_context() {
    let h = Harness::start_with_objects(
        r#"{"configVersion":"v1","kubernetes":[
            {"name":"deployment","kind":"ConfigMap","jqFilter":".metadata.name",
             "labelSelector":{"matchLabels":{"role":"deployment"}},
             "includeSnapshotsFrom":["deployment"]},
            {"name":"cms","kind":"ConfigMap","jqFilter":".metadata.name",
             "executeHookOnSynchronization":false,
             "labelSelector":{"matchLabels":{"role":"cm"}}},
            {"name":"pods","kind":"ConfigMap","jqFilter":".metadata.name",
             "labelSelector":{"matchLabels":{"role":"pod"}},
             "includeSnapshotsFrom":["deployment","cms"]},
            {"name":"deployment-grouped","kind":"ConfigMap","group":"group1",
             "jqFilter":".metadata.name","labelSelector":{"matchLabels":{"role":"deployment"}}},
            {"name":"cms-grouped","kind":"ConfigMap","group":"group1",
             "jqFilter":".metadata.name","labelSelector":{"matchLabels":{"role":"cm"}}},
            {"name":"pods-grouped","kind":"ConfigMap","group":"group1",
             "jqFilter":".metadata.name","labelSelector":{"matchLabels":{"role":"pod"}}}]}"#,
        &[("d1", "deployment"), ("c1", "cm"), ("p1", "pod")],
    )
    .await;
    let group = h.context("Group", |c| c["type"] == "Group").await;
    let contexts = h.contexts();
    assert_eq!(contexts.len(), 3, "startup contexts: {contexts:#?}");
    assert!(is(&contexts[0], "Synchronization", "deployment"));
    assert_eq!(snapshot_names(&contexts[0], "deployment"), ["d1"]);
    assert!(is(&contexts[1], "Synchronization", "pods"));
    assert_eq!(snapshot_names(&contexts[1], "deployment"), ["d1"]);
    assert_eq!(snapshot_names(&contexts[1], "cms"), ["c1"]);
    assert_eq!(group, contexts[2]);
    assert_eq!(group["groupName"], "group1");
    assert_eq!(group["binding"], "pods-grouped");
    assert_eq!(snapshot_names(&group, "cms-grouped"), ["c1"]);
    assert_eq!(snapshot_names(&group, "deployment-grouped"), ["d1"]);
    assert_eq!(snapshot_names(&group, "pods-grouped"), ["p1"]);
    h.stop().await;
}

#[tokio::test]
async fn scenario_17_events_during_a_slow_synchronization_are_one_run_in_creation_order() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "labelSelector":{"matchLabels":{"app":"x"}},"jqFilter":".metadata.name"}]}"#,
        r#"if jq -e '.[0].type == "Synchronization"' "$BINDING_CONTEXT_PATH" >/dev/null; then
  for i in $(seq 600); do [ -f "$OUT/go" ] && break; sleep 0.05; done
fi"#,
    )
    .await;
    h.run(0).await;
    let api = h.config_maps("default");
    for name in ["c3", "c1", "c2"] {
        create(&api, &config_map(name, json!({"app": "x"}), json!({}))).await;
    }
    h.cached("cms", 3).await;
    std::fs::write(h.out.join("go"), b"").unwrap();
    let events = h.run(1).await;
    let order: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["watchEvent"], "Added");
            c["filterResult"].as_str().unwrap()
        })
        .collect();
    assert_eq!(order, ["c3", "c1", "c2"], "one run, creation order");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.runs(), 2);
    h.stop().await;
}
