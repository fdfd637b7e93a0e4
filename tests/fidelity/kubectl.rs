//! The real kubectl binary against the embedded server, with no extra flags.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use embedded_apiserver::EmbeddedCluster;
use tokio::process::Command;

use crate::common::cluster;

/// Runs the real kubectl against its own cluster.
pub(crate) struct Kubectl {
    pub(crate) cluster: EmbeddedCluster,
    cache: tempfile::TempDir,
    binary: PathBuf,
}

/// What one kubectl run printed.
pub(crate) struct Output {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Kubectl {
    /// The `kubectl` on `PATH`.
    pub(crate) async fn new() -> Self {
        Self::with_binary(PathBuf::from("kubectl")).await
    }

    /// A given kubectl binary.
    pub(crate) async fn with_binary(binary: PathBuf) -> Self {
        Self {
            cluster: cluster().await,
            cache: tempfile::tempdir().unwrap(),
            binary,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let cache = self.cache.path().to_string_lossy();
        let args: Vec<&str> = ["--cache-dir", &cache]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let mut cmd = Command::from(integration_tests::kubectl_binary_command(
            &self.binary,
            self.cluster.kubeconfig_path(),
            &args,
        ));
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    pub(crate) async fn run(&self, args: &[&str]) -> Output {
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(args).output())
            .await
            .expect("kubectl finished")
            .expect("kubectl runs");
        Output {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub(crate) async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.ok, "kubectl {args:?} failed: {}", out.stderr);
        out.stdout
    }

    pub(crate) fn manifest(&self, text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new()
            .suffix(".yaml")
            .tempfile_in(self.cache.path())
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        image: nginx
        env: [{name: A, value: "1"}]
"#;

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
"#;

#[tokio::test]
async fn kubectl_lists_the_initial_namespaces() {
    let k = Kubectl::new().await;
    let out = k.ok(&["get", "namespaces", "-o", "name"]).await;
    for ns in embedded_apiserver::INITIAL_NAMESPACES {
        assert!(out.contains(&format!("namespace/{ns}")), "{out}");
    }
}

#[tokio::test]
async fn kubectl_uses_aggregated_discovery_without_falling_back() {
    let k = Kubectl::new().await;
    let crd = k.manifest(CRD);
    k.ok(&["apply", "-f", crd.path().to_str().unwrap()]).await;
    let out = k.run(&["api-resources", "-v=6"]).await;
    assert!(out.ok, "{}", out.stderr);
    for resource in ["deployments", "configmaps", "leases", "widgets"] {
        assert!(
            out.stdout.contains(resource),
            "{resource} missing: {}",
            out.stdout
        );
    }
    // With aggregated discovery kubectl reads /api and /apis only; the legacy fallback would
    // fetch every group version.
    assert!(out.stderr.contains("/apis?timeout"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("/apis/apps/v1?") && !out.stderr.contains("/api/v1?"),
        "kubectl fell back to per-group discovery: {}",
        out.stderr
    );
}

#[tokio::test]
async fn kubectl_apply_twice_then_patch_and_scale() {
    apply_twice_then_patch_and_scale(&Kubectl::new().await).await;
}

pub(crate) async fn apply_twice_then_patch_and_scale(k: &Kubectl) {
    let file = k.manifest(DEPLOYMENT);
    let path = file.path().to_str().unwrap();
    assert!(
        k.ok(&["apply", "-f", path])
            .await
            .contains("deployment.apps/web created")
    );
    let changed = k.manifest(&DEPLOYMENT.replace("replicas: 2", "replicas: 3"));
    assert!(
        k.ok(&["apply", "-f", changed.path().to_str().unwrap()])
            .await
            .contains("configured")
    );
    let out = k
        .ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.replicas} {.metadata.generation}",
        ])
        .await;
    assert_eq!(out, "3 2");
    let patch =
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:2"}]}}}}"#;
    k.ok(&["patch", "deploy", "web", "--type", "strategic", "-p", patch])
        .await;
    let out = k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].name}"]).await;
    assert_eq!(
        out, "nginx:2 A",
        "strategic merge keeps the env of the merged container"
    );
    k.ok(&["scale", "deploy", "web", "--replicas", "5"]).await;
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])
            .await,
        "5"
    );
    let dup = k.run(&["create", "-f", path]).await;
    assert!(
        !dup.ok && dup.stderr.contains("AlreadyExists"),
        "{}",
        dup.stderr
    );
    k.ok(&["delete", "deploy", "web"]).await;
    let gone = k.run(&["get", "deploy", "web"]).await;
    assert!(
        !gone.ok && gone.stderr.contains("NotFound"),
        "{}",
        gone.stderr
    );
}

#[tokio::test]
async fn kubectl_server_side_apply_and_label_selectors() {
    server_side_apply_and_label_selectors(&Kubectl::new().await).await;
}

pub(crate) async fn server_side_apply_and_label_selectors(k: &Kubectl) {
    let file = k.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {app: web}\ndata: {x: '1'}\n");
    k.ok(&[
        "apply",
        "--server-side",
        "-f",
        file.path().to_str().unwrap(),
    ])
    .await;
    let other =
        k.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {app: db}\n");
    k.ok(&["create", "-f", other.path().to_str().unwrap()])
        .await;
    assert_eq!(
        k.ok(&["get", "cm", "-l", "app=web", "-o", "name"])
            .await
            .trim(),
        "configmap/a"
    );
    assert_eq!(
        k.ok(&["get", "cm", "-l", "app notin (web)", "-o", "name"])
            .await
            .trim(),
        "configmap/b"
    );
    k.ok(&["label", "cm", "a", "tier=fe"]).await;
    assert_eq!(
        k.ok(&["get", "cm", "-l", "tier", "-o", "name"])
            .await
            .trim(),
        "configmap/a"
    );
}

