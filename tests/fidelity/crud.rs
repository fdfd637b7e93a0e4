//! Create, get, update, delete, patch and their errors.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::common::{api_error, api_status, cluster, configmap, create_cm, plain_cluster, raw};

#[tokio::test]
async fn configmap_lifecycle_over_tls_sets_system_metadata() {
    let c = cluster().await;
    let client = c.client().unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let created = api
        .create(&PostParams::default(), &configmap("a", json!({})))
        .await
        .unwrap();
    let meta = &created.metadata;
    assert!(meta.uid.is_some() && meta.creation_timestamp.is_some());
    assert_eq!(meta.namespace.as_deref(), Some("default"));
    let got = api.get("a").await.unwrap();
    assert_eq!(got.metadata.resource_version, meta.resource_version);
    let gone = api.delete("a", &DeleteParams::default()).await.unwrap();
    assert!(
        gone.is_right(),
        "immediate deletes answer with a Success status"
    );
    assert_eq!(
        api_error(api.get("a").await.unwrap_err()),
        (404, "NotFound".into())
    );
}

#[tokio::test]
async fn resource_versions_increase_across_resources() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let a = create_cm(&client, "default", "a", json!({})).await;
    let b = create_cm(&client, "kube-system", "b", json!({})).await;
    let rv = |cm: &ConfigMap| {
        cm.metadata
            .resource_version
            .clone()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(rv(&b) > rv(&a));
}

#[tokio::test]
async fn duplicate_create_is_already_exists() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "a", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let status = api_status(
        api.create(&PostParams::default(), &configmap("a", json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
    assert_eq!(status.message, "configmaps \"a\" already exists");
}

#[tokio::test]
async fn stale_update_is_a_conflict() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let first = create_cm(&client, "default", "a", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut fresh = first.clone();
    fresh.data = Some([("k".to_owned(), "w".to_owned())].into());
    api.replace("a", &PostParams::default(), &fresh)
        .await
        .unwrap();
    let mut stale = first;
    stale.data = Some([("k".to_owned(), "x".to_owned())].into());
    let status = api_status(
        api.replace("a", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(status.message.contains("the object has been modified"));
}

#[tokio::test]
async fn no_op_update_keeps_the_resource_version() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let cm = create_cm(&client, "default", "a", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let again = api.replace("a", &PostParams::default(), &cm).await.unwrap();
    assert_eq!(
        again.metadata.resource_version,
        cm.metadata.resource_version
    );
}

#[tokio::test]
async fn generate_name_creates_unique_names() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({ "metadata": { "generateName": "gen-" } })).unwrap();
    let a = api.create(&PostParams::default(), &cm).await.unwrap();
    let b = api.create(&PostParams::default(), &cm).await.unwrap();
    let (a, b) = (a.metadata.name.unwrap(), b.metadata.name.unwrap());
    assert!(a.starts_with("gen-") && b.starts_with("gen-") && a != b);
}

#[tokio::test]
async fn missing_name_is_invalid() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({ "metadata": {} })).unwrap();
    let status = api_status(api.create(&PostParams::default(), &cm).await.unwrap_err());
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
}

#[tokio::test]
async fn creating_in_a_missing_namespace_is_not_found() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "nope");
    let status = api_status(
        api.create(&PostParams::default(), &configmap("a", json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 404);
    assert_eq!(status.message, "namespaces \"nope\" not found");
}

#[tokio::test]
async fn dry_run_create_does_not_persist() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let pp = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let out = api.create(&pp, &configmap("a", json!({}))).await.unwrap();
    assert_eq!(out.metadata.name.as_deref(), Some("a"));
    assert_eq!(api_error(api.get("a").await.unwrap_err()).0, 404);
}

#[tokio::test]
async fn malformed_bodies_are_bad_requests() {
    let c = plain_cluster().await;
    let (code, body) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        b"{not json",
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(body["reason"], "BadRequest");
    let (code, _) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        b"[1,2]",
    )
    .await;
    assert_eq!(code, 400);
    let (code, body) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        br#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"x"}}"#,
    )
    .await;
    assert_eq!(code, 400, "{body}");
}

