//! Scenario tests of server-side apply and update recording, against the documented behaviour of
//! the real server (server-side apply docs: conflicts, shared ownership, field removal, force).

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::{ApplyRequest, record_update, server_side_apply};
use crate::{PatchError, PatchMeta, builtin_patch_meta};

const T1: &str = "2024-05-01T10:00:00Z";
const T2: &str = "2024-05-01T11:00:00Z";

fn deployment_meta() -> Option<&'static dyn PatchMeta> {
    builtin_patch_meta("apps", "Deployment")
}

fn deployment(replicas: u32, containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}}
    })
}

fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
) -> Result<Value, PatchError> {
    server_side_apply(&ApplyRequest {
        live,
        applied,
        manager,
        force,
        api_version: "apps/v1",
        now: T2,
        meta: deployment_meta(),
    })
}

fn applied_ok(live: Option<&Value>, applied: &Value, manager: &str) -> Value {
    match apply(live, applied, manager, false) {
        Ok(v) => v,
        Err(e) => unreachable!("apply failed: {e}"),
    }
}

/// The object as created by a plain (non-apply) write of `manager`.
fn created_by(manager: &str, mut obj: Value) -> Value {
    record_update(None, &mut obj, manager, "apps/v1", T1, deployment_meta());
    obj
}

fn entry<'v>(obj: &'v Value, manager: &str) -> Option<&'v Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

fn managers(obj: &Value) -> Vec<String> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["manager"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn applying_a_new_object_records_an_apply_entry() {
    let config = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"app": "x"}},
        "data": {"a": "1"}
    });
    let out = server_side_apply(&ApplyRequest {
        live: None,
        applied: &config,
        manager: "mgr",
        force: false,
        api_version: "v1",
        now: T1,
        meta: builtin_patch_meta("", "ConfigMap"),
    });
    let Ok(out) = out else {
        unreachable!("apply failed")
    };
    assert_eq!(
        out["metadata"]["managedFields"],
        json!([{
            "manager": "mgr", "operation": "Apply", "apiVersion": "v1", "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}
        }])
    );
    assert_eq!(out["data"], json!({"a": "1"}));
}

#[test]
fn changing_a_field_another_manager_set_is_a_conflict() {
    let live = created_by("mgr", deployment(1, json!([{"name": "c", "image": "i"}])));
    let err = apply(
        Some(&live),
        &deployment(2, json!([{"name": "c", "image": "i"}])),
        "other",
        false,
    );
    let Err(PatchError::Conflict(conflicts)) = err else {
        unreachable!("expected a conflict")
    };
    let err = PatchError::Conflict(conflicts.clone());
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"mgr\" using apps/v1: .spec.replicas"
    );
    assert_eq!(
        conflicts[0].message(),
        "conflict with \"mgr\" using apps/v1"
    );
}

#[test]
fn several_conflicts_are_listed_per_field() {
    let live = created_by("mgr", deployment(1, json!([{"name": "c", "image": "i"}])));
    let err = apply(
        Some(&live),
        &deployment(2, json!([{"name": "c", "image": "j"}])),
        "other",
        false,
    );
    let Err(err) = err else {
        unreachable!("expected a conflict")
    };
    assert_eq!(
        err.to_string(),
        "Apply failed with 2 conflicts: conflicts with \"mgr\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"c\"].image"
    );
}

#[test]
fn applying_the_same_value_shares_ownership_without_conflict() {
    let live = created_by("mgr", deployment(1, json!([{"name": "c", "image": "i"}])));
    let out = applied_ok(
        Some(&live),
        &json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"replicas": 1}}),
        "other",
    );
    assert_eq!(
        entry(&out, "other").map(|e| &e["fieldsV1"]),
        Some(&json!({"f:spec": {"f:replicas": {}}}))
    );
    let mgr = entry(&out, "mgr").map(|e| e["fieldsV1"]["f:spec"]["f:replicas"].clone());
    assert_eq!(mgr, Some(json!({})));
}

#[test]
fn force_takes_ownership_from_the_other_manager() {
    let live = created_by("mgr", deployment(1, json!([{"name": "c", "image": "i"}])));
    let config = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"replicas": 3}});
    let Ok(out) = apply(Some(&live), &config, "other", true) else {
        unreachable!("forced apply")
    };
    assert_eq!(out["spec"]["replicas"], json!(3));
    let mgr = entry(&out, "mgr").map(|e| e["fieldsV1"]["f:spec"].get("f:replicas").is_some());
    assert_eq!(mgr, Some(false));
    assert_eq!(managers(&out), ["other", "mgr"]);
}

#[test]
fn fields_dropped_from_the_config_are_removed_when_nobody_else_owns_them() {
    let first = applied_ok(
        None,
        &deployment(
            1,
            json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]),
        ),
        "ci",
    );
    let second = applied_ok(
        Some(&first),
        &deployment(1, json!([{"name": "a", "image": "a"}])),
        "ci",
    );
    assert_eq!(
        second["spec"]["template"]["spec"]["containers"],
        json!([{"name": "a", "image": "a"}])
    );

    let mut config = deployment(1, json!([{"name": "a", "image": "a"}]));
    if let Some(spec) = config["spec"].as_object_mut() {
        spec.remove("replicas");
    }
    let third = applied_ok(Some(&second), &config, "ci");
    assert_eq!(third["spec"].get("replicas"), None);
}

