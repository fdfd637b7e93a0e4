//! An operator in a test: an embedded cluster, bash hooks loaded through `--config` into a hook
//! engine, the webhooks started on 127.0.0.1 with their Services routed by the cluster, and
//! the real kubectl.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use engine_webhooks::{ServiceEndpoint, Webhooks, WebhooksConfig};
use hook_engine::clock::SystemClock;
use hook_engine::{Engine, EngineConfig, Extensions, LoadOptions, RunnerConfig, load_hooks};
use hook_exec::{LogProxy, TmpFiles};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::pki::Pki;

/// `--namespace` of the operator under test.
pub const NAMESPACE: &str = "ops";
/// `--validating-webhook-service-name`.
pub const ADMISSION_SERVICE: &str = "hooks-validating";
/// `--conversion-webhook-service-name`.
pub const CONVERSION_SERVICE: &str = "hooks-conversion";
/// `--validating-webhook-configuration-name`.
pub const CONFIGURATION_NAME: &str = "shell-operator-hooks";
/// How long any awaited condition may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// A running operator with its cluster.
pub struct Operator {
    pub cluster: EmbeddedCluster,
    pub client: kube::Client,
    pub pki: Pki,
    webhooks: Option<Webhooks>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    out: PathBuf,
    kubectl_cache: PathBuf,
    dir: tempfile::TempDir,
}

/// What one kubectl run printed.
pub struct Output {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Operator {
    /// Starts a cluster and an operator whose hooks dir holds `hooks` (file name, script), the
    /// way an operator with `--embedded-cluster` does: serve, route the Services, register.
    pub async fn start(hooks: &[(&str, &str)]) -> Operator {
        Operator::start_with(hooks, Startup::RouteThenRegister).await
    }

    /// Like [`Operator::start`], choosing how the webhooks start.
    pub async fn start_with(hooks: &[(&str, &str)], startup: Startup) -> Operator {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let kubectl_cache = dir.path().join("kubectl-cache");
        std::fs::create_dir_all(&kubectl_cache).unwrap();
        let pki = Pki::create(&dir.path().join("certs"));
        let shutdown = CancellationToken::new();
        let engine = engine(dir.path(), hooks, &shutdown).await;

        let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
            .await
            .unwrap();
        let client = cluster.client().unwrap();
        let (registry, runs) = (engine.registry(), engine.direct_runs());
        let webhooks = match startup {
            Startup::RouteThenRegister => Webhooks::start_routed(
                config(&pki),
                registry,
                runs,
                &client,
                &shutdown,
                |endpoint| route_one(&cluster, endpoint),
            )
            .await
            .unwrap(),
            Startup::OneCall => {
                let webhooks = Webhooks::start(config(&pki), registry, runs, &client, &shutdown)
                    .await
                    .unwrap();
                route(&cluster, &webhooks);
                webhooks
            }
        };

        let tracker = TaskTracker::new();
        tracker.spawn(engine.run(shutdown.clone()));
        Operator {
            cluster,
            client,
            pki,
            webhooks: Some(webhooks),
            shutdown,
            tracker,
            out,
            kubectl_cache,
            dir,
        }
    }

    /// The running webhooks.
    pub fn webhooks(&self) -> &Webhooks {
        self.webhooks.as_ref().unwrap()
    }