#[tokio::test]
async fn unknown_resources_are_not_found_and_bad_methods_not_allowed() {
    let c = plain_cluster().await;
    let (code, body) = raw(
        &c,
        "GET",
        "/apis/nope.example.com/v1/things",
        "application/json",
        b"",
    )
    .await;
    assert_eq!((code, body["reason"].as_str()), (404, Some("NotFound")));
    let (code, body) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps/a",
        "application/json",
        b"{}",
    )
    .await;
    assert_eq!(
        (code, body["reason"].as_str()),
        (405, Some("MethodNotAllowed"))
    );
}

#[tokio::test]
async fn merge_and_json_patches_apply() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "a", json!({ "x": "1" })).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let pp = PatchParams::default();
    let merged = api
        .patch("a", &pp, &Patch::Merge(json!({ "data": { "m": "2" } })))
        .await
        .unwrap();
    assert_eq!(merged.data.unwrap()["m"], "2");
    let path = "/api/v1/namespaces/default/configmaps/a";
    let ct = "application/json-patch+json";
    let (code, body) = raw(
        &c,
        "PATCH",
        path,
        ct,
        br#"[{"op":"replace","path":"/data/k","value":"j"}]"#,
    )
    .await;
    assert_eq!((code, body["data"]["k"].as_str()), (200, Some("j")));
    let (code, _) = raw(
        &c,
        "PATCH",
        path,
        ct,
        br#"[{"op":"test","path":"/data/k","value":"nope"}]"#,
    )
    .await;
    assert_eq!(code, 422);
    assert_eq!(
        api_error(
            api.patch("missing", &pp, &Patch::Merge(json!({})))
                .await
                .unwrap_err()
        )
        .0,
        404
    );
}

#[tokio::test]
async fn unknown_patch_content_type_is_unsupported_media_type() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "a", json!({})).await;
    let (code, body) = raw(
        &c,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        "text/plain",
        b"{}",
    )
    .await;
    assert_eq!(
        (code, body["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
}

#[tokio::test]
async fn strategic_merge_patch_merges_containers_by_name() {
    let c = plain_cluster().await;
    let api: Api<Deployment> = Api::namespaced(c.client().unwrap(), "default");
    let d: Deployment = serde_json::from_value(deployment("web")).unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    let patch = json!({ "spec": { "template": { "spec": { "containers": [{ "name": "sidecar", "image": "busybox" }] } } } });
    let out = api
        .patch("web", &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .unwrap();
    let names: Vec<String> = out
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test]
async fn server_side_apply_creates_and_updates() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let pp = PatchParams::apply("tester");
    let applied = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "a" }, "data": { "x": "1" } });
    let created = api.patch("a", &pp, &Patch::Apply(&applied)).await.unwrap();
    assert_eq!(created.data.unwrap()["x"], "1");
    let applied = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "a" }, "data": { "x": "2" } });
    let updated = api.patch("a", &pp, &Patch::Apply(&applied)).await.unwrap();
    assert_eq!(updated.data.unwrap()["x"], "2");
}

#[tokio::test]
async fn apply_without_field_manager_is_rejected() {
    let c = plain_cluster().await;
    let (code, _) = raw(
        &c,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        "application/apply-patch+yaml",
        b"kind: ConfigMap\n",
    )
    .await;
    assert_eq!(code, 422);
}

pub fn deployment(name: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name, "labels": { "app": name } },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [{ "name": "main", "image": "nginx" }] },
            },
        },
    })
}

#[tokio::test]
async fn generation_tracks_spec_changes_only() {
    let c = plain_cluster().await;
    let api: Api<Deployment> = Api::namespaced(c.client().unwrap(), "default");
    let d: Deployment = serde_json::from_value(deployment("web")).unwrap();
    let created = api.create(&PostParams::default(), &d).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let pp = PatchParams::default();
    let labelled = api
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({ "metadata": { "labels": { "x": "y" } } })),
        )
        .await
        .unwrap();
    assert_eq!(labelled.metadata.generation, Some(1));
    let status = api
        .patch_status(
            "web",
            &pp,
            &Patch::Merge(json!({ "status": { "replicas": 2 } })),
        )
        .await
        .unwrap();
    assert_eq!(status.metadata.generation, Some(1));
    assert_eq!(status.status.unwrap().replicas, Some(2));
    let spec = api
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({ "spec": { "replicas": 3 } })),
        )
        .await
        .unwrap();
    assert_eq!(spec.metadata.generation, Some(2));
    let ignored = api
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({ "status": { "replicas": 9 } })),
        )
        .await
        .unwrap();
    assert_eq!(
        ignored.status.unwrap().replicas,
        Some(2),
        "status is only writable through /status"
    );
}

