//! engine-kube against the embedded API server, driving a real hook-engine `Engine` with bash
//! hooks that copy `$BINDING_CONTEXT_PATH` into a directory, one file per run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail loudly"
)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use engine_kube::{KubeBindings, NoEnableErrors, OutputApplier};
use hook_engine::clock::SystemClock;
use hook_engine::discovery::HookFile;
use hook_engine::{Engine, EngineConfig, Extensions, Hook, HookRegistry, RunnerConfig};
use hook_exec::{LogProxy, TmpFiles};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const WAIT: Duration = Duration::from_secs(30);

/// A running cluster + engine; dropped at the end of each test.
struct Harness {
    cluster: EmbeddedCluster,
    client: kube::Client,
    out: PathBuf,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Starts an engine with one hook `hook.sh` of `config`, whose body runs after the context
    /// file is copied to `<out>/NNN.json`.
    async fn start(config: &str, extra_body: &str) -> Self {
        let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
            .await
            .expect("cluster starts");
        let client = cluster.client().expect("client");
        Self::start_on(cluster, client, config, extra_body).await
    }

    async fn start_on(
        cluster: EmbeddedCluster,
        client: kube::Client,
        config: &str,
        extra_body: &str,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&tmp).unwrap();
        let hook_path = dir.path().join("hook.sh");
        let script = format!(
            "#!/bin/bash\nset -e\nn=$(ls \"$OUT\" | grep -c json || true)\n\
             cp \"$BINDING_CONTEXT_PATH\" \"$OUT/.tmp\"\n\
             mv \"$OUT/.tmp\" \"$OUT/$(printf %03d \"$n\").json\"\n{extra_body}\n"
        );
        std::fs::write(&hook_path, script).unwrap();
        set_executable(&hook_path);
        let parsed = hook_config::parse_hook_config("hook.sh", config.as_bytes()).unwrap();
        let hook = Hook::new(
            HookFile {
                name: "hook.sh".into(),
                path: hook_path,
            },
            parsed,
        );
        let registry = HookRegistry::new([hook]);

        let (manager, events) = kube_events::KubeEventsManager::with_defaults(client.clone());
        let kube = Arc::new(KubeBindings::new(manager, Arc::new(NoEnableErrors)));
        let metrics = Arc::new(hook_metrics::HookMetricsStore::default());
        let extensions = Extensions {
            outputs: Arc::new(OutputApplier::new(client.clone(), metrics)),
            snapshots: kube.clone(),
            kubernetes: kube.clone(),
            ..Extensions::default()
        };
        let env: Vec<(OsString, OsString)> = vec![
            ("OUT".into(), out.clone().into()),
            ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
            ("KUBECONFIG".into(), cluster.kubeconfig_path().into()),
        ];
        let engine_config = EngineConfig {
            runner: RunnerConfig {
                tmp_dir: tmp,
                env,
                tmp_files: TmpFiles::Remove,
                default_timeout: Some(Duration::from_secs(30)),
                log_proxy: LogProxy::PlainLines,
            },
            queues: task_queue::QueueSetConfig::default(),
            shutdown_grace_period: Duration::from_secs(5),
        };
        let engine = Engine::new(registry, engine_config, extensions, Arc::new(SystemClock));
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(
            kube.clone()
                .run_pump(events, engine.queues().clone(), shutdown.clone()),
        );
        let token = shutdown.clone();
        tracker.spawn(async move {
            engine.run(token).await;
            kube.shutdown().await;
        });
        Self {
            cluster,
            client,
            out,
            shutdown,
            tracker,
            _dir: dir,
        }
    }

    fn config_maps(&self, namespace: &str) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// Waits for run number `n` (0-based) and returns its binding context.
    async fn run(&self, n: usize) -> Value {
        let path = self.out.join(format!("{n:03}.json"));
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(bytes) = std::fs::read(&path) {
                return serde_json::from_slice(&bytes).unwrap();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "hook run {n} did not happen; runs so far: {}",
                self.runs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn runs(&self) -> usize {
        std::fs::read_dir(&self.out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json"))
            })
            .count()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        self.cluster.shutdown().await;
    }
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn config_map(name: &str, labels: Value, data: Value) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": data,
    }))
    .unwrap()
}

