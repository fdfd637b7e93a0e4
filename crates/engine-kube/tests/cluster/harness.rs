//! The test harness: an embedded cluster and an engine running one recording hook.

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
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// A running cluster + engine; dropped at the end of each test.
pub(crate) struct Harness {
    cluster: EmbeddedCluster,
    kube: Arc<KubeBindings>,
    client: kube::Client,
    pub(crate) out: PathBuf,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Starts an engine with one hook `hook.sh` of `config`, whose body runs after the context
    /// file is copied to `<out>/NNN.json`.
    pub(crate) async fn start(config: &str, extra_body: &str) -> Self {
        let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
            .await
            .expect("cluster starts");
        let client = cluster.client().expect("client");
        Self::start_on(cluster, client, config, extra_body).await
    }

    /// Like [`Harness::start`], with ConfigMaps `(name, role label)` in `default` created first.
    pub(crate) async fn start_with_objects(config: &str, objects: &[(&str, &str)]) -> Self {
        let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
            .await
            .expect("cluster starts");
        let client = cluster.client().expect("client");
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        for (name, role) in objects {
            create(&api, &config_map(name, json!({ "role": role }), json!({}))).await;
        }
        Self::start_on(cluster, client, config, "").await
    }

    pub(crate) async fn start_on(
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

    pub(crate) fn config_maps(&self, namespace: &str) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// Waits for run number `n` (0-based) and returns its binding context.
    pub(crate) async fn run(&self, n: usize) -> Value {
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
    pub(crate) async fn cached(&self, binding: &str, n: usize) {
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

    /// Every context of every run so far, in run order.
    pub(crate) fn contexts(&self) -> Vec<Value> {
        (0..self.runs())
            .filter_map(|n| std::fs::read(self.out.join(format!("{n:03}.json"))).ok())
            .filter_map(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .flat_map(|run| run.as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Waits for the first context (over all runs, in order) that matches `pred`.
    pub(crate) async fn context(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(found) = self.contexts().into_iter().find(|c| pred(c)) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no context {what}; contexts so far: {:#?}",
                self.contexts()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn runs(&self) -> usize {
        std::fs::read_dir(&self.out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json"))
            })
            .count()
    }

    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        self.cluster.shutdown().await;
    }
}

pub(crate) fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub(crate) fn config_map(name: &str, labels: Value, data: Value) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": data,
    }))
    .unwrap()
}

pub(crate) async fn create(api: &Api<ConfigMap>, cm: &ConfigMap) {
    api.create(&PostParams::default(), cm).await.unwrap();
}

pub(crate) fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["object"]["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}
