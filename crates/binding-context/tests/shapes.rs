//! Every binding-context shape, pinned as exact file bytes (insta) and compared with the literal
//! examples of reference §2.2, §2.3 and addon-operator §3.3.
#![allow(clippy::unwrap_used)] // reason: test helpers fail the test on error

use std::sync::Arc;

use binding_context::{
    BindingContext, ContextFormat, ObjectItem, Snapshots, WatchEvent, filter_result_from_outputs,
    render, to_value,
};
use serde_json::{Value, json};

fn text(contexts: &[BindingContext], format: ContextFormat) -> String {
    String::from_utf8(render(contexts, format).unwrap()).unwrap()
}

fn v1(contexts: &[BindingContext]) -> Value {
    to_value(contexts, ContextFormat::V1).unwrap()
}

fn pod(name: &str) -> Arc<Value> {
    Arc::new(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "x"}}}))
}

fn labels() -> Option<Arc<Value>> {
    Some(Arc::new(json!({"app": "x"})))
}

fn pod_item(name: &str) -> ObjectItem {
    ObjectItem::new(pod(name), labels())
}

fn snapshots(entries: &[(&str, Vec<ObjectItem>)]) -> Snapshots {
    entries
        .iter()
        .map(|(name, items)| ((*name).to_owned(), Arc::from(items.clone())))
        .collect()
}

