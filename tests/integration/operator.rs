//! `shell-operator start --embedded-cluster` end to end: kubernetes bindings, object patches, the
//! HTTP endpoints and metrics, the debug socket and its CLI, and shutdown.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use integration_tests::{Operator, OperatorSpec, metric_value, wait_until, write_hook};
use serde_json::{Value, json};

use crate::BIN;

/// Watches ConfigMaps in `default`; copies each binding context to `$RECORD_DIR/cm.<n>.json`
/// and counts its runs in a hook metric.
const WATCHER: &str = r#"if [[ "$1" == "--config" ]]; then cat <<'CONFIG'
configVersion: v1
kubernetes:
- name: cms
  apiVersion: v1
  kind: ConfigMap
  namespace: {nameSelector: {matchNames: ["default"]}}
CONFIG
exit 0; fi
n=$(wc -l < "$RECORD_DIR/runs" 2>/dev/null || echo 0)
cp "$BINDING_CONTEXT_PATH" "$RECORD_DIR/cm.$((n)).json"
echo cm >> "$RECORD_DIR/runs"
echo '{"name":"e2e_watcher_runs_total","action":"add","value":1}' > "$METRICS_PATH""#;

/// On startup, waits for `$RECORD_DIR/go`, then creates a ConfigMap through
/// `$KUBERNETES_PATCH_PATH`.
const PATCHER: &str = r#"if [[ "$1" == "--config" ]]; then echo '{"configVersion":"v1","onStartup":1}'; exit 0; fi
touch "$RECORD_DIR/waiting"
while [[ ! -e "$RECORD_DIR/go" ]]; do sleep 0.05; done
cat > "$KUBERNETES_PATCH_PATH" <<'PATCH'
{"operation":"CreateOrUpdate","object":{"apiVersion":"v1","kind":"ConfigMap",
 "metadata":{"name":"made-by-hook","namespace":"default"},"data":{"from":"patcher.sh"}}}
PATCH"#;

fn contexts(record: &Path) -> Vec<Value> {
    let runs = std::fs::read_to_string(record.join("runs")).unwrap_or_default();
    (0..runs.lines().count())
        .filter_map(|n| std::fs::read_to_string(record.join(format!("cm.{n}.json"))).ok())
        .filter_map(|text| serde_json::from_str(&text).ok())
        .collect()
}

