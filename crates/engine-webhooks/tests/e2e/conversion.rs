//! A CRD with versions alpha → beta → gamma → delta, stored at alpha, converted by three hooks
//! that each convert one step both ways (upstream scenario 32).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};

use crate::harness::{CONVERSION_SERVICE, NAMESPACE, Operator, Startup, eventually, hook};

const CRD_NAME: &str = "widgets.example.com";

/// A conversion hook for one step: `forward` turns the `from` shape into the `to` shape,
/// `backward` the reverse. Every run appends
/// `<binding> <fromVersion> <toVersion> <desiredAPIVersion> <apiVersions of the objects>` to
/// `$OUT/conversions.log`. An object holding the number 13 anywhere gets no converted object
/// back (a broken hook).
fn conversion_hook(binding: &str, from: &str, to: &str, forward: &str, backward: &str) -> String {
    let config = format!(
        r#"configVersion: v1
kubernetesCustomResourceConversion:
- name: {binding}
  crdName: {CRD_NAME}
  conversions:
  - fromVersion: {from}
    toVersion: {to}
  - fromVersion: {to}
    toVersion: {from}"#
    );
    let forward_from = from.rsplit('/').next().unwrap_or(from);
    let body = format!(
        r#"jq -r '.[0] | "\(.binding) \(.fromVersion) \(.toVersion) \(.review.request.desiredAPIVersion) \([.review.request.objects[].apiVersion] | join(","))"' \
  "$BINDING_CONTEXT_PATH" >> "$OUT/conversions.log"
jq -c '.[0] as $c
  | ($c.fromVersion | split("/") | last) as $from
  | ($c.toVersion | if test("/") then . else "example.com/" + . end) as $to
  | if any($c.review.request.objects[] | .. | numbers; . == 13) then {{convertedObjects: []}}
    else {{convertedObjects: [$c.review.request.objects[]
      | if $from == "{forward_from}" then ({forward}) else ({backward}) end
      | .apiVersion = $to]}}
    end' "$BINDING_CONTEXT_PATH" > "$CONVERSION_RESPONSE_PATH""#
    );
    hook(&config, &body)
}