#[test]
fn on_startup_is_only_the_binding_name() {
    let contexts = [BindingContext::on_startup()];
    assert_eq!(v1(&contexts), json!([{"binding": "onStartup"}]));
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn schedule_has_its_type_and_no_snapshots_key_without_includes() {
    let contexts = [BindingContext::schedule("every 10 sec")];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "every 10 sec", "type": "Schedule"}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn schedule_with_included_snapshots_lists_the_items() {
    let contexts = [BindingContext::schedule("periodic")
        .with_snapshots(snapshots(&[("pods", vec![pod_item("a")])]))];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "periodic", "type": "Schedule",
            "snapshots": {"pods": [{"object": *pod("a"), "filterResult": {"app": "x"}}]}}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn synchronization_lists_objects_with_filter_results() {
    let contexts = [BindingContext::synchronization(
        "pods",
        Arc::from(vec![pod_item("a")]),
    )];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "pods", "type": "Synchronization",
            "objects": [{"object": {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "a", "namespace": "default", "labels": {"app": "x"}}},
                "filterResult": {"app": "x"}}]}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn synchronization_without_objects_has_an_empty_objects_array() {
    let contexts = [BindingContext::synchronization(
        "pods",
        Arc::from(Vec::new()),
    )];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "pods", "type": "Synchronization", "objects": []}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn event_merges_object_and_filter_result_and_names_the_watch_event() {
    let contexts = [BindingContext::event(
        "pods",
        WatchEvent::Added,
        pod_item("a"),
    )];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "pods", "type": "Event", "watchEvent": "Added",
            "object": *pod("a"), "filterResult": {"app": "x"}}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn event_without_jq_filter_has_no_filter_result_key() {
    let contexts = [
        BindingContext::event(
            "pods",
            WatchEvent::Modified,
            ObjectItem::new(pod("a"), None),
        ),
        BindingContext::event("pods", WatchEvent::Deleted, ObjectItem::new(pod("b"), None)),
    ];
    assert_eq!(
        v1(&contexts),
        json!([
            {"binding": "pods", "type": "Event", "watchEvent": "Modified", "object": *pod("a")},
            {"binding": "pods", "type": "Event", "watchEvent": "Deleted", "object": *pod("b")},
        ])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn keep_full_objects_false_drops_object_everywhere() {
    let item = pod_item("a").without_object();
    let bare = ObjectItem::new(pod("b"), None).without_object();
    let contexts = [
        BindingContext::synchronization("pods", Arc::from(vec![item.clone(), bare.clone()]))
            .with_snapshots(snapshots(&[("pods", vec![item.clone()])])),
        BindingContext::event("pods", WatchEvent::Added, item),
    ];
    assert_eq!(
        v1(&contexts),
        json!([
            {"binding": "pods", "type": "Synchronization",
             "objects": [{"filterResult": {"app": "x"}}, {}],
             "snapshots": {"pods": [{"filterResult": {"app": "x"}}]}},
            {"binding": "pods", "type": "Event", "watchEvent": "Added", "filterResult": {"app": "x"}},
        ])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn filter_results_of_no_outputs_and_several_outputs_are_null_and_an_array() {
    let none = ObjectItem::new(pod("a"), Some(Arc::new(filter_result_from_outputs(vec![]))));
    let many = ObjectItem::new(
        pod("b"),
        Some(Arc::new(filter_result_from_outputs(vec![
            json!("node-01"),
            json!({"app": "x"}),
        ]))),
    );
    let contexts = [BindingContext::synchronization(
        "pods",
        Arc::from(vec![none, many]),
    )];
    assert_eq!(
        v1(&contexts)[0]["objects"],
        json!([{"object": *pod("a"), "filterResult": null},
               {"object": *pod("b"), "filterResult": ["node-01", {"app": "x"}]}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn group_context_has_group_name_and_snapshots_only() {
    let contexts = [
        BindingContext::event("monitor-pods", WatchEvent::Added, pod_item("a"))
            .with_group(Some("pods"))
            .with_snapshots(snapshots(&[
                ("monitor-pods", vec![pod_item("a")]),
                ("configmap-content", vec![]),
            ])),
    ];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "monitor-pods", "type": "Group", "groupName": "pods",
            "snapshots": {"monitor-pods": [{"object": *pod("a"), "filterResult": {"app": "x"}}],
                          "configmap-content": []}}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn a_grouped_synchronization_is_a_group_context_without_objects() {
    let contexts = [
        BindingContext::synchronization("secret", Arc::from(vec![pod_item("a")]))
            .with_group(Some("main"))
            .with_snapshots(snapshots(&[
                ("deployment", vec![]),
                ("secret", vec![pod_item("a")]),
            ])),
    ];
    let value = v1(&contexts);
    assert_eq!(value[0]["type"], "Group");
    assert_eq!(value[0]["groupName"], "main");
    assert_eq!(value[0]["binding"], "secret");
    assert!(value[0].get("objects").is_none());
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn included_snapshots_that_are_all_missing_render_as_an_empty_object() {
    let contexts = [BindingContext::schedule("s").with_snapshots(Snapshots::new())];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "s", "type": "Schedule", "snapshots": {}}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

fn admission_review() -> Arc<Value> {
    Arc::new(
        json!({"request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "stable.example.com", "version": "v1", "kind": "CronTab"},
        "name": "x", "namespace": "ns", "operation": "CREATE",
        "object": {"apiVersion": "stable.example.com/v1", "kind": "CronTab"},
        "oldObject": null, "dryRun": false}}),
    )
}

#[test]
fn validating_and_mutating_carry_the_review_and_never_become_groups() {
    let contexts = [
        BindingContext::validating("private-repo-policy.example.com", admission_review())
            .with_group(Some("main"))
            .with_snapshots(snapshots(&[("pods", vec![])])),
        BindingContext::mutating("add-replicas.example.com", admission_review()),
    ];
    assert_eq!(
        v1(&contexts),
        json!([
            {"binding": "private-repo-policy.example.com", "type": "Validating",
             "review": *admission_review(), "snapshots": {"pods": []}},
            {"binding": "add-replicas.example.com", "type": "Mutating", "review": *admission_review()},
        ])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn conversion_names_the_rule_versions_as_spelled() {
    let review = Arc::new(json!({"request": {"uid": "42f9",
        "desiredAPIVersion": "stable.example.com/v1alpha2",
        "objects": [{"apiVersion": "stable.example.com/v1alpha1", "kind": "CronTab"}]}}));
    let contexts = [BindingContext::conversion(
        "alpha1_to_alpha2",
        "stable.example.com/v1alpha1",
        "stable.example.com/v1alpha2",
        review.clone(),
    )];
    assert_eq!(
        v1(&contexts),
        json!([{"binding": "alpha1_to_alpha2", "type": "Conversion",
            "fromVersion": "stable.example.com/v1alpha1", "toVersion": "stable.example.com/v1alpha2",
            "review": *review}])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn v0_contexts_are_the_binding_name_plus_resource_fields_for_events() {
    let contexts = [
        BindingContext::on_startup(),
        BindingContext::schedule("every minute"),
        BindingContext::event("onKubernetesEvent", WatchEvent::Modified, pod_item("a")),
        BindingContext::event("onKubernetesEvent", WatchEvent::Deleted, pod_item("b")),
    ];
    assert_eq!(
        to_value(&contexts, ContextFormat::V0).unwrap(),
        json!([
            {"binding": "onStartup"},
            {"binding": "every minute"},
            {"binding": "onKubernetesEvent", "resourceEvent": "update",
             "resourceNamespace": "default", "resourceKind": "Pod", "resourceName": "a"},
            {"binding": "onKubernetesEvent", "resourceEvent": "delete",
             "resourceNamespace": "default", "resourceKind": "Pod", "resourceName": "b"},
        ])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V0));
}

#[test]
fn addon_operator_lifecycle_contexts_hold_all_snapshots_or_an_empty_object() {
    let contexts = [
        BindingContext::lifecycle("beforeHelm")
            .with_snapshots(snapshots(&[("pods", vec![pod_item("a")])])),
        BindingContext::lifecycle("afterHelm"),
    ];
    assert_eq!(
        v1(&contexts),
        json!([
            {"binding": "beforeHelm",
             "snapshots": {"pods": [{"object": *pod("a"), "filterResult": {"app": "x"}}]}},
            {"binding": "afterHelm", "snapshots": {}},
        ])
    );
    insta::assert_snapshot!(text(&contexts, ContextFormat::V1));
}

#[test]
fn the_file_is_an_array_even_for_one_context_and_ends_with_a_newline() {
    let bytes = render(&[BindingContext::on_startup()], ContextFormat::V1).unwrap();
    assert_eq!(bytes, b"[\n  {\n    \"binding\": \"onStartup\"\n  }\n]\n");
    assert_eq!(render(&[], ContextFormat::V1).unwrap(), b"[]\n");
}

#[test]
fn context_keys_are_written_in_alphabetical_order_like_go_maps() {
    let contexts = [
        BindingContext::event("pods", WatchEvent::Added, pod_item("a"))
            .with_snapshots(snapshots(&[("z", vec![]), ("a", vec![])])),
    ];
    let rendered = text(&contexts, ContextFormat::V1);
    let positions: Vec<usize> = [
        "\"binding\"",
        "\"filterResult\"",
        "\"object\"",
        "\"snapshots\"",
        "\"type\"",
        "\"watchEvent\"",
    ]
    .iter()
    .map(|key| rendered.find(key).unwrap())
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{rendered}");
    assert!(rendered.find("\"a\": []").unwrap() < rendered.find("\"z\": []").unwrap());
}