#[test]
fn fields_dropped_from_the_config_stay_when_another_manager_owns_them() {
    let first = applied_ok(
        None,
        &deployment(2, json!([{"name": "a", "image": "a"}])),
        "ci",
    );
    let shared = applied_ok(
        Some(&first),
        &json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"replicas": 2}}),
        "hpa",
    );
    let mut config = deployment(1, json!([{"name": "a", "image": "a"}]));
    if let Some(spec) = config["spec"].as_object_mut() {
        spec.remove("replicas");
    }
    let out = applied_ok(Some(&shared), &config, "ci");
    assert_eq!(out["spec"]["replicas"], json!(2));
    assert_eq!(
        entry(&out, "ci").map(|e| e["fieldsV1"]["f:spec"].get("f:replicas").is_some()),
        Some(false)
    );
}

#[test]
fn live_only_items_survive_an_apply_of_the_same_list() {
    let first = applied_ok(
        None,
        &deployment(1, json!([{"name": "a", "image": "a"}])),
        "ci",
    );
    let mut injected = first.clone();
    if let Some(list) = injected["spec"]["template"]["spec"]["containers"].as_array_mut() {
        list.push(json!({"name": "sidecar", "image": "s"}));
    }
    record_update(
        Some(&first),
        &mut injected,
        "injector",
        "apps/v1",
        T1,
        deployment_meta(),
    );
    let out = applied_ok(
        Some(&injected),
        &deployment(1, json!([{"name": "a", "image": "a2"}])),
        "ci",
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name": "a", "image": "a2"}, {"name": "sidecar", "image": "s"}])
    );
}

#[test]
fn the_first_apply_on_an_unmanaged_object_credits_existing_fields_to_before_first_apply() {
    let live = deployment(1, json!([{"name": "a", "image": "a"}]));
    let err = apply(
        Some(&live),
        &deployment(5, json!([{"name": "a", "image": "a"}])),
        "ci",
        false,
    );
    let Err(PatchError::Conflict(conflicts)) = err else {
        unreachable!("expected a conflict")
    };
    assert_eq!(conflicts[0].manager, "before-first-apply");
    assert_eq!(conflicts[0].field, ".spec.replicas");
}

#[test]
fn managed_fields_in_an_applied_config_are_refused() {
    let config = json!({"metadata": {"name": "x", "managedFields": [{"manager": "m"}]}});
    assert!(matches!(
        apply(None, &config, "m", false),
        Err(PatchError::InvalidObject(_))
    ));
}

#[test]
fn custom_resources_without_meta_treat_lists_as_atomic() {
    let first = server_side_apply(&ApplyRequest {
        live: None,
        applied: &json!({"spec": {"items": [1, 2]}}),
        manager: "m",
        force: false,
        api_version: "example.com/v1",
        now: T1,
        meta: None,
    });
    let Ok(first) = first else {
        unreachable!("apply failed")
    };
    assert_eq!(
        first["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:spec": {"f:items": {}}})
    );
}

#[test]
fn updates_record_what_changed_and_take_it_from_others() {
    let live = created_by(
        "creator",
        deployment(1, json!([{"name": "a", "image": "a"}])),
    );
    assert_eq!(managers(&live), ["creator"]);
    let mut edited = live.clone();
    edited["spec"]["replicas"] = json!(4);
    record_update(
        Some(&live),
        &mut edited,
        "kubectl-edit",
        "apps/v1",
        T2,
        deployment_meta(),
    );
    assert_eq!(managers(&edited), ["creator", "kubectl-edit"]);
    assert_eq!(
        entry(&edited, "kubectl-edit").map(|e| e["fieldsV1"].clone()),
        Some(json!({"f:spec": {"f:replicas": {}}}))
    );
    assert_eq!(
        entry(&edited, "creator").map(|e| e["fieldsV1"]["f:spec"].get("f:replicas").is_some()),
        Some(false)
    );
    assert_eq!(
        entry(&edited, "kubectl-edit").map(|e| e["time"].clone()),
        Some(json!(T2))
    );
}

#[test]
fn a_new_map_is_owned_with_a_dot_entry_by_updates() {
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
    record_update(
        None,
        &mut cm,
        "kubectl-create",
        "v1",
        T1,
        builtin_patch_meta("", "ConfigMap"),
    );
    assert_eq!(
        cm["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:data": {".": {}, "f:k": {}}})
    );
}

#[test]
fn an_update_that_changes_nothing_adds_no_entry() {
    let live = created_by("creator", deployment(1, json!([])));
    let mut same = live.clone();
    record_update(
        Some(&live),
        &mut same,
        "noop",
        "apps/v1",
        T2,
        deployment_meta(),
    );
    assert_eq!(managers(&same), ["creator"]);
}

