//! Admission and conversion webhooks through the operator program with `--embedded-cluster`:
//! certificates from the flags, configurations registered at startup, the Services routed to the
//! operator's own servers, and `kubectl` requests answered by the hooks.

use std::path::Path;
use std::process::Command;

use integration_tests::{
    Operator, OperatorSpec, kubectl_apply, kubectl_output, repo_root, write_hook,
};

use crate::BIN;

/// Runs the example's `gen-certs.sh` for `service` in the namespace `default` (the embedded
/// cluster's default, so `--namespace` can stay unset) into `dir`.
fn gen_certs(dir: &Path, service: &str) {
    let script = repo_root().join("examples/107-admission-webhooks/gen-certs.sh");
    let out = Command::new(script)
        .arg(dir)
        .arg("default")
        .arg(service)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--<prefix>-webhook-*` flags for the certificates in `dir`, listening on a free loopback port.
fn server_flags(prefix: &str, dir: &Path) -> Vec<String> {
    let file = |name: &str| dir.join(name).display().to_string();
    vec![
        format!("--{prefix}-webhook-server-cert={}", file("tls.crt")),
        format!("--{prefix}-webhook-server-key={}", file("tls.key")),
        format!("--{prefix}-webhook-ca={}", file("ca.crt")),
        format!("--{prefix}-webhook-listen-address=127.0.0.1"),
        format!("--{prefix}-webhook-listen-port=0"),
    ]
}

/// Waits until `kubectl get <args>` succeeds and its output satisfies `ok`.
fn wait_for_object(op: &mut Operator, args: &[&str], ok: impl Fn(&str) -> bool) {
    let kubeconfig = op.kubeconfig();
    let what = format!("kubectl get {args:?}");
    op.wait_for(&what, |_| {
        let out = kubectl_output(&kubeconfig, &[&["get"], args].concat(), None);
        out.status.success() && ok(&String::from_utf8_lossy(&out.stdout))
    });
}

#[test]
fn example_107_admission_webhooks_deny_warn_and_mutate_through_kubectl() {
    let certs = tempfile::tempdir().unwrap();
    gen_certs(certs.path(), "shell-operator-validating-svc");
    let hooks = repo_root().join("examples/107-admission-webhooks/hooks");
    let mut op = OperatorSpec::new(BIN, &hooks)
        .embedded_cluster()
        .args(server_flags("validating", certs.path()))
        .start();
    for kind in [
        "validatingwebhookconfiguration",
        "mutatingwebhookconfiguration",
    ] {
        wait_for_object(
            &mut op,
            &[kind, "shell-operator-hooks-hooks", "-o", "json"],
            |json| json.contains("\"caBundle\""),
        );
    }
    let kubeconfig = op.kubeconfig();

    let denied = kubectl_output(
        &kubeconfig,
        &["create", "configmap", "creds", "--from-literal=password=x"],
        None,
    );
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(!denied.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "admission webhook \"configmap-policy.example.com\" denied the request: \
             ConfigMap default/creds holds a password: put it in a Secret"
        ),
        "{stderr}"
    );
    let absent = kubectl_output(&kubeconfig, &["get", "configmap", "creds"], None);
    assert!(!absent.status.success(), "a denied object is not stored");

    let created = kubectl_output(
        &kubeconfig,
        &["create", "configmap", "plain", "--from-literal=a=b"],
        None,
    );
    let stderr = String::from_utf8_lossy(&created.stderr);
    assert!(created.status.success(), "{stderr}");
    assert!(
        stderr.contains("Warning: ConfigMap default/plain has no team"),
        "the validating hook's warning reaches kubectl: {stderr}"
    );
    let label = kubectl_output(
        &kubeconfig,
        &[
            "get",
            "configmap",
            "plain",
            "-o",
            "jsonpath={.metadata.labels.example\\.com/team}",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&label.stdout),
        "unassigned",
        "the mutating hook's patch is persisted"
    );

    kubectl_apply(
        &kubeconfig,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  labels:\n    \
         example.com/team: core\ndata:\n  a: b\n",
    );
    let logs = op.logs();
    assert!(!logs.contains("panicked"), "{logs}");
    let status = op.terminate();
    assert!(status.success(), "{status}\n{}", op.logs());
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {cronSpec: {type: string}}}
  - name: v1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {schedule: {type: string}}}
"#;

#[test]
fn a_conversion_hook_serves_a_crd_through_the_operator_flags() {
    let certs = tempfile::tempdir().unwrap();
    gen_certs(certs.path(), "shell-operator-conversion-svc");
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "crontab-conversion.sh",
        r#"if [[ ${1:-} == "--config" ]]; then
cat <<'CONFIG'
configVersion: v1
kubernetesCustomResourceConversion:
- name: crontabs
  crdName: crontabs.stable.example.com
  conversions:
  - {fromVersion: stable.example.com/v1alpha1, toVersion: stable.example.com/v1}
  - {fromVersion: v1, toVersion: v1alpha1}
CONFIG
exit 0
fi
jq '.[0].review.request as $r | {convertedObjects: [$r.objects[] | .apiVersion = $r.desiredAPIVersion
  | if ($r.desiredAPIVersion | endswith("/v1")) then .spec = {schedule: .spec.cronSpec}
    else .spec = {cronSpec: .spec.schedule} end]}' "$BINDING_CONTEXT_PATH" >"$CONVERSION_RESPONSE_PATH""#,
    );
    let mut op = OperatorSpec::new(BIN, hooks.path())
        .embedded_cluster()
        .args(server_flags("conversion", certs.path()))
        .start();
    op.wait_for("the embedded cluster", |op| op.kubeconfig().exists());
    let kubeconfig = op.kubeconfig();
    // The CRD appears after startup: the operator keeps retrying until it can set the webhook.
    kubectl_apply(&kubeconfig, CRD);
    wait_for_object(
        &mut op,
        &[
            "crd",
            "crontabs.stable.example.com",
            "-o",
            "jsonpath={.spec.conversion.strategy}",
        ],
        |strategy| strategy == "Webhook",
    );

    kubectl_apply(
        &kubeconfig,
        "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: nightly\n\
         spec:\n  schedule: '0 3 * * *'\n",
    );
    for (version, path, want) in [
        ("v1", "{.spec.schedule}", "0 3 * * *"),
        ("v1alpha1", "{.spec.cronSpec}", "0 3 * * *"),
        ("v1", "{.apiVersion}", "stable.example.com/v1"),
    ] {
        let resource = format!("crontabs.{version}.stable.example.com");
        let got = kubectl_output(
            &kubeconfig,
            &[
                "get",
                &resource,
                "nightly",
                "-o",
                &format!("jsonpath={path}"),
            ],
            None,
        );
        assert!(
            got.status.success(),
            "{}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            want,
            "{resource} {path}"
        );
    }
    let status = op.terminate();
    assert!(status.success(), "{status}\n{}", op.logs());
}

#[test]
fn unreadable_webhook_certificates_stop_the_operator_with_an_error_naming_the_file() {
    let hooks = repo_root().join("examples/107-admission-webhooks/hooks");
    let missing = tempfile::tempdir().unwrap();
    let mut op = OperatorSpec::new(BIN, &hooks)
        .embedded_cluster()
        .args(server_flags("validating", missing.path()))
        .start();
    let status = op.wait_exit();
    assert!(!status.success());
    let logs = op.logs();
    assert!(logs.contains("start webhooks"), "{logs}");
    assert!(
        logs.contains(&missing.path().join("ca.crt").display().to_string()),
        "the error names the file: {logs}"
    );
}