async fn create(api: &Api<ConfigMap>, cm: &ConfigMap) {
    api.create(&PostParams::default(), cm).await.unwrap();
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["object"]["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn synchronization_and_events_reach_the_hook_with_objects_and_filter_results() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    create(&api, &config_map("b", json!({"app": "b"}), json!({}))).await;
    create(&api, &config_map("a", json!({"app": "a"}), json!({}))).await;
    let h = Harness::start_on(
        cluster,
        client,
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "labelSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},
            "jqFilter":".metadata.labels"}]}"#,
        "",
    )
    .await;

    let sync = h.run(0).await;
    assert_eq!(sync.as_array().unwrap().len(), 1);
    assert_eq!(sync[0]["binding"], "cms");
    assert_eq!(sync[0]["type"], "Synchronization");
    assert_eq!(names(&sync[0]["objects"]), ["a", "b"]);
    assert_eq!(sync[0]["objects"][0]["filterResult"], json!({"app": "a"}));
    assert!(sync[0].get("snapshots").is_none());

    let api = h.config_maps("default");
    create(
        &api,
        &config_map("c", json!({"app": "c"}), json!({"k": "1"})),
    )
    .await;
    let added = h.run(1).await;
    assert_eq!(added[0]["type"], "Event");
    assert_eq!(added[0]["watchEvent"], "Added");
    assert_eq!(added[0]["object"]["metadata"]["name"], "c");
    assert_eq!(added[0]["filterResult"], json!({"app": "c"}));

    // A change outside the jq filter result runs nothing; a label change is Modified.
    let data_only = json!({"data": {"k": "2"}});
    api.patch("c", &PatchParams::default(), &Patch::Merge(&data_only))
        .await
        .unwrap();
    let labels = json!({"metadata": {"labels": {"app": "c2"}}});
    api.patch("c", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .unwrap();
    let modified = h.run(2).await;
    assert_eq!(modified[0]["watchEvent"], "Modified");
    assert_eq!(modified[0]["filterResult"], json!({"app": "c2"}));

    api.delete("c", &DeleteParams::default()).await.unwrap();
    let deleted = h.run(3).await;
    assert_eq!(deleted[0]["watchEvent"], "Deleted");
    assert_eq!(deleted[0]["object"]["metadata"]["labels"]["app"], "c2");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.runs(), 4, "the data-only change must not run the hook");
    h.stop().await;
}

#[tokio::test]
async fn grouped_bindings_start_with_one_group_context_holding_both_snapshots() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[
            {"name":"first","kind":"ConfigMap","group":"main",
             "labelSelector":{"matchLabels":{"role":"first"}},"jqFilter":".data"},
            {"name":"second","kind":"ConfigMap","group":"main",
             "labelSelector":{"matchLabels":{"role":"second"}},"keepFullObjectsInMemory":false,
             "jqFilter":".metadata.name"}]}"#,
        "",
    )
    .await;
    // Every startup run is a Group context with both snapshot keys, never `objects`.
    // (hook-engine currently runs the two grouped Synchronizations as two runs rather than
    // combining them into one; either way the shape is the Group one.)
    let start = h.run(0).await;
    assert_eq!(start[0]["type"], "Group");
    assert_eq!(start[0]["groupName"], "main");
    assert_eq!(start[0]["snapshots"], json!({"first": [], "second": []}));
    assert!(start[0].get("objects").is_none());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = h.runs();

    let api = h.config_maps("default");
    create(
        &api,
        &config_map("s1", json!({"role": "second"}), json!({})),
    )
    .await;
    let event = h.run(before).await;
    assert_eq!(
        event,
        json!([{"binding":"second","type":"Group","groupName":"main",
                "snapshots":{"first":[],"second":[{"filterResult":"s1"}]}}])
    );
    h.stop().await;
}

#[tokio::test]
async fn a_create_or_update_patch_written_by_the_hook_creates_the_config_map() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "executeHookOnEvent":[],"nameSelector":{"matchNames":["nothing"]}}]}"#,
        r#"cat > "$KUBERNETES_PATCH_PATH" <<'EOF'
{"operation":"CreateOrUpdate","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-patch","namespace":"default"},"data":{"x":"y"}}}
EOF"#,
    )
    .await;
    let sync = h.run(0).await;
    assert_eq!(sync[0]["objects"], json!([]));
    let api = h.config_maps("default");
    let deadline = tokio::time::Instant::now() + WAIT;
    let cm = loop {
        if let Some(cm) = api.get_opt("from-patch").await.unwrap() {
            break cm;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "config map not created"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(cm.data.unwrap()["x"], "y");
    h.stop().await;
}

#[tokio::test]
async fn kubectl_in_a_hook_reaches_the_cluster_through_kubeconfig() {
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[{"name":"cms","kind":"ConfigMap",
            "nameSelector":{"matchNames":["nothing"]}}]}"#,
        "kubectl create configmap from-kubectl -n default --from-literal=a=b >&2",
    )
    .await;
    h.run(0).await;
    let api = h.config_maps("default");
    let deadline = tokio::time::Instant::now() + WAIT;
    let cm = loop {
        if let Some(cm) = api.get_opt("from-kubectl").await.unwrap() {
            break cm;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "kubectl did not create the config map"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(cm.data.unwrap()["a"], "b");
    h.stop().await;
}
