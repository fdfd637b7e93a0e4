//! Table tests of strategic merge patch against the documented semantics of the real server.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::{ListStrategy, PatchMeta, builtin_patch_meta, strategic_merge_patch};
use crate::PatchError;

fn deployment() -> &'static dyn PatchMeta {
    match builtin_patch_meta("apps", "Deployment") {
        Some(meta) => meta,
        None => unreachable!("deployments are built in"),
    }
}

fn pod() -> &'static dyn PatchMeta {
    match builtin_patch_meta("", "Pod") {
        Some(meta) => meta,
        None => unreachable!("pods are built in"),
    }
}

fn patched(original: Value, patch: Value, meta: &dyn PatchMeta) -> Value {
    match strategic_merge_patch(&original, &patch, meta) {
        Ok(v) => v,
        Err(e) => unreachable!("patch failed: {e}"),
    }
}

fn pod_spec(containers: Value) -> Value {
    json!({"spec": {"containers": containers}})
}

#[test]
fn maps_merge_recursively_and_null_deletes_a_key() {
    let out = patched(
        json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "data": {"x": "1"}}),
        json!({"metadata": {"labels": {"a": null, "c": "3"}}, "data": null}),
        pod(),
    );
    assert_eq!(out, json!({"metadata": {"labels": {"b": "2", "c": "3"}}}));
}

#[test]
fn containers_merge_by_name_keeping_other_fields_and_items() {
    let out = patched(
        pod_spec(json!([
            {"name": "a", "image": "a:1", "args": ["x"]},
            {"name": "b", "image": "b:1"}
        ])),
        pod_spec(json!([{"name": "b", "image": "b:2"}])),
        pod(),
    );
    assert_eq!(
        out,
        pod_spec(json!([
            {"name": "a", "image": "a:1", "args": ["x"]},
            {"name": "b", "image": "b:2"}
        ]))
    );
}

#[test]
fn new_items_without_set_element_order_come_before_server_only_items() {
    // mergeSortedSlice only interleaves items whose server order is known; new patch items win.
    let out = patched(
        pod_spec(json!([{"name": "a"}, {"name": "b"}])),
        pod_spec(json!([{"name": "c"}])),
        pod(),
    );
    assert_eq!(
        out,
        pod_spec(json!([{"name": "c"}, {"name": "a"}, {"name": "b"}]))
    );
}

#[test]
fn patch_delete_item_removes_the_keyed_entry() {
    let out = patched(
        pod_spec(json!([{"name": "a"}, {"name": "b"}])),
        pod_spec(json!([{"name": "a", "$patch": "delete"}])),
        pod(),
    );
    assert_eq!(out, pod_spec(json!([{"name": "b"}])));
}

#[test]
fn patch_replace_item_replaces_the_whole_list() {
    let out = patched(
        pod_spec(json!([{"name": "a", "image": "x"}, {"name": "b"}])),
        pod_spec(json!([{"name": "c"}, {"$patch": "replace"}])),
        pod(),
    );
    assert_eq!(out, pod_spec(json!([{"name": "c"}])));
}

#[test]
fn patch_replace_map_replaces_instead_of_merging() {
    let out = patched(
        json!({"spec": {"selector": {"a": "1", "b": "2"}}}),
        json!({"spec": {"selector": {"$patch": "replace", "c": "3"}}}),
        pod(),
    );
    assert_eq!(out, json!({"spec": {"selector": {"c": "3"}}}));
}

#[test]
fn patch_delete_map_empties_it() {
    let out = patched(
        json!({"spec": {"selector": {"a": "1"}}, "x": 1}),
        json!({"spec": {"selector": {"$patch": "delete"}}}),
        pod(),
    );
    assert_eq!(out, json!({"spec": {"selector": {}}, "x": 1}));
}

#[test]
fn patch_directive_on_a_missing_key_adds_nothing() {
    let out = patched(
        json!({}),
        json!({"spec": {"$patch": "replace", "a": 1}}),
        pod(),
    );
    assert_eq!(out, json!({}));
}

