//! Every example under `examples/` run as its README says (`--embedded-cluster`), checking that it
//! does what the README promises.

use integration_tests::{Operator, OperatorSpec, kubectl_apply, repo_root};

use crate::BIN;

fn run_example(name: &str) -> Operator {
    let hooks = repo_root().join("examples").join(name).join("hooks");
    OperatorSpec::new(BIN, &hooks).embedded_cluster().start()
}

fn stop(mut op: Operator) {
    let status = op.terminate();
    assert!(status.success(), "{status}\n{}", op.logs());
}

#[test]
fn example_001_startup_shell_prints_its_on_startup_binding_context() {
    let mut op = run_example("001-startup-shell");
    op.wait_for_output("shell hook: operator started, binding context:");
    op.wait_for_output(r#"[{"binding":"onStartup"}]"#);
    stop(op);
}

#[test]
fn example_002_startup_python_runs_a_python_hook_on_startup() {
    let mut op = run_example("002-startup-python");
    op.wait_for_output("python hook: binding onStartup fired");
    stop(op);
}

#[test]
fn example_003_common_library_hooks_share_code_from_the_skipped_lib_dir() {
    let mut op = run_example("003-common-library");
    op.wait_for_output("common library says: hello from hook.sh");
    let logs = op.logs();
    assert!(
        !op.hook_output().iter().any(|m| m.contains("common.sh")),
        "lib/common.sh is not a hook\n{logs}"
    );
    stop(op);
}

#[test]
fn example_101_monitor_pods_reports_added_pods() {
    let mut op = run_example("101-monitor-pods");
    op.wait_for_output("Synchronization: 0 pods");
    op.kubectl(&["run", "web", "--image=nginx"]);
    op.wait_for_output("Pod default/web added");
    stop(op);
}

#[test]
fn example_102_monitor_namespaces_reports_added_and_deleted_namespaces() {
    let mut op = run_example("102-monitor-namespaces");
    op.kubectl(&["create", "namespace", "demo"]);
    op.wait_for_output("Namespace demo added");
    op.kubectl(&["delete", "namespace", "demo"]);
    op.wait_for_output("Namespace demo deleted");
    stop(op);
}

#[test]
fn example_103_schedule_fires_the_six_field_crontab_every_ten_seconds() {
    let mut op = run_example("103-schedule");
    op.wait_for_output("schedule every-10-seconds fired");
    stop(op);
}

#[test]
fn example_104_secret_copier_copies_labelled_secrets_into_new_namespaces() {
    let mut op = run_example("104-secret-copier");
    op.kubectl(&["create", "secret", "generic", "s", "--from-literal=a=b"]);
    op.kubectl(&["label", "secret", "s", "secret-copier=yes"]);
    op.kubectl(&["create", "namespace", "team"]);
    let kubeconfig = op.kubeconfig();
    op.wait_for("the secret copied into team", |_| {
        let out = integration_tests::kubectl_output(
            &kubeconfig,
            &[
                "get",
                "secret",
                "s",
                "-n",
                "team",
                "-o",
                "jsonpath={.data.a}",
            ],
            None,
        );
        out.status.success() && out.stdout == b"Yg=="
    });
    let label = op.kubectl(&[
        "get",
        "secret",
        "s",
        "-n",
        "team",
        "-o",
        "jsonpath={.metadata.labels.secret-copier}",
    ]);
    assert_eq!(label, "copy");
    stop(op);
}

#[test]
fn example_105_crd_simple_watches_crontabs_once_the_crd_exists() {
    let mut op = run_example("105-crd-simple");
    // The binding cannot start before the CRD exists: EnableKubernetesBindings fails and retries.
    op.wait_for("a failed attempt to enable the binding", |op| {
        op.log_records()
            .iter()
            .any(|r| r["msg"] == "enable kubernetes bindings failed")
    });
    let crd =
        std::fs::read_to_string(repo_root().join("examples/105-crd-simple/crd.yaml")).unwrap();
    kubectl_apply(&op.kubeconfig(), &crd);
    op.wait_for("the binding to start", |op| {
        op.log_records()
            .iter()
            .any(|r| r["msg"] == "kubernetes binding started" && r["kind"] == "CronTab")
    });
    kubectl_apply(
        &op.kubeconfig(),
        r#"{"apiVersion":"stable.example.com/v1","kind":"CronTab",
            "metadata":{"name":"my-cron","namespace":"default"},
            "spec":{"cronSpec":"* * * * */5","image":"my-cron-image"}}"#,
    );
    op.wait_for_output(
        r#"CronTab my-cron Added: {"cronSpec":"* * * * */5","image":"my-cron-image","replicas":1}"#,
    );
    stop(op);
}

#[test]
fn example_106_events_follows_only_warning_events() {
    let mut op = run_example("106-events");
    op.wait_for("the binding to start", |op| {
        op.log_records()
            .iter()
            .any(|r| r["msg"] == "kubernetes binding started")
    });
    let event = |name: &str, kind: &str, reason: &str| {
        format!(
            r#"{{"apiVersion":"v1","kind":"Event","metadata":{{"name":"{name}","namespace":"default"}},
                "type":"{kind}","reason":"{reason}","message":"{name} happened",
                "involvedObject":{{"kind":"Pod","name":"web","namespace":"default"}}}}"#
        )
    };
    kubectl_apply(&op.kubeconfig(), &event("calm", "Normal", "Started"));
    kubectl_apply(&op.kubeconfig(), &event("alarm", "Warning", "BackOff"));
    op.wait_for_output("Warning BackOff on web: alarm happened");
    assert!(
        !op.hook_output().iter().any(|m| m.contains("calm")),
        "{}",
        op.logs()
    );
    stop(op);
}