#[tokio::test]
async fn kubectl_creates_crds_and_custom_resources() {
    crds_and_custom_resources(&Kubectl::new().await).await;
}

pub(crate) async fn crds_and_custom_resources(k: &Kubectl) {
    let crd = k.manifest(CRD);
    k.ok(&["apply", "-f", crd.path().to_str().unwrap()]).await;
    k.ok(&[
        "wait",
        "--for",
        "condition=established",
        "--timeout=20s",
        "crd/widgets.example.com",
    ])
    .await;
    let cr = k.manifest(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n",
    );
    k.ok(&["apply", "-f", cr.path().to_str().unwrap()]).await;
    let changed = k.manifest(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 4}\n",
    );
    k.ok(&["apply", "-f", changed.path().to_str().unwrap()])
        .await;
    assert_eq!(
        k.ok(&["get", "wd", "w1", "-o", "jsonpath={.spec.size}"])
            .await,
        "4"
    );
    let smp = k
        .run(&[
            "patch",
            "wd",
            "w1",
            "--type",
            "strategic",
            "-p",
            r#"{"spec":{"size":5}}"#,
        ])
        .await;
    assert!(!smp.ok, "custom resources refuse strategic merge patches");
    k.ok(&[
        "patch",
        "wd",
        "w1",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"size":5}}"#,
    ])
    .await;
    assert_eq!(
        k.ok(&[
            "get",
            "widgets.example.com",
            "w1",
            "-o",
            "jsonpath={.spec.size}"
        ])
        .await,
        "5"
    );
    k.ok(&["delete", "crd", "widgets.example.com"]).await;
}

#[tokio::test]
async fn kubectl_get_watch_streams_changes() {
    let k = Kubectl::new().await;
    let file = k.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    k.ok(&["create", "-f", file.path().to_str().unwrap()]).await;
    let mut child = k
        .command(&[
            "get",
            "cm",
            "a",
            "-w",
            "-o",
            "name",
            "--request-timeout=30s",
        ])
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let read_line = async {
        use tokio::io::AsyncReadExt as _;
        let mut buf = [0u8; 256];
        while !seen.contains("configmap/a") {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0, "kubectl exited early");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read_line)
        .await
        .expect("initial line");
    k.ok(&["label", "cm", "a", "x=y"]).await;
    let count_lines = async {
        use tokio::io::AsyncReadExt as _;
        let mut buf = [0u8; 256];
        while seen.matches("configmap/a").count() < 2 {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0, "kubectl exited early");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    tokio::time::timeout(Duration::from_secs(30), count_lines)
        .await
        .expect("change line");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn kubectl_create_namespace_and_delete_it() {
    let k = Kubectl::new().await;
    let file = k.manifest("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
    k.ok(&["create", "-f", file.path().to_str().unwrap()]).await;
    let cm = k.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\n");
    k.ok(&["apply", "-f", cm.path().to_str().unwrap()]).await;
    k.ok(&["delete", "namespace", "team", "--timeout=20s"])
        .await;
    let gone = k.run(&["get", "namespace", "team"]).await;
    assert!(!gone.ok, "namespace is gone after kubectl delete waits");
}

#[tokio::test]
async fn kubectl_create_generators_send_protobuf_we_understand() {
    let k = Kubectl::new().await;
    k.ok(&["create", "namespace", "team"]).await;
    k.ok(&[
        "create",
        "configmap",
        "cfg",
        "-n",
        "team",
        "--from-literal=a=b",
    ])
    .await;
    k.ok(&[
        "create",
        "secret",
        "generic",
        "s",
        "-n",
        "team",
        "--from-literal=p=hunter2",
    ])
    .await;
    k.ok(&["create", "serviceaccount", "bot", "-n", "team"])
        .await;
    assert_eq!(
        k.ok(&["get", "cm", "cfg", "-n", "team", "-o", "jsonpath={.data.a}"])
            .await,
        "b"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "secret",
            "s",
            "-n",
            "team",
            "-o",
            "jsonpath={.data.p}"
        ])
        .await,
        "aHVudGVyMg=="
    );
    let labels = k
        .ok(&["get", "ns", "team", "-o", "jsonpath={.metadata.labels}"])
        .await;
    assert!(labels.contains("kubernetes.io/metadata.name"), "{labels}");
}

#[tokio::test]
async fn kubectl_edit_applies_the_edited_object() {
    let k = Kubectl::new().await;
    let file =
        k.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {color: red}\n");
    k.ok(&["apply", "-f", file.path().to_str().unwrap()]).await;
    let editor = k.cache.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/color: red/color: blue/' \"$1\"\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&editor).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&editor, perms).unwrap();
    let mut cmd = k.command(&["edit", "cm", "a"]);
    cmd.env("KUBE_EDITOR", &editor);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        k.ok(&["get", "cm", "a", "-o", "jsonpath={.data.color}"])
            .await,
        "blue"
    );
}