#[test]
fn atomic_lists_are_replaced() {
    let out = patched(
        json!({"spec": {"tolerations": [{"key": "a"}, {"key": "b"}]}}),
        json!({"spec": {"tolerations": [{"key": "c"}]}}),
        pod(),
    );
    assert_eq!(out, json!({"spec": {"tolerations": [{"key": "c"}]}}));
}

#[test]
fn nested_keyed_lists_merge_at_every_level() {
    let original = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
         "ports": [{"containerPort": 80}], "volumeMounts": [{"mountPath": "/x", "name": "v"}]}
    ]}}}});
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "B", "value": "3"}],
         "ports": [{"containerPort": 80, "name": "http"}],
         "volumeMounts": [{"mountPath": "/x", "readOnly": true}]}
    ]}}}});
    let want = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}],
         "ports": [{"containerPort": 80, "name": "http"}],
         "volumeMounts": [{"mountPath": "/x", "name": "v", "readOnly": true}]}
    ]}}}});
    assert_eq!(patched(original, patch, deployment()), want);
}

#[test]
fn finalizers_merge_as_a_set() {
    let out = patched(
        json!({"metadata": {"finalizers": ["a", "b"]}}),
        json!({"metadata": {"finalizers": ["b", "c"]}}),
        pod(),
    );
    assert_eq!(out, json!({"metadata": {"finalizers": ["a", "b", "c"]}}));
}

#[test]
fn delete_from_primitive_list_removes_values() {
    let out = patched(
        json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "x"]}}),
        pod(),
    );
    assert_eq!(out, json!({"metadata": {"finalizers": ["a", "c"]}}));
}

#[test]
fn delete_from_primitive_list_of_a_missing_field_adds_nothing() {
    let out = patched(
        json!({"metadata": {}}),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
        pod(),
    );
    assert_eq!(out, json!({"metadata": {}}));
}

#[test]
fn set_element_order_reorders_merged_items() {
    let out = patched(
        pod_spec(json!([{"name": "a", "image": "1"}, {"name": "b"}, {"name": "c"}])),
        json!({"spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
            "containers": [{"name": "a", "image": "2"}]
        }}),
        pod(),
    );
    assert_eq!(
        out,
        pod_spec(json!([{"name": "c"}, {"name": "a", "image": "2"}, {"name": "b"}]))
    );
}

#[test]
fn set_element_order_places_new_items_and_keeps_server_only_items() {
    // What kubectl apply sends when a container is added in the middle; "sidecar" was added to the
    // live object by someone else and is not in the order list. The server-only item lands after
    // "b" because mergeSortedSlice only places it before items whose live position it knows.
    let out = patched(
        pod_spec(json!([{"name": "a"}, {"name": "sidecar"}, {"name": "c"}])),
        json!({"spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "containers": [{"name": "b", "image": "b"}]
        }}),
        pod(),
    );
    assert_eq!(
        out,
        pod_spec(json!([
            {"name": "a"}, {"name": "b", "image": "b"}, {"name": "sidecar"}, {"name": "c"}
        ]))
    );
}

#[test]
fn set_element_order_of_primitives_with_deletions() {
    let out = patched(
        json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
        json!({"metadata": {
            "$setElementOrder/finalizers": ["c", "d", "a"],
            "finalizers": ["d"],
            "$deleteFromPrimitiveList/finalizers": ["b"]
        }}),
        pod(),
    );
    assert_eq!(out, json!({"metadata": {"finalizers": ["c", "d", "a"]}}));
}

#[test]
fn set_element_order_that_contradicts_the_patch_list_is_rejected() {
    let err = strategic_merge_patch(
        &pod_spec(json!([{"name": "a"}, {"name": "b"}])),
        &json!({"spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b"}, {"name": "a"}]
        }}),
        pod(),
    );
    assert!(
        matches!(err, Err(PatchError::InvalidPatch(m)) if m.starts_with("the order in patch list"))
    );
}

