//! The HTTP server of a running operator: probes, `/status/converge`, the metrics of module
//! runs; and, read from those metrics, which modules a ConfigMap change runs.

use kube::api::{Patch, PatchParams};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_serves_probes_converge_status_and_the_metrics_of_module_runs() {
    let op = Operator::start(Modules::WithBlocker).await;
    assert_eq!(op.get("/healthz").await, (200, String::new()));

    // blocker fails until its namespace exists: the first converge is not done.
    op.wait_for("blocker to fail", || async {
        op.log()
            .contains("module step failed, will retry module=\"blocker\"")
            .then_some(())
    })
    .await;
    assert_eq!(
        op.get("/readyz").await,
        (500, "Startup converge in progress\n".to_owned())
    );
    let (code, status) = op.get("/status/converge").await;
    assert_eq!(
        (code, status.as_str()),
        (200, "STARTUP_CONVERGE_IN_PROGRESS: 1 tasks\n")
    );
    let (_, json) = op.get("/status/converge?output=json").await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["STARTUP_CONVERGE_IN_PROGRESS"], 1, "{json}");
    assert_eq!(json["STARTUP_CONVERGE_NOT_STARTED"], false, "{json}");

    let errors = op
        .wait_for_metric(r#"addon_operator_module_run_errors_total{module="blocker"}"#)
        .await;
    assert!(!errors.ends_with(" 0"), "{errors}");
    let metrics = op.get("/metrics").await.1;
    for line in [
        "addon_operator_module_run_seconds_count{module=\"echo-server\",activation=\"OperatorStartup\"} 1\n",
        "addon_operator_module_helm_seconds_count{module=\"echo-server\",activation=\"OperatorStartup\"} 1\n",
        "addon_operator_helm_operation_seconds_count{module=\"echo-server\",activation=\"OperatorStartup\",operation=\"template\"} 1\n",
        "addon_operator_helm_operation_seconds_count{module=\"echo-server\",activation=\"OperatorStartup\",operation=\"check-upgrade\"} 1\n",
        "addon_operator_helm_operation_seconds_count{module=\"echo-server\",activation=\"OperatorStartup\",operation=\"upgrade\"} 1\n",
        "addon_operator_convergence_total{activation=\"OperatorStartup\"} 1\n",
        "# TYPE addon_operator_convergence_seconds counter\n",
        "addon_operator_kubernetes_client_request_result_total{component=\"main\",code=\"200\",method=\"GET\"",
        "\nprocess_resident_memory_bytes ",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(!metrics.contains("shell_operator_"), "{metrics}");
    let ticks = op.wait_for_metric("addon_operator_live_ticks ").await;
    assert_ne!(ticks, "addon_operator_live_ticks 0");
    assert_eq!(op.get("/metrics/hooks").await, (200, String::new()));
    assert!(
        op.get("/")
            .await
            .1
            .contains("<title>addon-operator</title>")
    );

    // Once the namespace exists the retry succeeds and the operator is ready.
    let client = op.client().await;
    create_namespace(&client, "d8-blocker").await;
    op.wait_for("readiness", || async {
        (op.get("/readyz").await == (200, "Startup converge done.\n".to_owned())).then_some(())
    })
    .await;
    assert_eq!(
        op.get("/status/converge").await.1,
        "STARTUP_CONVERGE_DONE\nCONVERGE_WAIT_TASK\n"
    );
    assert!(
        op.get("/discovery")
            .await
            .1
            .contains("GET /status/converge\n"),
        "{}",
        op.get("/discovery").await.1
    );
}

/// `module_run_seconds_count` of `module` after the first converge (empty `activation`).
fn runs_after_startup(module: &str) -> String {
    format!(r#"addon_operator_module_run_seconds_count{{module="{module}",activation=""}}"#)
}

const RELOAD_ALL: &str = r#"addon_operator_convergence_total{activation="ReloadAllModules"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_section_change_runs_that_module_alone_and_global_or_enabled_changes_run_all() {
    // The repository's modules deploy out of the box: the operator becomes ready.
    let op = Operator::start(Modules::Repository).await;
    let client = op.client().await;
    op.wait_for("readiness", || async {
        (op.get("/readyz").await.0 == 200).then_some(())
    })
    .await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    config_maps
        .create(
            &PostParams::default(),
            &config_map(&[("echoServer", "replicas: 2")]),
        )
        .await
        .unwrap();
    let patch = |data: serde_json::Value| {
        let config_maps = config_maps.clone();
        async move {
            config_maps
                .patch(
                    "addon-operator",
                    &PatchParams::default(),
                    &Patch::Merge(data),
                )
                .await
                .unwrap();
        }
    };

    // echo-server's section changed: echo-server runs, cron-reporter does not, no converge.
    op.wait_for_metric(&format!("{} 1", runs_after_startup("echo-server")))
        .await;
    let metrics = op.get("/metrics").await.1;
    assert!(
        !metrics.contains(&runs_after_startup("cron-reporter")),
        "{metrics}"
    );
    assert!(!metrics.contains(RELOAD_ALL), "{metrics}");

    // Another enabled set: a converge of all (echo-server runs, cron-reporter is deleted).
    patch(serde_json::json!({"data": {"cronReporterEnabled": "false"}})).await;
    op.wait_for_metric(&format!("{RELOAD_ALL} 1")).await;
    op.wait_for_metric(&format!("{} 2", runs_after_startup("echo-server")))
        .await;

    // A disabled module's section, then a change of metadata only: nothing runs. The
    // echo-server change after them shows they were handled (the watcher is sequential).
    patch(serde_json::json!({"data": {"cronReporter": "schedule: '*/5 * * * *'"}})).await;
    patch(serde_json::json!({"metadata": {"labels": {"touched": "yes"}}})).await;
    patch(serde_json::json!({"data": {"echoServer": "replicas: 3"}})).await;
    op.wait_for_metric(&format!("{} 3", runs_after_startup("echo-server")))
        .await;
    let metrics = op.get("/metrics").await.1;
    assert!(metrics.contains(&format!("{RELOAD_ALL} 1\n")), "{metrics}");
    assert!(
        !metrics.contains(&runs_after_startup("cron-reporter")),
        "{metrics}"
    );

    // `global` changed: a converge of all.
    patch(serde_json::json!({"data": {"global": "clusterName: other"}})).await;
    op.wait_for_metric(&format!("{RELOAD_ALL} 2")).await;
    op.wait_for_metric(&format!("{} 4", runs_after_startup("echo-server")))
        .await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "d8-echo-server");
    let replicas = deployments
        .get("echo-server")
        .await
        .unwrap()
        .spec
        .and_then(|s| s.replicas);
    assert_eq!(replicas, Some(3));
}
