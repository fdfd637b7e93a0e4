//! `addon-operator start --embedded-cluster` on the repository's `modules/`: the debug CLI shows
//! the modules' live values, and `module render` follows ConfigMap changes made through the API
//! and matches `addon-operator render` of the chart with the values `module values -g` prints;
//! `module list` follows the `<key>Enabled` flags and the modules' `enabled` scripts; enabled
//! modules are deployed as Helm releases, disabled ones uninstalled, stale releases purged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail by panicking"
)]

mod http;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_addon-operator");
const TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

fn modules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../modules")
}

/// Which modules the operator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modules {
    /// The repository's `modules/` alone.
    Repository,
    /// Plus a second modules path with `blocker`, a module that deploys into the namespace
    /// `d8-blocker` without creating it: it fails, so the first converge does not end, until
    /// the test creates that namespace.
    WithBlocker,
}

/// Writes the `blocker` module's path under `dir`.
fn write_blocker(dir: &Path) -> PathBuf {
    let path = dir.join("extra-modules");
    let module = path.join("030-blocker");
    std::fs::create_dir_all(module.join("templates")).unwrap();
    std::fs::write(path.join("values.yaml"), "blockerEnabled: true\n").unwrap();
    std::fs::write(module.join("Chart.yaml"), "name: blocker\nversion: 0.1.0\n").unwrap();
    std::fs::write(
        module.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blocker\n  namespace: d8-blocker\n",
    )
    .unwrap();
    path
}

/// The running operator; killed when the test ends.
struct Operator {
    _child: Child,
    dir: tempfile::TempDir,
}

impl Operator {
    async fn start(modules: Modules) -> Operator {
        let dir = tempfile::tempdir().unwrap();
        let mut modules_dirs = modules_dir().into_os_string();
        if modules == Modules::WithBlocker {
            modules_dirs.push(":");
            modules_dirs.push(write_blocker(dir.path()));
        }
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(BIN)
            .arg("start")
            .arg("--embedded-cluster")
            .arg("--modules-dir")
            .arg(modules_dirs)
            .arg("--tmp-dir")
            .arg(dir.path())
            .arg("--global-hooks-dir")
            .arg(dir.path().join("no-global-hooks"))
            .arg("--debug-unix-socket")
            .arg(dir.path().join("debug.socket"))
            // Parallel tests: a free port each, on loopback only.
            .args(["--prometheus-listen-address", "127.0.0.1"])
            .args(["--prometheus-listen-port", "0"])
            .env("ADDON_OPERATOR_RESOURCES_MONITOR_INTERVAL", "1s")
            .env("HELM_IGNORE_RELEASE", "keep-me")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let op = Operator { _child: child, dir };
        let socket = op.socket();
        op.wait_for("the debug socket", || {
            let socket = socket.clone();
            async move { socket.exists().then_some(()) }
        })
        .await;
        op
    }

    /// The HTTP server's address, from its log line.
    async fn http_addr(&self) -> String {
        let re = regex::Regex::new(r"http server listening addr=(\S+)").unwrap();
        self.wait_for("the http server", || async {
            re.captures(&self.log()).map(|c| c[1].to_owned())
        })
        .await
    }

    /// `GET path` on the HTTP server: the status code and the body.
    async fn get(&self, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut stream = tokio::net::TcpStream::connect(self.http_addr().await)
            .await
            .unwrap();
        let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let code = head.split(' ').nth(1).unwrap().parse().unwrap();
        (code, body.to_owned())
    }