/// Runs a debug client command against `op`, asserting success; returns stdout.
fn cli(op: &Operator, args: &[&str]) -> String {
    let out = op.debug_cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["object"]["metadata"]["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn start_with_the_embedded_cluster_serves_hooks_metrics_health_and_the_debug_socket() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(hooks.path(), "watcher.sh", WATCHER);
    write_hook(hooks.path(), "patcher.sh", PATCHER);
    let mut op = OperatorSpec::new(BIN, hooks.path())
        .embedded_cluster()
        .args(["--debug-http-addr", "127.0.0.1:0"])
        .start();

    // The HTTP server is up while onStartup hooks run; only readiness waits for them.
    op.wait_for("the onStartup hook to run", |op| {
        op.record().join("waiting").exists()
    });
    assert_eq!(op.http_get("/healthz").0, 200);
    let (status, body) = op.http_get("/readyz");
    assert_eq!(
        (status, body.trim()),
        (503, "onStartup hooks have not finished")
    );
    std::fs::write(op.record().join("go"), "").unwrap();

    // The Synchronization run sees the object the onStartup hook created.
    op.wait_for("the Synchronization run", |op| {
        contexts(&op.record()).iter().any(|c| {
            c[0]["type"] == "Synchronization"
                && names(&c[0]["objects"]).contains(&"made-by-hook".to_owned())
        })
    });
    let sync = &contexts(&op.record())[0];
    assert_eq!(sync[0]["binding"], "cms");
    assert_eq!(sync[0]["type"], "Synchronization");
    let made = op.kubectl(&["get", "configmap", "made-by-hook", "-o", "json"]);
    let made: Value = serde_json::from_str(&made).unwrap();
    assert_eq!(made["data"], json!({"from": "patcher.sh"}));
    wait_until(
        "/readyz to turn 200",
        || op.http_get("/readyz").0 == 200,
        || op.logs(),
    );

    // An object created with kubectl reaches the hook as an Added event.
    op.kubectl(&["create", "configmap", "x", "--from-literal=k=v"]);
    op.wait_for("the Added event of x", |op| {
        contexts(&op.record()).iter().any(|c| {
            c.as_array().unwrap().iter().any(|ctx| {
                ctx["type"] == "Event"
                    && ctx["watchEvent"] == "Added"
                    && ctx["object"]["metadata"]["name"] == "x"
            })
        })
    });

    // Self metrics with upstream names and labels; hook metrics on their own endpoint.
    let (status, metrics) = op.http_get("/metrics");
    assert_eq!(status, 200);
    let success = |hook: &str, binding: &str| {
        metric_value(
            &metrics,
            "shell_operator_hook_run_success_total",
            &[("hook", hook), ("binding", binding), ("queue", "main")],
        )
        .unwrap_or(0.0)
    };
    assert!(success("watcher.sh", "cms") >= 2.0, "{metrics}");
    assert_eq!(success("patcher.sh", ""), 1.0, "{metrics}");
    assert!(
        metric_value(
            &metrics,
            "shell_operator_tasks_queue_length",
            &[("queue", "main")]
        )
        .is_some(),
        "{metrics}"
    );
    assert!(
        metric_value(
            &metrics,
            "shell_operator_tasks_queue_action_duration_seconds_count",
            &[("queue_name", "main"), ("queue_action", "RemoveFirst")]
        )
        .is_some_and(|n| n >= 2.0),
        "{metrics}"
    );
    assert!(
        metric_value(
            &metrics,
            "shell_operator_kube_event_duration_seconds_count",
            &[
                ("hook", "watcher.sh"),
                ("binding", "cms"),
                ("queue", "main")
            ]
        )
        .is_some_and(|n| n >= 2.0),
        "{metrics}"
    );
    assert_eq!(
        metric_value(
            &metrics,
            "shell_operator_kube_snapshot_objects",
            &[
                ("hook", "watcher.sh"),
                ("binding", "cms"),
                ("queue", "main")
            ]
        ),
        Some(2.0),
        "made-by-hook and x: {metrics}"
    );
    assert!(
        metric_value(&metrics, "shell_operator_live_ticks", &[]).unwrap_or(0.0) >= 1.0,
        "{metrics}"
    );
    assert_eq!(
        metric_value(
            &metrics,
            "shell_operator_hook_enable_kubernetes_bindings_success",
            &[("hook", "watcher.sh")]
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        metric_value(
            &metrics,
            "shell_operator_kubernetes_client_request_result_total",
            &[("component", "object_patcher")]
        )
        .is_some_and(|v| v >= 1.0),
        "{metrics}"
    );
    assert!(
        metrics.contains("process_resident_memory_bytes "),
        "{metrics}"
    );
    let (status, hook_metrics) = op.http_get("/metrics/hooks");
    assert_eq!(status, 200);
    assert!(
        metric_value(
            &hook_metrics,
            "e2e_watcher_runs_total",
            &[("hook", "watcher.sh")]
        )
        .is_some_and(|v| v >= 2.0),
        "{hook_metrics}"
    );
    let (_, discovery) = op.http_get("/discovery");
    for route in [
        "GET /metrics",
        "GET /metrics/hooks",
        "GET /healthz",
        "GET /readyz",
    ] {
        assert!(discovery.lines().any(|l| l == route), "{discovery}");
    }

    // The debug socket: 0600, and the CLI commands.
    let mode = std::fs::metadata(op.socket()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let list: Value = serde_json::from_str(&cli(&op, &["queue", "list", "-o", "json"])).unwrap();
    assert!(list["summary"]["mainQueueTasks"].is_u64(), "{list}");
    assert!(
        cli(&op, &["queue", "list", "-e"]).contains("Summary:"),
        "queue list text"
    );
    let main = cli(&op, &["queue", "main"]);
    assert!(main.starts_with("Queue 'main': length "), "{main}");
    let hooks_listed: Value =
        serde_json::from_str(&cli(&op, &["hook", "list", "-o", "json"])).unwrap();
    assert_eq!(hooks_listed, json!(["patcher.sh", "watcher.sh"]));
    let snapshot: Value =
        serde_json::from_str(&cli(&op, &["hook", "snapshot", "watcher.sh", "-o", "json"])).unwrap();
    let in_snapshot = names(&snapshot["cms"]["snapshot"]);
    assert!(
        in_snapshot.contains(&"x".to_owned()) && in_snapshot.contains(&"made-by-hook".to_owned()),
        "{snapshot}"
    );
    assert!(cli(&op, &["config", "list"]).contains("log.level"));
    cli(&op, &["config", "set", "log.level", "debug", "1m"]);
    let config: Value = serde_json::from_str(&cli(&op, &["config", "list", "-o", "json"])).unwrap();
    assert!(config.to_string().contains("debug"), "{config}");
    // The new level takes effect: debug records appear.
    op.kubectl(&["create", "configmap", "y"]);
    op.wait_for("a debug record", |op| {
        op.log_records().iter().any(|r| r["level"] == "debug")
    });
    assert_eq!(cli(&op, &["raw", "/"]).trim(), "debug endpoint is alive");

    // The same routes over --debug-http-addr.
    let tcp = op
        .logged_addr("debug endpoint listening on tcp")
        .expect("debug tcp address logged");
    let (status, body) = integration_tests::http_get(tcp, "/hook/list.json");
    assert_eq!(status, 200);
    assert!(body.contains("watcher.sh"), "{body}");

    // SIGTERM: exit 0, the socket file is gone.
    let status = op.terminate();
    assert!(status.success(), "{status}\n{}", op.logs());
    assert!(!op.socket().exists(), "debug socket removed at shutdown");
}

#[test]
fn a_bad_listen_address_stops_startup_with_a_clear_error() {
    let hooks = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut op = OperatorSpec::new(BIN, hooks.path())
        .args(["--listen-port", &port])
        .start();
    assert!(!op.wait_exit().success());
    assert!(op.logs().contains("start http server"), "{}", op.logs());
}

/// Watches Secrets, fails on its first Event run (so the error path logs too) and patches the
/// Secret through `$KUBERNETES_PATCH_PATH`.
const SECRETS: &str = r#"if [[ "$1" == "--config" ]]; then cat <<'CONFIG'
configVersion: v1
kubernetes:
- name: secrets
  kind: Secret
  namespace: {nameSelector: {matchNames: ["default"]}}
CONFIG
exit 0; fi
n=$(wc -l < "$RECORD_DIR/runs" 2>/dev/null || echo 0)
echo run >> "$RECORD_DIR/runs"
jq -e '.[0].type == "Event"' "$BINDING_CONTEXT_PATH" >/dev/null || exit 0
if [[ "$n" == 1 ]]; then echo "first event run fails" >&2; exit 1; fi
cat > "$KUBERNETES_PATCH_PATH" <<'PATCH'
{"operation":"MergePatch","kind":"Secret","namespace":"default","name":"token",
 "mergePatch":{"metadata":{"labels":{"seen":"yes"}}}}
PATCH"#;

#[test]
fn secret_data_never_reaches_the_logs_even_at_debug_level() {
    const PLAIN: &str = "s3cr3t-value-that-must-not-leak";
    let hooks = tempfile::tempdir().unwrap();
    write_hook(hooks.path(), "secrets.sh", SECRETS);
    let mut op = OperatorSpec::new(BIN, hooks.path())
        .embedded_cluster()
        .args(["--log-level", "debug", "--debug-kubernetes-api"])
        .start();
    op.wait_for("the Synchronization run", |op| {
        op.recorded("runs").len() == 1
    });
    op.kubectl(&[
        "create",
        "secret",
        "generic",
        "token",
        &format!("--from-literal=password={PLAIN}"),
    ]);
    // The failed Event run is retried after 5 s, then patches the Secret.
    op.wait_for("the retried run to label the Secret", |op| {
        op.kubectl(&[
            "get",
            "secret",
            "token",
            "-o",
            "jsonpath={.metadata.labels.seen}",
        ])
        .trim()
            == "yes"
    });
    assert_eq!(op.terminate().code(), Some(0));
    let logs = op.logs();
    let encoded = base64_of(PLAIN);
    assert!(logs.contains("first event run fails"), "{logs}");
    assert!(
        !logs.contains(PLAIN),
        "plain secret value in the logs:\n{logs}"
    );
    assert!(
        !logs.contains(&encoded),
        "base64 secret value in the logs:\n{logs}"
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