#[test]
fn retain_keys_clears_unlisted_fields() {
    // kubectl apply switching a Deployment from RollingUpdate to Recreate.
    let out = patched(
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
        deployment(),
    );
    assert_eq!(out, json!({"spec": {"strategy": {"type": "Recreate"}}}));
}

#[test]
fn retain_keys_rejects_a_patch_setting_an_unlisted_key() {
    let err = strategic_merge_patch(
        &json!({"spec": {"strategy": {}}}),
        &json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}),
        deployment(),
    );
    assert!(
        matches!(err, Err(PatchError::InvalidPatch(m)) if m == "invalid patch format of retainKeys")
    );
}

#[test]
fn a_patch_item_without_its_merge_key_is_rejected() {
    let err = strategic_merge_patch(
        &pod_spec(json!([{"name": "a"}])),
        &pod_spec(json!([{"image": "x"}])),
        pod(),
    );
    assert!(matches!(err, Err(PatchError::InvalidPatch(m))
        if m == "map: map[image:x] does not contain declared merge key: name"));
}

#[test]
fn an_unknown_patch_directive_is_rejected() {
    let err = strategic_merge_patch(&json!({}), &json!({"$patch": "bogus"}), pod());
    assert!(
        matches!(err, Err(PatchError::InvalidPatch(m)) if m.starts_with("unknown patch type: bogus"))
    );
}

#[test]
fn a_patch_that_is_not_an_object_is_rejected() {
    assert!(strategic_merge_patch(&json!({}), &json!([1]), pod()).is_err());
}

#[test]
fn new_subtrees_lose_nulls_and_directives() {
    let out = patched(
        json!({}),
        json!({"spec": {"a": null, "b": {"$patch": "delete"}, "c": [{"name": "x", "d": null}]}}),
        pod(),
    );
    assert_eq!(out, json!({"spec": {"c": [{"name": "x"}]}}));
}

#[test]
fn a_value_of_another_type_replaces_the_original() {
    let out = patched(json!({"a": {"b": 1}}), json!({"a": "s"}), pod());
    assert_eq!(out, json!({"a": "s"}));
}

#[test]
fn whole_object_delete_directive_yields_an_empty_object() {
    assert_eq!(
        patched(json!({"a": 1}), json!({"$patch": "delete"}), pod()),
        json!({})
    );
}

#[test]
fn custom_merge_knowledge_is_honoured() {
    struct ByPort;
    impl PatchMeta for ByPort {
        fn list_strategy(&self, path: &[&str]) -> ListStrategy {
            if path == ["items"] {
                ListStrategy::MergeByKey("port".into())
            } else {
                ListStrategy::Atomic
            }
        }
    }
    let out = patched(
        json!({"items": [{"port": 80, "x": 1}]}),
        json!({"items": [{"port": 80.0, "y": 2}]}),
        &ByPort,
    );
    assert_eq!(out, json!({"items": [{"port": 80.0, "x": 1, "y": 2}]}));
}

#[test]
fn kubectl_apply_switching_a_volume_source_clears_the_old_one() {
    // kubectl sends `$retainKeys` for volumes (patchStrategy merge,retainKeys).
    let out = patched(
        json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}]}}),
        json!({"spec": {
            "$setElementOrder/volumes": [{"name": "v"}, {"name": "w"}],
            "volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "c"}, "name": "v"}]
        }}),
        pod(),
    );
    assert_eq!(
        out,
        json!({"spec": {"volumes": [
            {"name": "v", "configMap": {"name": "c"}},
            {"name": "w", "emptyDir": {}}
        ]}})
    );
}

#[test]
fn kubectl_apply_removing_an_env_var_and_adding_another_keeps_the_declared_order() {
    let original = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "i",
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}]}]}}}});
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"name": "app",
            "$setElementOrder/env": [{"name": "A"}, {"name": "D"}, {"name": "C"}],
            "env": [{"name": "D", "value": "4"}, {"$patch": "delete", "name": "B"}]}]
    }}}});
    let out = patched(original, patch, deployment());
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "D", "value": "4"}, {"name": "C", "value": "3"}])
    );
}
