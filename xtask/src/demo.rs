//! `cargo xtask demo`: the main job on the embedded default, no cluster needed.
//!
//! Starts `shell-operator --embedded-cluster` with the `101-monitor-pods` example hook, then drives
//! the in-process API server with the real `kubectl` (discovery, apply, strategic patch,
//! label-selected reads, a pod the hook reports), shows the hook's log line, the debug CLI's queue
//! listing and the hook metrics, and stops the operator with SIGTERM (exit 0 expected).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cmd;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Keep the operator running after the demo until Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
}

const DEMO_MANIFEST: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: default
  labels:
    app: demo
data:
  greeting: hello
"#;

const POD_MANIFEST: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  containers:
  - name: web
    image: nginx
"#;

const WAIT: Duration = Duration::from_secs(60);

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    cmd::run(cmd::cargo().args(["build", "--quiet", "-p", "shell-operator"]))?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cmd::root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        cmd::root().join(target)
    };
    let binary = target.join("debug").join("shell-operator");
    let dir = target.join("demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clean {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let kubeconfig = dir.join("kubeconfig.yaml");
    let socket = dir.join("debug.socket");
    let manifest = dir.join("configmap.yaml");
    let pod = dir.join("pod.yaml");
    std::fs::write(&manifest, DEMO_MANIFEST)?;
    std::fs::write(&pod, POD_MANIFEST)?;
    let hooks = cmd::root().join("examples/101-monitor-pods/hooks");
    let port = free_port()?;

    let mut operator = Command::new(&binary)
        .arg("start")
        .arg("--embedded-cluster")
        .arg("--embedded-cluster-kubeconfig")
        .arg(&kubeconfig)
        .arg("--hooks-dir")
        .arg(&hooks)
        .arg("--tmp-dir")
        .arg(dir.join("tmp"))
        .arg("--debug-unix-socket")
        .arg(&socket)
        .args(["--listen-address", "127.0.0.1", "--listen-port"])
        .arg(port.to_string())
        .args(["--log-type", "text"])
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let logs = echo_lines(&mut operator)?;
    let result = drive(&DemoEnv {
        binary: &binary,
        kubeconfig: &kubeconfig,
        socket: &socket,
        manifest: &manifest,
        pod: &pod,
        port,
        logs: &logs,
    });

    if args.keep_running && result.is_ok() {
        println!(
            "serving until Ctrl-C; KUBECONFIG={} (metrics on http://127.0.0.1:{port}/metrics)",
            kubeconfig.display()
        );
        let _ = operator.wait();
        return Ok(());
    }
    cmd::run(Command::new("kill").args(["-TERM", &operator.id().to_string()]))?;
    let status = operator.wait()?;
    result?;
    if !status.success() {
        bail!("shell-operator exited with {status} after SIGTERM");
    }
    if socket.exists() {
        bail!("the debug socket {} was not removed", socket.display());
    }
    println!("demo finished: shell-operator stopped cleanly");
    Ok(())
}

struct DemoEnv<'a> {
    binary: &'a Path,
    kubeconfig: &'a Path,
    socket: &'a Path,
    manifest: &'a Path,
    pod: &'a Path,
    port: u16,
    logs: &'a mpsc::Receiver<String>,
}

fn drive(env: &DemoEnv<'_>) -> anyhow::Result<()> {
    wait_for_log(env.logs, "Synchronization: 0 pods")?;
    let kubectl = |args: &[&str]| {
        cmd::run(
            Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(env.kubeconfig)
                .args(args),
        )
    };
    let manifest = env.manifest.to_string_lossy();
    let pod = env.pod.to_string_lossy();
    kubectl(&["version"])?;
    kubectl(&["get", "namespaces"])?;
    kubectl(&["apply", "-f", &manifest])?;
    kubectl(&[
        "patch",
        "configmap",
        "demo",
        "--type",
        "strategic",
        "-p",
        r#"{"data":{"patched":"yes"}}"#,
    ])?;
    kubectl(&["get", "configmaps", "-l", "app=demo", "-o", "yaml"])?;
    kubectl(&["delete", "configmap", "demo"])?;
    kubectl(&["apply", "-f", &pod])?;
    wait_for_log(env.logs, "Pod default/web added")?;
    cmd::run(
        Command::new(env.binary)
            .args(["queue", "list", "--debug-unix-socket"])
            .arg(env.socket),
    )?;
    let metrics = http_get(env.port, "/metrics")?;
    let runs: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("shell_operator_hook_run_success_total{"))
        .collect();
    if runs.is_empty() {
        bail!("/metrics has no shell_operator_hook_run_success_total");
    }
    println!("/metrics:\n  {}", runs.join("\n  "));
    Ok(())
}

/// Echoes the operator's stdout and hands each line to the returned receiver.
fn echo_lines(child: &mut Child) -> anyhow::Result<mpsc::Receiver<String>> {
    let stdout = child.stdout.take().context("shell-operator stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if tx.send(line).is_err() {
                // Nobody listens any more; keep echoing.
            }
        }
    });
    Ok(rx)
}

fn wait_for_log(logs: &mpsc::Receiver<String>, text: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match logs.recv_timeout(left) {
            Ok(line) if line.contains(text) => return Ok(()),
            Ok(_) => {}
            Err(_) => bail!("the operator did not log {text:?} within {WAIT:?}"),
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn http_get(port: u16, path: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}