fn hooks() -> Vec<(&'static str, String)> {
    vec![
        (
            "10-alpha-beta.sh",
            conversion_hook(
                "alpha_beta",
                "example.com/alpha",
                "example.com/beta",
                ".spec.count = (.spec.size | tonumber) | del(.spec.size)",
                ".spec.size = (.spec.count | tostring) | del(.spec.count)",
            ),
        ),
        (
            // Short versions, as upstream allows.
            "20-beta-gamma.sh",
            conversion_hook(
                "beta_gamma",
                "beta",
                "gamma",
                ".spec.replicas = {count: .spec.count} | del(.spec.count)",
                ".spec.count = .spec.replicas.count | del(.spec.replicas)",
            ),
        ),
        (
            "30-gamma-delta.sh",
            conversion_hook(
                "gamma_delta",
                "example.com/gamma",
                "example.com/delta",
                r#".spec.scale = {replicas: .spec.replicas.count, unit: "pods"} | del(.spec.replicas)"#,
                ".spec.replicas = {count: .spec.scale.replicas} | del(.spec.scale)",
            ),
        ),
    ]
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - {name: alpha, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: beta, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: gamma, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: delta, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
"#;

fn widgets(op: &Operator, version: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("example.com", version, "Widget");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "widgets");
    Api::namespaced_with(op.client.clone(), "default", &resource)
}

async fn spec_at(op: &Operator, version: &str, name: &str) -> (String, Value) {
    let object = widgets(op, version).get(name).await.unwrap();
    let api_version = object.types.map(|t| t.api_version).unwrap_or_default();
    (api_version, object.data["spec"].clone())
}

/// Starts the operator before the CRD exists and waits until the CRD, created afterwards,
/// points at the conversion server.
async fn operator_with_crd() -> Operator {
    let hooks = hooks();
    let hooks: Vec<(&str, &str)> = hooks.iter().map(|(n, s)| (*n, s.as_str())).collect();
    // The one-call start: CRD patches run in the background, so it returns before the CRD exists.
    let op = Operator::start_with(&hooks, Startup::OneCall).await;
    assert!(op.webhooks().admission_addr().is_none());
    assert!(op.webhooks().conversion_addr().is_some());

    let out = op.apply(CRD).await;
    assert!(out.ok, "{}", out.stderr);
    let crds: Api<CustomResourceDefinition> = Api::all(op.client.clone());
    let conversion = eventually("the CRD conversion to be patched", || async {
        let crd = crds.get(CRD_NAME).await.ok()?;
        let conversion = serde_json::to_value(crd.spec.conversion?).ok()?;
        (conversion["strategy"] == "Webhook").then_some(conversion)
    })
    .await;
    let service = &conversion["webhook"]["clientConfig"]["service"];
    assert_eq!(service["namespace"], NAMESPACE);
    assert_eq!(service["name"], CONVERSION_SERVICE);
    assert_eq!(service["path"], format!("/{CRD_NAME}"));
    op
}

#[tokio::test]
async fn objects_read_back_correctly_at_every_version_through_three_hooks() {
    let op = operator_with_crd().await;

    let out = op
        .apply("apiVersion: example.com/delta\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {scale: {replicas: 3, unit: pods}}\n")
        .await;
    assert!(out.ok, "{}", out.stderr);

    assert_eq!(
        spec_at(&op, "alpha", "w1").await,
        ("example.com/alpha".to_owned(), json!({"size": "3"}))
    );
    assert_eq!(
        spec_at(&op, "beta", "w1").await,
        ("example.com/beta".to_owned(), json!({"count": 3}))
    );
    assert_eq!(
        spec_at(&op, "gamma", "w1").await,
        (
            "example.com/gamma".to_owned(),
            json!({"replicas": {"count": 3}})
        )
    );
    assert_eq!(
        spec_at(&op, "delta", "w1").await,
        (
            "example.com/delta".to_owned(),
            json!({"scale": {"replicas": 3, "unit": "pods"}})
        )
    );

    // One read at delta runs the three hooks in order, each on the previous one's output,
    // with its own rule as spelled and the final target kept.
    op.clear_log("conversions.log");
    let out = op
        .kubectl(&[
            "get",
            "widgets.delta.example.com",
            "w1",
            "-n",
            "default",
            "-o",
            "json",
        ])
        .await;
    assert!(out.ok, "{}", out.stderr);
    let object: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(object["apiVersion"], "example.com/delta");
    assert_eq!(
        object["spec"],
        json!({"scale": {"replicas": 3, "unit": "pods"}})
    );
    assert_eq!(
        op.log("conversions.log"),
        [
            "alpha_beta example.com/alpha example.com/beta example.com/delta example.com/alpha",
            "beta_gamma beta gamma example.com/delta example.com/beta",
            "gamma_delta example.com/gamma example.com/delta example.com/delta example.com/gamma",
        ]
    );

    // Writing at beta converts down to storage with one hook.
    op.clear_log("conversions.log");
    let out = op
        .apply("apiVersion: example.com/beta\nkind: Widget\nmetadata: {name: w2, namespace: default}\nspec: {count: 7}\n")
        .await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        op.log("conversions.log").iter().any(|l| l
            == "alpha_beta example.com/beta example.com/alpha example.com/alpha example.com/beta"),
        "{:?}",
        op.log("conversions.log")
    );
    assert_eq!(
        spec_at(&op, "alpha", "w2").await,
        ("example.com/alpha".to_owned(), json!({"size": "7"}))
    );
    assert_eq!(
        spec_at(&op, "delta", "w2").await.1,
        json!({"scale": {"replicas": 7, "unit": "pods"}})
    );
    op.stop().await;
}

#[tokio::test]
async fn a_hook_returning_fewer_objects_fails_the_conversion() {
    let op = operator_with_crd().await;
    let out = op
        .apply("apiVersion: example.com/delta\nkind: Widget\nmetadata: {name: unlucky, namespace: default}\nspec: {scale: {replicas: 13, unit: pods}}\n")
        .await;
    assert!(!out.ok, "{}", out.stdout);
    assert!(
        out.stderr.contains("hook returned 0 objects instead of 1"),
        "{}",
        out.stderr
    );
    assert!(
        widgets(&op, "alpha")
            .get_opt("unlucky")
            .await
            .unwrap()
            .is_none()
    );
    op.stop().await;
}
