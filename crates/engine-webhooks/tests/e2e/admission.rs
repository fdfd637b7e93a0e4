//! Validating and mutating hooks reached by kubectl and kube-rs through the embedded API server
//! (upstream scenarios 29–31).

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use crate::harness::{ADMISSION_SERVICE, CONFIGURATION_NAME, NAMESPACE, Operator, hook, refused};

/// Decides by the ConfigMap's `data.mode`: deny, allow with a warning, write nothing, fail.
fn validating_hook() -> String {
    hook(
        r#"configVersion: v1
kubernetesValidating:
- name: private-repo-policy.example.com
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["configmaps"]
    scope: Namespaced"#,
        r#"mode=$(jq -r '.[0].review.request.object.data.mode // "allow"' "$BINDING_CONTEXT_PATH")
jq -r '.[0] | "\(.binding) \(.type) \(.review.request.operation) \(.review.request.name)"' \
  "$BINDING_CONTEXT_PATH" >> "$OUT/validating.log"
case "$mode" in
  deny) jq -n '{allowed: false, message: "no"}' > "$VALIDATING_RESPONSE_PATH" ;;
  warn) jq -n '{allowed: true, warnings: ["w"]}' > "$VALIDATING_RESPONSE_PATH" ;;
  empty) ;;
  fail) echo "validation crashed" >&2; exit 1 ;;
  *) jq -n '{allowed: true}' > "$VALIDATING_RESPONSE_PATH" ;;
esac"#,
    )
}

/// Sets `spec.replicas` of Deployments and adds `data.added` to ConfigMaps labelled
/// `mutate: "yes"`, with a base64 JSON Patch.
fn mutating_hook() -> String {
    hook(
        r#"configVersion: v1
kubernetesMutating:
- name: defaults.example.com
  labelSelector:
    matchLabels:
      mutate: "yes"
  rules:
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["deployments"]
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["configmaps"]"#,
        r#"kind=$(jq -r '.[0].review.request.kind.kind' "$BINDING_CONTEXT_PATH")
if [[ "$kind" == "Deployment" ]]; then
  patch='[{"op":"add","path":"/spec/replicas","value":333}]'
else
  patch='[{"op":"add","path":"/data/added","value":"by-hook"}]'
fi
jq -n --arg patch "$(printf '%s' "$patch" | base64 -w0)" '{allowed: true, patch: $patch}' \
  > "$ADMISSION_RESPONSE_PATH""#,
    )
}

async fn operator() -> Operator {
    Operator::start(&[
        ("10-validating.sh", &validating_hook()),
        ("20-mutating.sh", &mutating_hook()),
    ])
    .await
}

fn config_map(name: &str, mode: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "metadata": { "name": name },
        "data": { "mode": mode },
    }))
    .unwrap()
}

