//! End-to-end tests of the `shell-operator` binary on temporary hooks directories with bash
//! hooks (no cluster needed for onStartup and schedule bindings).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test loudly"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_shell-operator");
/// Generous: the test machine may be heavily loaded.
const WAIT: Duration = Duration::from_secs(60);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hooks")
}

fn shell_lib() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../frameworks/shell/shell_lib.sh")
}

fn write_hook(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A hook that prints `config` for `--config` and otherwise appends its name to `$RECORD_DIR/runs`
/// and copies its binding context to `$RECORD_DIR/<name>.<n>.json`.
fn recording_hook(dir: &Path, name: &str, config: &str) {
    let tag = name.replace('/', "_");
    write_hook(
        dir,
        name,
        &format!(
            r#"if [[ "$1" == "--config" ]]; then cat <<'CONFIG'
{config}
CONFIG
exit 0; fi
# Runs of one hook may overlap (different queues): number them under a lock.
exec 9>"$RECORD_DIR/.lock"
flock 9
n=$(grep -cx "{tag}" "$RECORD_DIR/runs" 2>/dev/null || true)
cp "$BINDING_CONTEXT_PATH" "$RECORD_DIR/{tag}.${{n:-0}}.json"
echo "{tag}" >> "$RECORD_DIR/runs""#
        ),
    );
}

struct Operator {
    child: Child,
    work: tempfile::TempDir,
}

impl Operator {
    fn start(hooks_dir: &Path, args: &[&str]) -> Self {
        Self::start_with_env(hooks_dir, args, &[])
    }

    fn start_with_env(hooks_dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Self {
        let work = tempfile::tempdir().unwrap();
        fs::create_dir(work.path().join("record")).unwrap();
        let stdout = fs::File::create(work.path().join("stdout")).unwrap();
        let stderr = fs::File::create(work.path().join("stderr")).unwrap();
        let child = Command::new(BIN)
            .arg("start")
            .arg("--hooks-dir")
            .arg(hooks_dir)
            .arg("--tmp-dir")
            .arg(work.path().join("tmp"))
            .arg("--log-type=json")
            // Parallel tests: a free port each, and a socket in the test's own directory.
            .arg("--listen-address=127.0.0.1")
            .arg("--listen-port=0")
            .arg("--debug-unix-socket")
            .arg(work.path().join("debug.socket"))
            .args(args)
            .env("RECORD_DIR", work.path().join("record"))
            .env("SHELL_LIB", shell_lib())
            .env_remove("LOG_TYPE")
            .env_remove("SHELL_OPERATOR_HOOKS_DIR")
            .env_remove("KUBECONFIG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        Self { child, work }
    }

    fn record(&self) -> PathBuf {
        self.work.path().join("record")
    }

    fn runs(&self) -> Vec<String> {
        fs::read_to_string(self.record().join("runs"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn context(&self, tag: &str, n: usize) -> Value {
        let text = fs::read_to_string(self.record().join(format!("{tag}.{n}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn wait_for(&mut self, what: &str, cond: impl Fn(&Self) -> bool) {
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
                "timed out waiting for {what}; runs: {:?}\n{}",
                self.runs(),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn logs(&self) -> String {
        let out = fs::read_to_string(self.work.path().join("stdout")).unwrap_or_default();
        let err = fs::read_to_string(self.work.path().join("stderr")).unwrap_or_default();
        format!("--- stdout\n{out}\n--- stderr\n{err}")
    }

    fn log_records(&self) -> Vec<Value> {
        fs::read_to_string(self.work.path().join("stdout"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        self.wait_exit()
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > WAIT {
                let _ = self.child.kill();
                panic!("operator did not exit\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
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

#[test]
fn version_prints_the_version_and_the_jq_implementation() {
    let out = Command::new(BIN).arg("version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("shell-operator v{}", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("jqFilter implementation: ")
    );
}

#[test]
fn on_startup_hooks_run_by_order_then_name_each_with_the_on_startup_context() {
    let hooks = tempfile::tempdir().unwrap();
    for (name, order) in [
        ("a20.sh", 20),
        ("b10.sh", 10),
        ("c15.sh", 15),
        ("d1.sh", 1),
        ("e10.sh", 10),
    ] {
        recording_hook(
            hooks.path(),
            name,
            &format!(r#"{{"configVersion":"v1","onStartup":{order}}}"#),
        );
    }
    let mut op = Operator::start(hooks.path(), &[]);
    op.wait_for("5 onStartup runs", |op| op.runs().len() == 5);
    assert_eq!(
        op.runs(),
        vec!["d1.sh", "b10.sh", "e10.sh", "c15.sh", "a20.sh"]
    );
    for tag in ["a20.sh", "b10.sh", "c15.sh", "d1.sh", "e10.sh"] {
        assert_eq!(op.context(tag, 0), json!([{"binding": "onStartup"}]));
    }
    assert!(op.terminate().success());
}

#[test]
fn discovery_skips_lib_dirs_hidden_files_docs_and_non_executables() {
    let hooks = tempfile::tempdir().unwrap();
    let config = r#"{"configVersion":"v1","onStartup":1}"#;
    recording_hook(hooks.path(), "aa/exec.sh", config);
    recording_hook(hooks.path(), "check.sh", config);
    recording_hook(hooks.path(), "lib/lib.sh", config);
    recording_hook(hooks.path(), ".hidden.sh", config);
    recording_hook(hooks.path(), "sub/.dir/x.sh", config);
    recording_hook(hooks.path(), "a.yaml", config);
    recording_hook(hooks.path(), "noexec.sh", config);
    fs::set_permissions(
        hooks.path().join("noexec.sh"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut op = Operator::start(hooks.path(), &[]);
    op.wait_for("2 runs", |op| op.runs().len() == 2);
    // Give any wrongly loaded hook the time to run too.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(op.runs(), vec!["aa_exec.sh", "check.sh"]);
    assert!(op.terminate().success());
    let records = op.log_records();
    assert!(
        records.iter().any(|r| r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("chmod +x is required"))
            && r["path"] == "noexec.sh"),
        "{}",
        op.logs()
    );
}

#[test]
fn a_six_field_schedule_runs_every_second_in_its_queue_with_a_group_context() {
    let hooks = tempfile::tempdir().unwrap();
    recording_hook(
        hooks.path(),
        "sched.sh",
        r#"{"configVersion":"v1","schedule":[
            {"name":"every sec","crontab":"* * * * * *","queue":"periodic"},
            {"name":"grouped","crontab":"*/2 * * * * *","group":"g1","allowFailure":true}]}"#,
    );
    let mut op = Operator::start(hooks.path(), &[]);
    op.wait_for("3 schedule runs", |op| op.runs().len() >= 3);
    let plain = op.context("sched.sh", 0);
    let first = plain.as_array().unwrap();
    // Each run is one binding; a tick of both crontabs goes to different queues, so no combining.
    let shapes: Vec<Value> = (0..3)
        .flat_map(|n| op.context("sched.sh", n).as_array().unwrap().clone())
        .collect();
    assert!(
        shapes.contains(&json!({"binding":"every sec","type":"Schedule"})),
        "{shapes:?}"
    );
    assert!(
        first
            .iter()
            .all(|c| c["binding"] == "every sec" || c["type"] == "Group"),
        "{first:?}"
    );
    op.wait_for("a grouped run", |op| {
        (0..op.runs().len()).any(|n| {
            op.context("sched.sh", n)
                .as_array()
                .unwrap()
                .contains(&json!({"binding":"grouped","type":"Group","groupName":"g1"}))
        })
    });
    assert!(op.terminate().success());
    let queues: Vec<String> = op
        .log_records()
        .iter()
        .filter(|r| r["msg"] == "Execute hook")
        .map(|r| {
            format!(
                "{}:{}",
                r["binding"].as_str().unwrap(),
                r["queue"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        queues.contains(&"every sec:periodic".to_string()),
        "{queues:?}"
    );
    assert!(queues.contains(&"grouped:main".to_string()), "{queues:?}");
}

#[test]
fn a_schedule_with_include_snapshots_from_gets_a_key_per_included_binding() {
    let hooks = tempfile::tempdir().unwrap();
    recording_hook(
        hooks.path(),
        "snap.sh",
        r#"configVersion: v1
kubernetes:
- name: pods
  kind: Pod
  executeHookOnEvent: []
  executeHookOnSynchronization: false
schedule:
- name: periodic
  crontab: "* * * * * *"
  includeSnapshotsFrom: ["pods"]"#,
    );
    let mut op = Operator::start(hooks.path(), &["--embedded-cluster"]);
    op.wait_for("a schedule run", |op| !op.runs().is_empty());
    assert_eq!(
        op.context("snap.sh", 0),
        json!([{"binding":"periodic","type":"Schedule","snapshots":{"pods":[]}}])
    );
    assert!(op.terminate().success());
}

#[test]
fn debug_kubernetes_api_logs_the_requests_of_the_main_client() {
    let hooks = tempfile::tempdir().unwrap();
    recording_hook(
        hooks.path(),
        "pods.sh",
        r#"{"configVersion":"v1","kubernetes":[{"name":"pods","kind":"Pod"}]}"#,
    );
    let mut op = Operator::start(
        hooks.path(),
        &["--embedded-cluster", "--debug-kubernetes-api"],
    );
    op.wait_for("the pods list logged", |op| {
        op.log_records().iter().any(|r| {
            r["msg"] == "kubernetes api request"
                && r["component"] == "main"
                && r["method"] == "GET"
                && r["path"] == "/api/v1/pods"
                && r["code"] == "200"
        })
    });
    assert!(op.terminate().success());
}

#[test]
fn without_a_cluster_kubernetes_bindings_fail_and_retry_while_other_hooks_run() {
    let hooks = tempfile::tempdir().unwrap();
    recording_hook(
        hooks.path(),
        "kube.sh",
        r#"{"configVersion":"v1","kubernetes":[{"name":"pods","kind":"Pod"}]}"#,
    );
    recording_hook(
        hooks.path(),
        "start.sh",
        r#"{"configVersion":"v1","onStartup":1}"#,
    );
    // No kubeconfig anywhere: an empty HOME and no KUBECONFIG (removed by `start`).
    let home = tempfile::tempdir().unwrap();
    let mut op = Operator::start_with_env(hooks.path(), &[], &[("HOME", home.path())]);
    op.wait_for("two failed attempts to enable the bindings", |op| {
        op.log_records()
            .iter()
            .filter(|r| {
                r["msg"] == "enable kubernetes bindings failed"
                    && r["hook"] == "kube.sh"
                    && r["error"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("no kubernetes client: "))
            })
            .count()
            >= 2
    });
    assert_eq!(op.runs(), vec!["start.sh"]);
    assert!(op.terminate().success(), "{}", op.logs());
}

#[test]
fn a_bad_config_stops_startup_with_a_non_zero_exit_and_the_full_message() {
    let hooks = tempfile::tempdir().unwrap();
    recording_hook(
        hooks.path(),
        "good.sh",
        r#"{"configVersion":"v1","onStartup":1}"#,
    );
    recording_hook(
        hooks.path(),
        "bad.sh",
        r#"{"configVersion":"v1","schedule":[{"crontab":"* * *"}]}"#,
    );
    let mut op = Operator::start(hooks.path(), &[]);
    let status = op.wait_exit();
    assert!(!status.success());
    let logs = op.logs();
    assert!(logs.contains("load hook 'bad.sh' config: "), "{logs}");
    assert!(logs.contains("Expected 5 or 6 fields"), "{logs}");
    assert!(logs.contains("hook --config output: "), "{logs}");
    assert!(op.runs().is_empty(), "no hook runs before all configs load");
}

#[test]
fn a_config_that_exits_non_zero_stops_startup() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "broken.sh",
        "echo 'no config for you' >&2; exit 1",
    );
    let mut op = Operator::start(hooks.path(), &[]);
    assert!(!op.wait_exit().success());
    let logs = op.logs();
    assert!(logs.contains("load hook 'broken.sh' config"), "{logs}");
    assert!(logs.contains("no config for you"), "{logs}");
}

#[test]
fn a_missing_hooks_dir_is_reported() {
    let missing = tempfile::tempdir().unwrap().path().join("nope");
    let mut op = Operator::start(&missing, &[]);
    assert!(!op.wait_exit().success());
    assert!(op.logs().contains("not exist"), "{}", op.logs());
}

#[test]
fn sigterm_lets_a_running_hook_finish_within_the_grace_period_and_exits_zero() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "slow.sh",
        r#"if [[ "$1" == "--config" ]]; then echo '{"configVersion":"v1","onStartup":1}'; exit 0; fi
echo started >> "$RECORD_DIR/runs"
sleep 2
echo finished >> "$RECORD_DIR/runs""#,
    );
    let mut op = Operator::start(hooks.path(), &["--shutdown-grace-period=30s"]);
    op.wait_for("the hook to start", |op| op.runs() == vec!["started"]);
    let status = op.terminate();
    assert!(status.success(), "{status}\n{}", op.logs());
    assert_eq!(op.runs(), vec!["started", "finished"]);
}

#[test]
fn sigterm_kills_a_hook_that_outlives_the_grace_period_and_exits_zero() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "stuck.sh",
        r#"if [[ "$1" == "--config" ]]; then echo '{"configVersion":"v1","onStartup":1}'; exit 0; fi
sleep 600 &
echo $! > "$RECORD_DIR/child.pid"
echo started >> "$RECORD_DIR/runs"
wait"#,
    );
    let mut op = Operator::start(hooks.path(), &["--shutdown-grace-period=1s"]);
    op.wait_for("the hook to start", |op| op.runs() == vec!["started"]);
    let begin = Instant::now();
    let status = op.terminate();
    assert!(status.success(), "{status}\n{}", op.logs());
    assert!(
        begin.elapsed() < Duration::from_secs(30),
        "{:?}",
        begin.elapsed()
    );
    let pid = fs::read_to_string(op.record().join("child.pid")).unwrap();
    // A killed child may linger briefly as a zombie until its new parent reaps it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let alive = loop {
        let alive = Command::new("kill")
            .args(["-0", pid.trim()])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        if !alive.success() || Instant::now() > deadline {
            break alive;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        !alive.success(),
        "the hook's process group is killed, including its children"
    );
}

#[test]
fn a_second_signal_stops_at_once_and_kills_the_running_hook() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "stuck.sh",
        r#"if [[ "$1" == "--config" ]]; then echo '{"configVersion":"v1","onStartup":1}'; exit 0; fi
sleep 600 &
echo $! > "$RECORD_DIR/child.pid"
echo started >> "$RECORD_DIR/runs"
wait"#,
    );
    let mut op = Operator::start(hooks.path(), &["--shutdown-grace-period=10m"]);
    op.wait_for("the hook to start", |op| op.runs() == vec!["started"]);
    let pid = op.child.id().to_string();
    let term = || Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term().success());
    op.wait_for("the first signal to be handled", |op| {
        op.log_records()
            .iter()
            .any(|r| r["msg"] == "shutdown requested")
    });
    let begin = Instant::now();
    assert!(term().success());
    let status = op.wait_exit();
    assert!(!status.success(), "a forced stop is not a clean exit");
    assert!(
        begin.elapsed() < Duration::from_secs(20),
        "{:?}",
        begin.elapsed()
    );
    let child = fs::read_to_string(op.record().join("child.pid")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Command::new("kill")
        .args(["-0", child.trim()])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "the hook's process group is killed\n{}",
            op.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_hook_timeout_kills_the_hook_and_counts_as_a_failure() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "hang.sh",
        r#"if [[ "$1" == "--config" ]]; then echo '{"configVersion":"v1","onStartup":1}'; exit 0; fi
echo attempt >> "$RECORD_DIR/runs"
sleep 600"#,
    );
    let mut op = Operator::start(hooks.path(), &["--hook-timeout=500ms"]);
    op.wait_for("a failed attempt logged", |op| {
        op.log_records()
            .iter()
            .any(|r| r["msg"] == "Hook failed" && r["hook"] == "hang.sh")
    });
    assert!(op.terminate().success());
}

#[test]
fn the_example_fixture_hooks_run_in_startup_order_and_the_framework_dispatches() {
    let mut op = Operator::start(&fixtures(), &[]);
    op.wait_for("startup hooks and a framework schedule", |op| {
        let log = fs::read_to_string(op.record().join("framework.log")).unwrap_or_default();
        op.runs().len() >= 4 && log.contains("schedule type=Schedule")
    });
    let runs = op.runs();
    assert_eq!(
        runs[..4],
        [
            "002-startup-first",
            "003-framework",
            "every-second",
            "001-startup-late"
        ]
    );
    assert_eq!(
        op.context("003-framework", 0),
        json!([{"binding": "onStartup"}])
    );
    let log = fs::read_to_string(op.record().join("framework.log")).unwrap();
    assert!(
        log.starts_with("startup binding=onStartup index=0\n"),
        "{log}"
    );
    assert!(op.terminate().success());
    // The tick contexts of the grouped schedule render as Group.
    let ticks: Vec<Value> = (1..runs.iter().filter(|r| *r == "every-second").count())
        .map(|n| op.context("every-second", n))
        .collect();
    for t in ticks {
        assert_eq!(
            t,
            json!([{"binding":"every-second","type":"Group","groupName":"tick"}])
        );
    }
}

#[test]
fn debug_keep_tmp_files_leaves_the_binding_context_file_behind() {
    let hooks = tempfile::tempdir().unwrap();
    recording_hook(
        hooks.path(),
        "keep.sh",
        r#"{"configVersion":"v1","onStartup":1}"#,
    );
    let mut op = Operator::start(hooks.path(), &["--debug-keep-tmp-files"]);
    op.wait_for("a run", |op| !op.runs().is_empty());
    assert!(op.terminate().success());
    let kept: Vec<String> = fs::read_dir(op.work.path().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        kept.iter()
            .any(|n| n.starts_with("hook-keep-sh-binding-context-")),
        "{kept:?}"
    );
}
