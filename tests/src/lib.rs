//! Shared helpers for the integration test binaries: start the operator program on a hooks
//! directory, wait on its JSON log, talk to its HTTP server and debug socket, and drive the
//! cluster with the real `kubectl`. Every wait polls with a deadline; nothing sleeps to
//! synchronise.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generous: the CI machine has two cores shared by many tests.
pub const WAIT: Duration = Duration::from_secs(90);

/// How often conditions are polled.
const POLL: Duration = Duration::from_millis(50);

/// Polls `cond` until it holds, panicking with `what` and `context()` after [`WAIT`].
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool, context: impl Fn() -> String) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < WAIT,
            "timed out waiting for {what}\n{}",
            context()
        );
        std::thread::sleep(POLL);
    }
}

/// Writes an executable bash hook `name` (may contain `/`) under `dir`.
pub fn write_hook(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// The repository root (for `examples/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// How to start an operator.
#[derive(Debug, Clone)]
pub struct OperatorSpec {
    bin: PathBuf,
    hooks_dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    embedded_cluster: bool,
}

impl OperatorSpec {
    /// `bin start --hooks-dir <hooks_dir>` with JSON logs, `127.0.0.1:0` and a private socket.
    pub fn new(bin: &str, hooks_dir: &Path) -> Self {
        Self {
            bin: PathBuf::from(bin),
            hooks_dir: hooks_dir.to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            embedded_cluster: false,
        }
    }

    /// Adds `--embedded-cluster`; [`Operator::kubeconfig`] then points at it.
    pub fn embedded_cluster(mut self) -> Self {
        self.embedded_cluster = true;
        self
    }

    /// Adds command-line arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the operator (and its hooks).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts the process.
    pub fn start(self) -> Operator {
        let work = tempfile::tempdir().unwrap();
        let record = work.path().join("record");
        fs::create_dir(&record).unwrap();
        let stdout = fs::File::create(work.path().join("stdout")).unwrap();
        let stderr = fs::File::create(work.path().join("stderr")).unwrap();
        let socket = work.path().join("debug.socket");
        let mut cmd = Command::new(&self.bin);
        cmd.arg("start")
            .arg("--hooks-dir")
            .arg(&self.hooks_dir)
            .arg("--tmp-dir")
            .arg(work.path().join("tmp"))
            .arg("--log-type=json")
            .arg("--listen-address=127.0.0.1")
            .arg("--listen-port=0")
            .arg("--debug-unix-socket")
            .arg(&socket);
        if self.embedded_cluster {
            cmd.arg("--embedded-cluster");
        }
        cmd.args(&self.args)
            .env("RECORD_DIR", &record)
            .env_remove("KUBECONFIG")
            .env_remove("LOG_TYPE")
            .env_remove("LOG_LEVEL")
            .env_remove("SHELL_OPERATOR_HOOKS_DIR")
            .env_remove("DEBUG_UNIX_SOCKET")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        let child = cmd.spawn().unwrap();
        Operator {
            child,
            bin: self.bin,
            socket,
            work,
        }
    }
}

/// A running operator process; killed when dropped.
#[derive(Debug)]
pub struct Operator {
    child: Child,
    bin: PathBuf,
    socket: PathBuf,
    work: tempfile::TempDir,
}

impl Operator {
    /// `$RECORD_DIR` of its hooks.
    pub fn record(&self) -> PathBuf {
        self.work.path().join("record")
    }

    /// `--debug-unix-socket`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The embedded cluster's kubeconfig (with [`OperatorSpec::embedded_cluster`]).
    pub fn kubeconfig(&self) -> PathBuf {
        self.work.path().join("tmp/embedded-kubeconfig.yaml")
    }

    /// Lines of `$RECORD_DIR/<file>`.
    pub fn recorded(&self, file: &str) -> Vec<String> {
        fs::read_to_string(self.record().join(file))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// stdout and stderr so far, for failure messages.
    pub fn logs(&self) -> String {
        let out = fs::read_to_string(self.work.path().join("stdout")).unwrap_or_default();
        let err = fs::read_to_string(self.work.path().join("stderr")).unwrap_or_default();
        format!("--- stdout\n{out}\n--- stderr\n{err}")
    }

    /// The JSON log records so far.
    pub fn log_records(&self) -> Vec<Value> {
        fs::read_to_string(self.work.path().join("stdout"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Messages hooks printed (log records of the `hook` logger).
    pub fn hook_output(&self) -> Vec<String> {
        self.log_records()
            .iter()
            .filter(|r| r["logger"] == "hook")
            .filter_map(|r| r["msg"].as_str().map(str::to_owned))
            .collect()
    }

    /// Polls `cond` until it holds; fails early if the process exits.
    pub fn wait_for(&mut self, what: &str, mut cond: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "operator exited with {status} while waiting for {what}\n{}",
                    self.logs()
                );
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for {what}\n{}",
                self.logs()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Waits until a hook printed a line containing `text`.
    pub fn wait_for_output(&mut self, text: &str) {
        self.wait_for(&format!("hook output '{text}'"), |op| {
            op.hook_output().iter().any(|m| m.contains(text))
        });
    }

    /// The address of the HTTP server, from its `http server listening` log record.
    pub fn http_addr(&self) -> SocketAddr {
        let mut addr = None;
        wait_until(
            "the http server to listen",
            || {
                addr = self.logged_addr("http server listening");
                addr.is_some()
            },
            || self.logs(),
        );
        addr.unwrap()
    }

    /// The `addr` field of the first log record with message `msg`.
    pub fn logged_addr(&self, msg: &str) -> Option<SocketAddr> {
        self.log_records()
            .iter()
            .find(|r| r["msg"] == msg)
            .and_then(|r| r["addr"].as_str()?.parse().ok())
    }

    /// `GET path` on the HTTP server: (status, body).
    pub fn http_get(&self, path: &str) -> (u16, String) {
        http_get(self.http_addr(), path)
    }

    /// Runs `kubectl --kubeconfig <embedded kubeconfig> <args>`, asserting success.
    pub fn kubectl(&self, args: &[&str]) -> String {
        kubectl(&self.kubeconfig(), args)
    }

    /// Runs the program's debug client (`queue list`, ...) against this operator's socket.
    pub fn debug_cli(&self, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .args(args)
            .arg("--debug-unix-socket")
            .arg(&self.socket)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (a `kill` name such as `TERM`).
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait_exit()
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > WAIT {
                let _ = self.child.kill();
                panic!("operator did not exit\n{}", self.logs());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `kubectl --kubeconfig <kubeconfig> <args>`, asserting success; returns stdout.
pub fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let out = kubectl_output(kubeconfig, args, None);
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `kubectl --kubeconfig <kubeconfig> <args>`, with `$KUBECONFIG` removed so nothing else is read;
/// async tests wrap it in `tokio::process::Command::from`.
pub fn kubectl_command(kubeconfig: &Path, args: &[&str]) -> Command {
    kubectl_binary_command(Path::new("kubectl"), kubeconfig, args)
}

/// [`kubectl_command`] with a given kubectl binary (another version).
pub fn kubectl_binary_command(binary: &Path, kubeconfig: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary);
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG");
    cmd
}

/// Runs kubectl with `stdin` (for `apply -f -`), returning its output whatever the status.
pub fn kubectl_output(kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = kubectl_command(kubeconfig, args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

/// `kubectl apply -f -` with `manifest`, asserting success.
pub fn kubectl_apply(kubeconfig: &Path, manifest: &str) {
    let out = kubectl_output(kubeconfig, &["apply", "-f", "-"], Some(manifest));
    assert!(
        out.status.success(),
        "kubectl apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A minimal HTTP/1.1 `GET` with `Connection: close`: (status, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// The value of the first sample of `metric` whose labels contain every `labels` pair.
pub fn metric_value(exposition: &str, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let rest = line.strip_prefix(metric)?;
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(r) => r.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        let all = labels
            .iter()
            .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")));
        if all { value.trim().parse().ok() } else { None }
    })
}