    /// Runs the real kubectl against the cluster.
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(self.cluster.kubeconfig_path())
            .arg("--cache-dir")
            .arg(&self.kubectl_cache)
            .args(args)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("kubectl finished in time")
            .expect("kubectl runs");
        Output {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `kubectl apply -f` of a manifest.
    pub async fn apply(&self, manifest: &str) -> Output {
        let file = tempfile::Builder::new()
            .suffix(".yaml")
            .tempfile_in(self.dir.path())
            .unwrap();
        std::fs::write(file.path(), manifest).unwrap();
        self.kubectl(&["apply", "-f", file.path().to_str().unwrap()])
            .await
    }

    /// The lines hooks appended to `$OUT/<name>`.
    pub fn log(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.out.join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Empties `$OUT/<name>`.
    pub fn clear_log(&self, name: &str) {
        std::fs::write(self.out.join(name), "").unwrap();
    }

    /// Stops the webhooks and the engine, then the cluster; returns the webhook addresses that
    /// were served.
    pub async fn stop(mut self) -> Vec<std::net::SocketAddr> {
        self.shutdown.cancel();
        let mut addrs = Vec::new();
        if let Some(webhooks) = self.webhooks.take() {
            addrs = webhooks.endpoints().into_iter().map(|e| e.addr).collect();
            webhooks.shutdown().await;
        }
        self.tracker.close();
        tokio::time::timeout(WAIT, self.tracker.wait())
            .await
            .expect("engine stops");
        addrs
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// How the operator under test starts its webhooks.
#[derive(Debug, Clone, Copy)]
pub enum Startup {
    /// `Webhooks::start_routed`: the Services are routed in the cluster before registering.
    RouteThenRegister,
    /// `Webhooks::start`, then route the Services.
    OneCall,
}

fn route(cluster: &EmbeddedCluster, webhooks: &Webhooks) {
    for endpoint in webhooks.endpoints() {
        route_one(cluster, &endpoint);
    }
}

fn route_one(cluster: &EmbeddedCluster, endpoint: &ServiceEndpoint) {
    assert_eq!(endpoint.namespace, NAMESPACE);
    cluster.register_service(&endpoint.namespace, &endpoint.service_name, endpoint.addr);
}

/// A hook engine over `<dir>/hooks` holding `hooks` (file name, script), loaded through
/// `--config`; hooks get `$OUT` = `<dir>/out`.
pub async fn engine(dir: &Path, hooks: &[(&str, &str)], shutdown: &CancellationToken) -> Engine {
    let hooks_dir = dir.join("hooks");
    let out = dir.join("out");
    let tmp = dir.join("tmp");
    for d in [&hooks_dir, &out, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    for (name, script) in hooks {
        let path = hooks_dir.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ("OUT".into(), out.into()),
    ];
    let options = LoadOptions {
        env: env.clone(),
        ..LoadOptions::default()
    };
    let registry = load_hooks(&hooks_dir, &options, shutdown).await.unwrap();
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
    Engine::new(
        registry,
        engine_config,
        Extensions::default(),
        Arc::new(SystemClock),
    )
}

/// The webhook settings of the operator under test: both servers on 127.0.0.1, port 0.
pub fn config(pki: &Pki) -> WebhooksConfig {
    let mut config = WebhooksConfig {
        namespace: NAMESPACE.to_owned(),
        cert_reload_interval: Duration::from_millis(50),
        ..WebhooksConfig::default()
    };
    config.admission.configuration_name = CONFIGURATION_NAME.to_owned();
    config.conversion.retry_delay = Duration::from_millis(50);
    config.conversion.max_retry_delay = Duration::from_millis(200);
    for (server, service) in [
        (&mut config.admission.server, ADMISSION_SERVICE),
        (&mut config.conversion.server, CONVERSION_SERVICE),
    ] {
        server.service_name = service.to_owned();
        server.server_cert = pki.cert();
        server.server_key = pki.key();
        server.ca = Some(pki.ca());
        server.listen_address = "127.0.0.1".to_owned();
        server.listen_port = 0;
    }
    config
}

/// Polls `check` until it returns `Some`, failing after [`WAIT`] with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A bash hook: prints `config` (YAML) on `--config`, else runs `body`.
pub fn hook(config: &str, body: &str) -> String {
    format!(
        "#!/usr/bin/env bash\nset -euo pipefail\nif [[ \"${{1:-}}\" == \"--config\" ]]; then\ncat <<'CONFIG'\n{config}\nCONFIG\nexit 0\nfi\n{body}\n"
    )
}

/// True when a TCP connection to `addr` is refused (the server is gone).
pub async fn refused(addr: std::net::SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}
