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
    kube: Arc<KubeBindings>,
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
            "#!/bin/bash\nset -e\nexec 9>\"$OUT/.lock\"\nflock 9\n\
             n=$(ls \"$OUT\" | grep -c json || true)\n\
             cp \"$BINDING_CONTEXT_PATH\" \"$OUT/.tmp\"\n\
             mv \"$OUT/.tmp\" \"$OUT/$(printf %03d \"$n\").json\"\nflock -u 9\n{extra_body}\n"
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
        let stopping = kube.clone();
        tracker.spawn(async move {
            engine.run(token).await;
            stopping.shutdown().await;
        });
        Self {
            cluster,
            kube,
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

    /// Waits until the cache of `binding` holds `n` objects.
    async fn cached(&self, binding: &str, n: usize) {
        use hook_engine::SnapshotSource;
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.kube.snapshot("hook.sh", binding).len() != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{binding} never cached {n} objects"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
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
    // Reference scenario 13: the two grouped Synchronizations are one run with one Group
    // context (the last binding's name) holding both snapshot keys, never `objects`.
    let start = h.run(0).await;
    assert_eq!(
        start,
        json!([{"binding":"second","type":"Group","groupName":"main",
                "snapshots":{"first": [], "second": []}}])
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = h.runs();
    assert_eq!(before, 1, "grouped synchronizations must run once");

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

#[tokio::test]
async fn synchronization_objects_are_read_at_run_time_and_events_during_it_follow_it() {
    // Reference scenario 15. `first` (own queue) blocks in its Synchronization until `$OUT/go`
    // exists; meanwhile f1 (seen by `first`) and s1 (seen by `second`) are created.
    let h = Harness::start(
        r#"{"configVersion":"v1","kubernetes":[
            {"name":"first","kind":"ConfigMap","queue":"q",
             "labelSelector":{"matchLabels":{"role":"first"}},"jqFilter":".metadata.name"},
            {"name":"second","kind":"ConfigMap",
             "labelSelector":{"matchLabels":{"role":"second"}},"jqFilter":".metadata.name"}]}"#,
        r#"if jq -e '.[0].type == "Synchronization" and .[0].binding == "first"' "$BINDING_CONTEXT_PATH" >/dev/null; then
  for i in $(seq 600); do [ -f "$OUT/go" ] && break; sleep 0.05; done
fi"#,
    )
    .await;
    let sync_first = h.run(0).await;
    assert_eq!(sync_first[0]["binding"], "first");
    assert_eq!(sync_first[0]["objects"], json!([]));

    let api = h.config_maps("default");
    create(&api, &config_map("f1", json!({"role": "first"}), json!({}))).await;
    create(
        &api,
        &config_map("s1", json!({"role": "second"}), json!({})),
    )
    .await;
    h.cached("first", 1).await;
    h.cached("second", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.runs(),
        1,
        "the event of `first` (queue q) must wait for its Synchronization"
    );
    std::fs::write(h.out.join("go"), b"").unwrap();

    let mut rest = [h.run(1).await, h.run(2).await];
    rest.sort_by_key(|ctx| ctx[0]["binding"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        rest[0],
        json!([{"binding":"first","type":"Event","watchEvent":"Added",
                "object": rest[0][0]["object"].clone(), "filterResult":"f1"}])
    );
    assert_eq!(rest[0][0]["object"]["metadata"]["name"], "f1");
    assert_eq!(rest[1][0]["type"], "Synchronization");
    assert_eq!(rest[1][0]["binding"], "second");
    assert_eq!(
        rest[1][0]["objects"][0]["filterResult"], "s1",
        "objects are read when the Synchronization runs"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.runs(),
        3,
        "s1 is part of the Synchronization, not an Added event"
    );
    h.stop().await;
}