    /// Waits until `/metrics` has a line starting with `prefix` (a metric and its labels).
    async fn wait_for_metric(&self, prefix: &str) -> String {
        self.wait_for(&format!("metric {prefix}"), || async {
            let (_, text) = self.get("/metrics").await;
            text.lines()
                .find(|l| l.starts_with(prefix))
                .map(str::to_owned)
        })
        .await
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("debug.socket")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    async fn client(&self) -> kube::Client {
        let kubeconfig =
            Kubeconfig::read_from(self.dir.path().join("embedded-kubeconfig.yaml")).unwrap();
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap();
        kube::Client::try_from(config).unwrap()
    }

    /// `addon-operator <args> --debug-unix-socket ...`: stdout, or the failure.
    async fn cli(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(BIN)
            .args(args)
            .arg("--debug-unix-socket")
            .arg(self.socket())
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// Polls `check` until it gives a value, failing after [`TIMEOUT`] with the operator's log.
    async fn wait_for<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; operator log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `module list -o json` prints `expected`.
    async fn wait_for_enabled(&self, expected: &str) {
        self.wait_for(&format!("module list to be {expected}"), || async {
            let out = self.cli(&["module", "list", "-o", "json"]).await.ok()?;
            (out.trim() == expected).then_some(())
        })
        .await;
    }

    /// `addon-operator render` of the module's chart with what `module values -g` shows now.
    async fn offline_render(&self, module_dir: &str, module: &str) -> String {
        let values = self
            .cli(&["module", "values", module, "-g", "-o", "yaml"])
            .await
            .unwrap();
        let file = self.dir.path().join(format!("{module}-values.yaml"));
        std::fs::write(&file, values).unwrap();
        let out = Command::new(BIN)
            .arg("render")
            .arg(modules_dir().join(module_dir))
            .arg("-f")
            .arg(&file)
            .args(["--name", module, "--namespace", "default", "--is-upgrade"])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn config_map(data: &[(&str, &str)]) -> ConfigMap {
    let data: BTreeMap<String, String> = data
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("addon-operator".into());
    cm.data = Some(data);
    cm
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_render_follows_the_config_map_and_matches_the_offline_render() {
    let op = Operator::start(Modules::Repository).await;

    // Without a ConfigMap: static values and the `<key>Enabled` flags of modules/values.yaml.
    assert_eq!(
        op.cli(&["module", "list", "-o", "json"])
            .await
            .unwrap()
            .trim(),
        r#"{"enabledModules":["cron-reporter","echo-server"]}"#
    );
    let first = op.cli(&["module", "render", "echo-server"]).await.unwrap();
    assert!(first.contains("Hello from echo-server in demo"), "{first}");
    assert!(first.contains("replicas: 1\n"), "{first}");
    assert_eq!(
        first.trim(),
        op.offline_render("010-echo-server", "echo-server")
            .await
            .trim(),
        "module render differs from addon-operator render with the same values"
    );

    // Deployed with these values before the ConfigMap below changes them.
    let client = op.client().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    op.wait_for("echo-server's release v1", || async {
        let status = release_status(&secrets, "sh.helm.release.v1.echo-server.v1").await?;
        (status == "deployed").then_some(())
    })
    .await;

    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut cm = config_map(&[
        ("global", "clusterName: live\n"),
        ("echoServer", "replicas: 3\nextraEnv: {MODE: fast}\n"),
        ("cronReporterEnabled", "false"),
    ]);
    cm = api.create(&PostParams::default(), &cm).await.unwrap();

    let second = op
        .wait_for("the render to follow the ConfigMap", || async {
            let text = op.cli(&["module", "render", "echo-server"]).await.ok()?;
            text.contains("replicas: 3\n").then_some(text)
        })
        .await;
    assert!(
        second.contains("Hello from echo-server in live"),
        "{second}"
    );
    assert!(second.contains("MODE"), "{second}");
    assert_eq!(
        second.trim(),
        op.offline_render("010-echo-server", "echo-server")
            .await
            .trim()
    );
    op.wait_for_enabled(r#"{"enabledModules":["echo-server"]}"#)
        .await;

    // The change is deployed: echo-server's release moves to v2 with 3 replicas.
    let deployments: Api<Deployment> = Api::namespaced(client, "d8-echo-server");
    op.wait_for("echo-server's release v2 with 3 replicas", || async {
        let status = release_status(&secrets, "sh.helm.release.v1.echo-server.v2").await?;
        let replicas = deployments.get("echo-server").await.ok()?.spec?.replicas?;
        (status == "deployed" && replicas == 3).then_some(())
    })
    .await;
    assert_eq!(
        release_status(&secrets, "sh.helm.release.v1.echo-server.v1")
            .await
            .as_deref(),
        Some("superseded")
    );
    assert_eq!(
        op.cli(&["module", "config", "echo-server", "-o", "json"])
            .await
            .unwrap()
            .trim(),
        r#"{"extraEnv":{"MODE":"fast"},"replicas":3}"#
    );
    assert_eq!(
        op.cli(&["global", "config", "-o", "json"])
            .await
            .unwrap()
            .trim(),
        r#"{"clusterName":"live"}"#
    );

    // An invalid section is rejected as a whole: the global change that came with it is not
    // applied either, and the error names the key and the field.
    cm.data = config_map(&[
        ("global", "clusterName: broken\n"),
        ("echoServer", "replicas: many\n"),
    ])
    .data;
    cm = api
        .replace("addon-operator", &PostParams::default(), &cm)
        .await
        .unwrap();
    op.wait_for("the invalid ConfigMap to be reported", || async {
        op.log().contains("ConfigMap is invalid").then_some(())
    })
    .await;
    let log = op.log();
    assert!(
        log.contains("ConfigMap key 'echoServer'") && log.contains("echoServer.replicas"),
        "{log}"
    );
    let kept = op.cli(&["module", "render", "echo-server"]).await.unwrap();
    assert_eq!(kept, second, "the last good values stay in effect");

    // The `enabled` script of echo-server disables it for the cluster name `no-echo`.
    cm.data = config_map(&[("global", "clusterName: no-echo\n")]).data;
    api.replace("addon-operator", &PostParams::default(), &cm)
        .await
        .unwrap();
    op.wait_for_enabled(r#"{"enabledModules":["cron-reporter"]}"#)
        .await;

    // Unknown modules are an error of the request, not of the operator.
    let err = op.cli(&["module", "values", "nope"]).await.unwrap_err();
    assert!(err.contains("module not found"), "{err}");
}

/// The release Secret of the release `name`, when it exists, and its `status` label.
async fn release_status(secrets: &Api<Secret>, name: &str) -> Option<String> {
    let secret = secrets.get_opt(name).await.ok()??;
    secret.metadata.labels?.get("status").cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabled_modules_are_deployed_disabled_ones_uninstalled_and_stale_releases_purged() {
    let op = Operator::start(Modules::WithBlocker).await;
    let client = op.client().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "d8-echo-server");

    // echo-server and cron-reporter deploy (their charts have their namespaces); blocker fails
    // and is retried while its namespace does not exist.
    op.wait_for("echo-server's release", || async {
        let status = release_status(&secrets, "sh.helm.release.v1.echo-server.v1").await?;
        (status == "deployed").then_some(())
    })
    .await;
    let deployment = deployments.get("echo-server").await.unwrap();
    let labels = deployment.metadata.labels.unwrap();
    assert_eq!(labels["heritage"], "addon-operator");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "Helm");
    let secret = secrets
        .get("sh.helm.release.v1.echo-server.v1")
        .await
        .unwrap();
    let checksum = &secret.metadata.labels.unwrap()["moduleChecksum"];
    assert_eq!(checksum.len(), 32, "{checksum}");
    op.wait_for("blocker to fail", || async {
        op.log()
            .contains("module step failed, will retry module=\"blocker\"")
            .then_some(())
    })
    .await;
    assert!(!op.log().contains("addon-operator is ready"));

    // A release of no module, written by Helm, with its object: purged after the first
    // converge, which ends once blocker's namespace exists and its retry succeeds.
    let stale: Secret = serde_json::from_str(include_str!(
        "../../../addon-releases/tests/fixtures/helm-v4-release-secret.json"
    ))
    .unwrap();
    secrets
        .create(&PostParams::default(), &stale)
        .await
        .unwrap();
    // The same under the name HELM_IGNORE_RELEASE names: left alone.
    let mut ignored = stale.clone();
    ignored.metadata.name = Some("sh.helm.release.v1.keep-me.v1".into());
    if let Some(labels) = ignored.metadata.labels.as_mut() {
        labels.insert("name".into(), "keep-me".into());
    }
    secrets
        .create(&PostParams::default(), &ignored)
        .await
        .unwrap();
    config_maps
        .create(&PostParams::default(), &config_map_named("demo-cm"))
        .await
        .unwrap();
    create_namespace(&client, "d8-blocker").await;
    op.wait_for("the stale release to be purged", || async {
        let gone = secrets
            .get_opt("sh.helm.release.v1.demo.v1")
            .await
            .ok()?
            .is_none()
            && config_maps.get_opt("demo-cm").await.ok()?.is_none();
        gone.then_some(())
    })
    .await;
    assert!(op.log().contains("addon-operator is ready"), "{}", op.log());
    assert!(
        secrets
            .get_opt("sh.helm.release.v1.keep-me.v1")
            .await
            .unwrap()
            .is_some(),
        "HELM_IGNORE_RELEASE is not purged: {}",
        op.log()
    );
    let cron = Api::<Secret>::namespaced(client.clone(), "default")
        .list(&ListParams::default().labels("name=cron-reporter,status=deployed"))
        .await
        .unwrap();
    assert_eq!(cron.items.len(), 1);

    // The resources monitor recreates an object deleted behind the operator's back.
    let contents: Api<ConfigMap> = Api::namespaced(client.clone(), "d8-echo-server");
    contents
        .delete("echo-server-content", &DeleteParams::default())
        .await
        .unwrap();
    op.wait_for("the monitor to recreate the deleted object", || async {
        contents
            .get_opt("echo-server-content")
            .await
            .ok()?
            .map(|_| ())
    })
    .await;
    assert!(
        op.log().contains("absent resources detected"),
        "{}",
        op.log()
    );

    // Disabling echo-server through the ConfigMap uninstalls it.
    config_maps
        .create(
            &PostParams::default(),
            &config_map(&[("echoServerEnabled", "false")]),
        )
        .await
        .unwrap();
    op.wait_for("echo-server to be uninstalled", || async {
        let deployment_gone = deployments.get_opt("echo-server").await.ok()?.is_none();
        let releases = secrets
            .list(&ListParams::default().labels("owner=helm,name=echo-server"))
            .await
            .ok()?;
        (deployment_gone && releases.items.is_empty()).then_some(())
    })
    .await;
    op.wait_for_enabled(r#"{"enabledModules":["blocker","cron-reporter"]}"#)
        .await;
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let mut ns = Namespace::default();
    ns.metadata.name = Some(name.into());
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
}

fn config_map_named(name: &str) -> ConfigMap {
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some(name.into());
    cm
}