#[tokio::test]
async fn scale_subresource_reads_and_writes_replicas() {
    let c = plain_cluster().await;
    let api: Api<Deployment> = Api::namespaced(c.client().unwrap(), "default");
    let d: Deployment = serde_json::from_value(deployment("web")).unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    let scale = api.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(2));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    api.patch_scale(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({ "spec": { "replicas": 4 } })),
    )
    .await
    .unwrap();
    assert_eq!(
        api.get("web").await.unwrap().spec.unwrap().replicas,
        Some(4)
    );
}

#[tokio::test]
async fn server_side_apply_conflicts_between_managers_unless_forced() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let cm = |v: &str| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "a" }, "data": { "x": v } });
    api.patch("a", &PatchParams::apply("first"), &Patch::Apply(&cm("1")))
        .await
        .unwrap();
    let status = api_status(
        api.patch("a", &PatchParams::apply("second"), &Patch::Apply(&cm("2")))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    let cause = &status.details.unwrap().causes[0];
    assert_eq!(
        (cause.reason.as_str(), cause.field.as_str()),
        ("FieldManagerConflict", ".data.x")
    );
    let forced = api
        .patch(
            "a",
            &PatchParams::apply("second").force(),
            &Patch::Apply(&cm("2")),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.unwrap()["x"], "2");
    let managers: Vec<String> = forced
        .metadata
        .managed_fields
        .unwrap()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(managers.contains(&"second".to_owned()), "{managers:?}");
}

#[tokio::test]
async fn updates_record_managed_fields_for_their_manager() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let pp = PostParams {
        field_manager: Some("writer".into()),
        ..PostParams::default()
    };
    let created = api.create(&pp, &configmap("a", json!({}))).await.unwrap();
    let entry = &created.metadata.managed_fields.unwrap()[0];
    assert_eq!(
        (entry.manager.as_deref(), entry.operation.as_deref()),
        (Some("writer"), Some("Update"))
    );
}

#[tokio::test]
async fn patches_that_replace_the_document_with_a_non_object_are_rejected() {
    let c = plain_cluster().await;
    create_cm(&c.client().unwrap(), "default", "a", json!({})).await;
    let path = "/api/v1/namespaces/default/configmaps/a";
    let (code, _) = raw(
        &c,
        "PATCH",
        path,
        "application/json-patch+json",
        br#"[{"op":"replace","path":"","value":5}]"#,
    )
    .await;
    assert_eq!(code, 400);
    let (code, _) = raw(
        &c,
        "PATCH",
        path,
        "application/merge-patch+json",
        br#""text""#,
    )
    .await;
    assert_eq!(code, 400);
    let (code, _) = raw(
        &c,
        "PATCH",
        path,
        "application/merge-patch+json",
        br#"{"metadata":7}"#,
    )
    .await;
    assert_eq!(code, 400);
    let (code, _) = raw(&c, "GET", path, "", b"").await;
    assert_eq!(code, 200, "the server is still up");
}

#[tokio::test]
async fn namespaces_with_odd_spec_and_status_still_delete() {
    let c = plain_cluster().await;
    let (code, _) = raw(
        &c,
        "POST",
        "/api/v1/namespaces",
        "application/json",
        br#"{"metadata":{"name":"odd"},"spec":"x"}"#,
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = raw(
        &c,
        "PATCH",
        "/api/v1/namespaces/odd/status",
        "application/merge-patch+json",
        br#"{"status":5}"#,
    )
    .await;
    assert_eq!(code, 200);
    let (code, body) = raw(
        &c,
        "DELETE",
        "/api/v1/namespaces/odd",
        "application/json",
        b"",
    )
    .await;
    assert_eq!(code, 200, "{body}");
}
