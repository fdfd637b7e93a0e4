//! Unknown fields of built-in objects and of server-side apply configurations: refused under
//! `Strict`, warned about under `Warn`, and never stored, as by the real server.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams, ValidationDirective};
use serde_json::{Value, json};

use crate::common::{api_status, plain_cluster, raw};
use crate::field_validation::{GADGETS, gadget, gadget_crd, warnings_of, with_gadgets};
use crate::kubectl::Kubectl;

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";

/// A Deployment with `spec.replicaz` and `imagez` in its only container.
fn misspelled(name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "labels": { "app": "web" } },
        "spec": {
            "replicaz": 3,
            "selector": { "matchLabels": { "app": "web" } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [{ "name": "main", "image": "nginx", "imagez": "x" }] }
            }
        }
    })
}

const STRICT_ERRORS: &str = r#"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicaz", unknown field "spec.template.spec.containers[0].imagez""#;

fn assert_pruned(stored: &Value) {
    assert!(stored["spec"].get("replicaz").is_none(), "{stored}");
    let container = &stored["spec"]["template"]["spec"]["containers"][0];
    assert!(container.get("imagez").is_none(), "{stored}");
    assert_eq!(container["image"], "nginx", "known fields stay");
}

#[tokio::test]
async fn built_in_creates_follow_the_directive_and_never_store_unknown_fields() {
    let c = plain_cluster().await;
    let body = |name: &str| serde_json::to_vec(&misspelled(name)).unwrap();
    let strict = format!("{DEPLOYMENTS}?fieldValidation=Strict");
    let (code, status) = raw(&c, "POST", &strict, "application/json", &body("s")).await;
    assert_eq!((code, status["reason"].as_str()), (400, Some("BadRequest")));
    assert_eq!(status["message"], STRICT_ERRORS);

    let (code, warnings) = warnings_of(
        &c,
        "POST",
        DEPLOYMENTS,
        "application/json",
        &String::from_utf8(body("w")).unwrap(),
    )
    .await;
    assert_eq!(code, 201);
    assert_eq!(
        warnings,
        [
            r#"299 - "unknown field \"spec.replicaz\"""#,
            r#"299 - "unknown field \"spec.template.spec.containers[0].imagez\"""#,
        ]
    );

    let ignore = format!("{DEPLOYMENTS}?fieldValidation=Ignore");
    let (code, created) = raw(&c, "POST", &ignore, "application/json", &body("i")).await;
    assert_eq!(code, 200, "{created}");
    assert_pruned(&created);

    let api = Api::<Deployment>::namespaced(c.client().unwrap(), "default");
    assert!(api.get_opt("s").await.unwrap().is_none(), "nothing stored");
    for name in ["w", "i"] {
        let (_, stored) = raw(&c, "GET", &format!("{DEPLOYMENTS}/{name}"), "", b"").await;
        assert_pruned(&stored);
    }
}

#[tokio::test]
async fn built_in_strict_errors_come_in_document_order_and_unknown_wins_over_repeated() {
    let c = plain_cluster().await;
    let body = r#"{"metadata":{"name":"c"},"data":{"a":"1"},"dataz":1,"dataz":2,"immutable":false,"immutable":true}"#;
    let (code, status) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
        "application/json",
        body.as_bytes(),
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(
        status["message"],
        r#"ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dataz", duplicate field "immutable""#
    );
}