#[test]
fn a_single_empty_entry_clears_managed_fields() {
    let live = created_by("creator", deployment(1, json!([])));
    let mut cleared = live.clone();
    cleared["metadata"]["managedFields"] = json!([{}]);
    record_update(
        Some(&live),
        &mut cleared,
        "x",
        "apps/v1",
        T2,
        deployment_meta(),
    );
    assert_eq!(cleared["metadata"].get("managedFields"), None);
}

#[test]
fn managed_fields_sent_by_the_client_replace_the_live_ones() {
    let live = created_by("creator", deployment(1, json!([])));
    let mut sent = live.clone();
    sent["metadata"]["managedFields"] = json!([{"manager": "renamed", "operation": "Update",
        "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]);
    record_update(
        Some(&live),
        &mut sent,
        "x",
        "apps/v1",
        T2,
        deployment_meta(),
    );
    assert_eq!(managers(&sent), ["renamed"]);
}

#[test]
fn kubectl_may_take_over_fields_unchanged_since_its_client_side_apply() {
    let last = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1}}"#;
    let mut live = deployment(1, json!([]));
    live["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": last});
    let live = created_by("kubectl-client-side-apply", live);
    let config = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2}});
    let other = apply(Some(&live), &config, "someone", false);
    assert!(matches!(other, Err(PatchError::Conflict(_))));
    let Ok(out) = apply(Some(&live), &config, "kubectl", false) else {
        unreachable!("kubectl upgrade from client-side apply")
    };
    assert_eq!(out["spec"]["replicas"], json!(2));
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        json!(
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2}}\n"
        )
    );
}

fn scoped(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    subresource: &str,
) -> Result<Value, PatchError> {
    let req = ApplyRequest {
        live,
        applied,
        manager,
        force: false,
        api_version: "stable.example.com/v1",
        now: T2,
        meta: None,
    };
    super::server_side_apply_scoped(
        &req,
        super::WriteScope {
            subresource,
            status_is_subresource: true,
        },
    )
}

#[test]
fn a_status_apply_by_the_same_manager_does_not_prune_its_spec() {
    let spec = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab",
        "metadata": {"name": "x"}, "spec": {"cron": "* * * * *"}});
    let Ok(created) = scoped(None, &spec, "ctrl", "") else {
        unreachable!("spec apply")
    };
    let status = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab",
        "metadata": {"name": "x"}, "status": {"ready": true}});
    let Ok(out) = scoped(Some(&created), &status, "ctrl", "status") else {
        unreachable!("status apply")
    };
    assert_eq!(out["spec"], json!({"cron": "* * * * *"}));
    assert_eq!(out["status"], json!({"ready": true}));
    let entries = out["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 2);
    let status_entry = entries.iter().find(|e| e["subresource"] == "status");
    assert_eq!(
        status_entry.map(|e| e["fieldsV1"].clone()),
        Some(json!({"f:status": {"f:ready": {}}}))
    );
}

#[test]
fn main_resource_applies_do_not_own_status_of_types_with_a_status_subresource() {
    let obj = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab",
        "metadata": {"name": "x"}, "spec": {"a": 1}, "status": {"ready": true}});
    let Ok(out) = scoped(None, &obj, "ctrl", "") else {
        unreachable!("apply")
    };
    assert_eq!(
        out["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:spec": {"f:a": {}}})
    );
}

#[test]
fn status_updates_record_a_status_entry_owning_only_status() {
    let live = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1}});
    let mut new = live.clone();
    new["status"] = json!({"readyReplicas": 1});
    super::record_update_scoped(
        Some(&live),
        &mut new,
        "kube-controller-manager",
        "apps/v1",
        T1,
        deployment_meta(),
        super::WriteScope {
            subresource: "status",
            status_is_subresource: true,
        },
    );
    assert_eq!(
        new["metadata"]["managedFields"],
        json!([{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
            "time": T1, "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:readyReplicas": {}}},
            "subresource": "status"}])
    );
}

#[test]
fn repeating_an_apply_leaves_the_object_unchanged() {
    // Controllers apply on every reconcile; a changed timestamp would be a write and a watch event.
    let config = deployment(2, json!([{"name": "a", "image": "a"}]));
    let first = applied_ok(None, &config, "ctrl");
    let again = server_side_apply(&ApplyRequest {
        live: Some(&first),
        applied: &config,
        manager: "ctrl",
        force: false,
        api_version: "apps/v1",
        now: "2030-01-01T00:00:00Z",
        meta: deployment_meta(),
    });
    assert_eq!(again.ok(), Some(first));
}

#[test]
fn an_update_by_an_existing_manager_that_changes_nothing_keeps_its_time() {
    let live = created_by("creator", deployment(1, json!([])));
    let mut same = live.clone();
    record_update(
        Some(&live),
        &mut same,
        "creator",
        "apps/v1",
        T2,
        deployment_meta(),
    );
    assert_eq!(same, live);
}