fn api_status(err: kube::Error) -> kube::core::Status {
    match err {
        kube::Error::Api(status) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn configurations_are_registered_with_the_upstream_shape() {
    let op = operator().await;
    let name = format!("{CONFIGURATION_NAME}-hooks");
    let validating = Api::<ValidatingWebhookConfiguration>::all(op.client.clone())
        .get(&name)
        .await
        .unwrap();
    let value = serde_json::to_value(&validating).unwrap();
    let webhook = &value["webhooks"][0];
    assert_eq!(value["webhooks"].as_array().map(Vec::len), Some(1));
    assert_eq!(webhook["name"], "private-repo-policy.example.com");
    assert_eq!(webhook["matchPolicy"], "Equivalent");
    assert_eq!(webhook["failurePolicy"], "Fail");
    assert_eq!(webhook["sideEffects"], "None");
    assert_eq!(webhook["timeoutSeconds"], 10);
    assert_eq!(webhook["admissionReviewVersions"], json!(["v1", "v1beta1"]));
    let service = &webhook["clientConfig"]["service"];
    assert_eq!(
        (&service["namespace"], &service["name"], &service["path"]),
        (
            &json!(NAMESPACE),
            &json!(ADMISSION_SERVICE),
            &json!("/hooks/private-repo-policy-example-com")
        )
    );
    let ca = std::fs::read(op.pki.ca()).unwrap();
    assert_eq!(
        validating.webhooks.unwrap()[0].client_config.ca_bundle,
        Some(k8s_openapi::ByteString(ca))
    );

    let mutating = Api::<MutatingWebhookConfiguration>::all(op.client.clone())
        .get(&name)
        .await
        .unwrap();
    let value = serde_json::to_value(&mutating).unwrap();
    assert_eq!(value["webhooks"][0]["name"], "defaults.example.com");
    assert_eq!(
        value["webhooks"][0]["objectSelector"],
        json!({"matchLabels": {"mutate": "yes"}})
    );
    assert_eq!(
        value["webhooks"][0]["clientConfig"]["service"]["path"],
        "/hooks/defaults-example-com"
    );
    op.stop().await;
}

#[tokio::test]
async fn a_validating_hook_denies_and_allows_with_a_warning_through_kubectl() {
    let op = operator().await;
    let out = op
        .apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: default}\ndata: {mode: deny}\n")
        .await;
    assert!(!out.ok, "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "admission webhook \"private-repo-policy.example.com\" denied the request: no"
        ),
        "{}",
        out.stderr
    );

    let out = op
        .apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good, namespace: default}\ndata: {mode: warn}\n")
        .await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("configmap/good created"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("Warning: w"), "{}", out.stderr);

    let cms: Api<ConfigMap> = Api::namespaced(op.client.clone(), "default");
    assert!(cms.get_opt("bad").await.unwrap().is_none());
    assert!(cms.get_opt("good").await.unwrap().is_some());
    assert_eq!(
        op.log("validating.log"),
        [
            "private-repo-policy.example.com Validating CREATE bad",
            "private-repo-policy.example.com Validating CREATE good",
        ]
    );
    op.stop().await;
}

#[tokio::test]
async fn a_mutating_hooks_patch_is_persisted() {
    let op = operator().await;
    let out = op
        .apply(
            r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {mutate: "yes"}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"#,
        )
        .await;
    assert!(out.ok, "{}", out.stderr);
    let deployment = Api::<Deployment>::namespaced(op.client.clone(), "default")
        .get("web")
        .await
        .unwrap();
    assert_eq!(deployment.spec.and_then(|s| s.replicas), Some(333));

    let out = op
        .apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: labelled, namespace: default, labels: {mutate: \"yes\"}}\ndata: {a: b}\n")
        .await;
    assert!(out.ok, "{}", out.stderr);
    let out = op
        .apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\ndata: {a: b}\n")
        .await;
    assert!(out.ok, "{}", out.stderr);
    let cms: Api<ConfigMap> = Api::namespaced(op.client.clone(), "default");
    let data = |cm: ConfigMap| serde_json::to_value(cm.data.unwrap_or_default()).unwrap();
    assert_eq!(
        data(cms.get("labelled").await.unwrap()),
        json!({"a": "b", "added": "by-hook"})
    );
    assert_eq!(data(cms.get("plain").await.unwrap()), json!({"a": "b"}));
    op.stop().await;
}

#[tokio::test]
async fn an_empty_response_is_denied_with_500_and_a_failing_hook_with_403() {
    let op = operator().await;
    let cms: Api<ConfigMap> = Api::namespaced(op.client.clone(), "default");

    let status = api_status(
        cms.create(&PostParams::default(), &config_map("empty", "empty"))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 500);
    assert_eq!(
        status.message,
        "admission webhook \"private-repo-policy.example.com\" denied the request: handle AdmissionReview: hook task prop error"
    );

    let status = api_status(
        cms.create(&PostParams::default(), &config_map("fail", "fail"))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 403);
    assert_eq!(
        status.message,
        "admission webhook \"private-repo-policy.example.com\" denied the request: Hook failed"
    );

    let out = op
        .apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fail, namespace: default}\ndata: {mode: fail}\n")
        .await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("denied the request: Hook failed"),
        "{}",
        out.stderr
    );
    assert!(cms.get_opt("empty").await.unwrap().is_none());
    assert!(cms.get_opt("fail").await.unwrap().is_none());
    op.stop().await;
}

#[tokio::test]
async fn shutdown_stops_the_servers() {
    let op = operator().await;
    let addrs = op.stop().await;
    assert_eq!(addrs.len(), 1, "only the admission server runs");
    for addr in addrs {
        assert!(refused(addr).await, "{addr} still accepts connections");
    }
}