#[tokio::test]
async fn custom_resource_metadata_is_read_as_object_meta() {
    let (c, api) = with_gadgets().await;
    let mut obj = serde_json::to_value(gadget("g", json!({ "size": 1, "colour": "red" }))).unwrap();
    obj["metadata"]["labelz"] = json!({ "a": "b" });
    let body = serde_json::to_vec(&obj).unwrap();
    let strict = format!("{GADGETS}?fieldValidation=Strict");
    let (code, status) = raw(&c, "POST", &strict, "application/json", &body).await;
    assert_eq!(code, 400);
    assert_eq!(
        status["message"],
        r#"Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "metadata.labelz", unknown field "spec.colour""#
    );
    let ignore = format!("{GADGETS}?fieldValidation=Ignore");
    let (code, created) = raw(&c, "POST", &ignore, "application/json", &body).await;
    assert_eq!(code, 200, "{created}");
    assert!(created["metadata"].get("labelz").is_none(), "{created}");
    assert!(created["spec"].get("colour").is_none(), "{created}");
    // Server-side apply names it too.
    let status = api_status(
        api.patch(
            "g",
            &PatchParams::apply("test"),
            &Patch::Apply(&json!({ "apiVersion": "example.com/v1", "kind": "Gadget",
                    "metadata": { "name": "g", "labelz": {} } })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        status.message,
        "failed to create typed patch object (/g; example.com/v1, Kind=Gadget): .metadata.labelz: field not declared in schema"
    );
}

#[tokio::test]
async fn unknown_metadata_and_status_fields_are_dropped_and_reported() {
    let c = plain_cluster().await;
    let mut obj = misspelled("d");
    obj["metadata"]["labelz"] = json!({ "a": "b" });
    let (code, created) = raw(
        &c,
        "POST",
        &format!("{DEPLOYMENTS}?fieldValidation=Ignore"),
        "application/json",
        &serde_json::to_vec(&obj).unwrap(),
    )
    .await;
    assert_eq!(code, 200);
    assert!(created["metadata"].get("labelz").is_none(), "{created}");
    // A status write is decoded into the same type: its unknown fields are reported and dropped.
    let mut status_body = created.clone();
    status_body["status"] = json!({ "replicas": 1, "readyReplicaz": 1 });
    let (code, warnings) = warnings_of(
        &c,
        "PUT",
        &format!("{DEPLOYMENTS}/d/status"),
        "application/json",
        &status_body.to_string(),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        warnings,
        [r#"299 - "unknown field \"status.readyReplicaz\"""#]
    );
    let (_, stored) = raw(&c, "GET", &format!("{DEPLOYMENTS}/d"), "", b"").await;
    assert_eq!(stored["status"], json!({ "replicas": 1 }));
}

#[tokio::test]
async fn strict_strategic_patches_show_the_patch_as_go_prints_it() {
    let c = plain_cluster().await;
    let api = Api::<Deployment>::namespaced(c.client().unwrap(), "default");
    let mut obj = misspelled("web");
    obj["spec"].as_object_mut().unwrap().remove("replicaz");
    obj["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("imagez");
    api.create(
        &PostParams::default(),
        &serde_json::from_value(obj).unwrap(),
    )
    .await
    .unwrap();
    let strict = PatchParams {
        field_validation: Some(ValidationDirective::Strict),
        ..PatchParams::default()
    };
    let status = api_status(
        api.patch(
            "web",
            &strict,
            &Patch::Strategic(json!({ "spec": { "replicaz": 3 } })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    let cause = &status.details.unwrap().causes[0];
    assert_eq!(cause.field, "patch");
    assert_eq!(
        cause.message,
        r#"Invalid value: "map[spec:map[replicaz:3]]": strict decoding error: unknown field "spec.replicaz""#
    );
    // Strategic merge directives are consumed by the merge, never unknown fields.
    let patched = api
        .patch(
            "web",
            &strict,
            &Patch::Strategic(json!({
                "metadata": { "labels": { "$patch": "replace", "app": "web", "tier": "fe" } },
                "spec": { "template": { "spec": {
                    "$setElementOrder/containers": [{ "name": "main" }, { "name": "side" }],
                    "containers": [
                        { "name": "main", "image": "nginx:2" },
                        { "name": "side", "image": "busybox" }
                    ]
                } } }
            })),
        )
        .await
        .unwrap();
    assert_eq!(
        patched.metadata.labels.unwrap().keys().collect::<Vec<_>>(),
        ["app", "tier"]
    );
    let containers = patched.spec.unwrap().template.spec.unwrap().containers;
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["main", "side"]);
}

#[tokio::test]
async fn server_side_apply_refuses_undeclared_fields_of_built_ins_and_custom_resources() {
    let (c, api) = with_gadgets().await;
    let deployments = Api::<Deployment>::namespaced(c.client().unwrap(), "default");
    let mut applied = misspelled("web");
    applied["metadata"]["namespace"] = json!("default");
    let params = PatchParams::apply("test").validation_strict();
    let status = api_status(
        deployments
            .patch("web", &params, &Patch::Apply(&applied))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (500, ""));
    assert_eq!(
        status.message,
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n  \
         .spec.replicaz: field not declared in schema\n  \
         .spec.template.spec.containers[name=\"main\"].imagez: field not declared in schema"
    );
    assert!(deployments.get_opt("web").await.unwrap().is_none());

    let applied = gadget(
        "g",
        json!({ "size": 1, "colour": "red", "free": { "x": 1 } }),
    );
    let status = api_status(
        api.patch("g", &params, &Patch::Apply(&applied))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (
            500,
            "failed to create typed patch object (/g; example.com/v1, Kind=Gadget): .spec.colour: field not declared in schema"
        )
    );
    // Preserved fields are declared: the same configuration without the typo applies.
    let applied = gadget("g", json!({ "size": 1, "free": { "x": 1 } }));
    let stored = api
        .patch("g", &params, &Patch::Apply(&applied))
        .await
        .unwrap();
    assert_eq!(stored.data["spec"]["free"]["x"], 1);
}

/// kubectl apply of a Deployment with misspelled fields: refused by default (kubectl sends
/// `Strict`), warned about with `--validate=warn`, stored without them with `--validate=false`,
/// refused by server-side apply.
pub(crate) async fn misspelled_fields(k: &Kubectl) {
    // A JSON manifest is YAML too.
    let apply = |flag: &'static str, name: &str| {
        let file = k.manifest(&misspelled(name).to_string());
        async move {
            let path = file.path().to_str().unwrap().to_owned();
            let args: Vec<&str> = ["apply", flag, "-f", &path]
                .into_iter()
                .filter(|a| !a.is_empty())
                .collect();
            k.run(&args).await
        }
    };
    let out = apply("", "web-strict").await;
    assert!(!out.ok);
    assert!(out.stderr.contains(STRICT_ERRORS), "{}", out.stderr);

    let out = apply("--validate=warn", "web-warn").await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Warning: unknown field \"spec.replicaz\""),
        "{}",
        out.stderr
    );

    let out = apply("--validate=false", "web-ignore").await;
    assert!(out.ok, "{}", out.stderr);
    assert!(!out.stderr.contains("unknown field"), "{}", out.stderr);
    for name in ["web-warn", "web-ignore"] {
        let stored = k.ok(&["get", "deploy", name, "-o", "json"]).await;
        assert_pruned(&serde_json::from_str(&stored).unwrap());
    }

    let out = apply("--server-side", "web-ssa").await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains(
            "failed to create typed patch object (default/web-ssa; apps/v1, Kind=Deployment)"
        ) && out
            .stderr
            .contains(".spec.replicaz: field not declared in schema"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn kubectl_refuses_warns_about_or_drops_misspelled_fields() {
    misspelled_fields(&Kubectl::new().await).await;
}

#[tokio::test]
async fn kubectl_server_side_apply_refuses_undeclared_custom_resource_fields() {
    let k = Kubectl::new().await;
    Api::<CustomResourceDefinition>::all(k.cluster.client().unwrap())
        .create(&PostParams::default(), &gadget_crd())
        .await
        .unwrap();
    let cr = k.manifest(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1, colour: red}\n",
    );
    let out = k
        .run(&["apply", "--server-side", "-f", cr.path().to_str().unwrap()])
        .await;
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains(".spec.colour: field not declared in schema"),
        "{}",
        out.stderr
    );
}
