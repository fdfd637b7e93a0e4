//! Runs fake hook scripts through `run_hook` and `run_config`.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hook_exec::{
    ConfigRunSpec, ExecError, HookExit, HookLogRecord, HookRunSpec, LogContext, LogProxy,
    OutputSink, TmpFiles, kill_group, run_config, run_hook,
};
use tokio_util::sync::CancellationToken;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Dirs {
    _root: tempfile::TempDir,
    hooks: PathBuf,
    tmp: PathBuf,
    out: PathBuf,
}

fn dirs() -> Result<Dirs, std::io::Error> {
    let root = tempfile::tempdir()?;
    let hooks = root.path().join("hooks/sub");
    let tmp = root.path().join("tmp");
    let out = root.path().join("out");
    for d in [&hooks, &tmp, &out] {
        std::fs::create_dir_all(d)?;
    }
    Ok(Dirs {
        _root: root,
        hooks,
        tmp,
        out,
    })
}

fn write_hook(dir: &Path, name: &str, body: &str) -> Result<PathBuf, std::io::Error> {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/bash\n{body}\n"))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

#[derive(Default)]
struct Collect(Mutex<Vec<HookLogRecord>>);

impl OutputSink for Collect {
    fn record(&self, _ctx: &LogContext, record: HookLogRecord) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }
}

impl Collect {
    fn records(&self) -> Vec<HookLogRecord> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn spec(d: &Dirs, hook: &Path, sink: Arc<Collect>) -> HookRunSpec {
    let mut spec = HookRunSpec::new(hook.to_path_buf(), d.tmp.clone(), "sub/hook.sh");
    spec.base_env = vec![
        (OsString::from("PATH"), OsString::from("/usr/bin:/bin")),
        (OsString::from("FOO"), OsString::from("from-operator")),
    ];
    spec.extra_env = vec![(OsString::from("OUT"), d.out.clone().into_os_string())];
    spec.sink = sink;
    spec
}

fn tmp_entries(d: &Dirs) -> Result<Vec<String>, std::io::Error> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(&d.tmp)? {
        names.push(e?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Whether a process is gone or a zombie (killed but not yet reaped by whoever adopted it:
/// `kill(-pgid, 0)` still succeeds for zombies, so the group check alone is not enough).
async fn dead(pid: &str) -> bool {
    if pid.trim().is_empty() {
        return false;
    }
    for _ in 0..100 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        if matches!(state, None | Some("Z") | Some("X")) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
async fn the_hook_gets_no_args_its_dir_as_cwd_the_given_env_and_private_files() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        r#"
echo "$#" > "$OUT/argc"
pwd > "$OUT/cwd"
echo "${FOO-unset} ${HOME-unset}" > "$OUT/env"
cat "$BINDING_CONTEXT_PATH" > "$OUT/context"
for v in BINDING_CONTEXT_PATH METRICS_PATH KUBERNETES_PATCH_PATH VALIDATING_RESPONSE_PATH ADMISSION_RESPONSE_PATH CONVERSION_RESPONSE_PATH; do
  f="${!v}"; echo "$v $(stat -c '%a %s' "$f") $f" >> "$OUT/files"
done
"#,
    )?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.binding_context = br#"[{"binding":"onStartup"}]"#.to_vec();
    let out = run_hook(&spec, &CancellationToken::new()).await?;
    assert_eq!(out.exit, HookExit::Code(0));
    assert_eq!(read(d.out.join("argc")), "0\n");
    assert_eq!(read(d.out.join("cwd")).trim(), d.hooks.to_string_lossy());
    assert_eq!(
        read(d.out.join("env")),
        "from-operator unset\n",
        "only the given env"
    );
    assert_eq!(read(d.out.join("context")), r#"[{"binding":"onStartup"}]"#);
    let files = read(d.out.join("files"));
    let lines: Vec<Vec<&str>> = files.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 6, "{files}");
    for l in &lines {
        assert_eq!(l[1], "600", "{l:?}");
        assert!(l[3].starts_with(&*d.tmp.to_string_lossy()), "{l:?}");
    }
    assert_eq!(lines[0][2], "25", "binding context written before the run");
    assert_eq!(
        lines[3][3], lines[4][3],
        "admission = validating response file"
    );
    assert!(lines[0][3].contains("hook-sub-hook-sh-binding-context-"));
    assert!(lines[2][3].contains("sub-hook-sh-object-patch-"));
    assert!(tmp_entries(&d)?.is_empty(), "files removed after the run");
    Ok(())
}

#[tokio::test]
async fn output_files_are_read_back_and_kept_only_when_asked() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        r#"
echo '{"name":"m","set":1}' > "$METRICS_PATH"
echo '{"operation":"Delete"}' > "$KUBERNETES_PATCH_PATH"
echo '{"allowed":true}' > "$ADMISSION_RESPONSE_PATH"
echo '{"convertedObjects":[]}' > "$CONVERSION_RESPONSE_PATH"
"#,
    )?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.tmp_files = TmpFiles::Keep;
    let out = run_hook(&spec, &CancellationToken::new()).await?;
    assert_eq!(
        out.files.metrics.as_deref(),
        Some(&b"{\"name\":\"m\",\"set\":1}\n"[..])
    );
    assert_eq!(
        out.files.kubernetes_patch.as_deref(),
        Some(&b"{\"operation\":\"Delete\"}\n"[..])
    );
    assert_eq!(
        out.files.admission_response.as_deref(),
        Some(&b"{\"allowed\":true}\n"[..])
    );
    assert_eq!(
        out.files.conversion_response.as_deref(),
        Some(&b"{\"convertedObjects\":[]}\n"[..])
    );
    assert_eq!(tmp_entries(&d)?.len(), 5, "kept for debugging");
    Ok(())
}

#[tokio::test]
async fn a_non_zero_exit_is_reported_with_upstreams_message() -> TestResult {
    let d = dirs()?;
    let failing = write_hook(&d.hooks, "hook.sh", "echo 'something broke' >&2\nexit 3")?;
    let out = run_hook(
        &spec(&d, &failing, Arc::default()),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(out.exit, HookExit::Code(3));
    assert_eq!(out.failure_message().as_deref(), Some("something broke"));
    let quiet = write_hook(&d.hooks, "quiet.sh", "exit 2")?;
    let out = run_hook(&spec(&d, &quiet, Arc::default()), &CancellationToken::new()).await?;
    assert_eq!(
        out.failure_message().as_deref(),
        Some("cmd run: exit status 2")
    );
    assert!(tmp_entries(&d)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group_including_grandchildren() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "echo $$ > \"$OUT/pgid\"\nsleep 1000 &\necho $! > \"$OUT/grandchild\"\necho started >&2\nsleep 1000",
    )?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.timeout = Some(Duration::from_millis(500));
    spec.kill_grace = Duration::from_millis(200);
    let started = Instant::now();
    let err = run_hook(&spec, &CancellationToken::new()).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    match err {
        Err(ExecError::Timeout {
            stderr_tail,
            timeout,
            ..
        }) => {
            assert_eq!(timeout, Duration::from_millis(500));
            assert_eq!(stderr_tail, "started\n");
        }
        other => return Err(format!("expected a timeout, got {other:?}").into()),
    }
    assert!(dead(&read(d.out.join("pgid"))).await, "the hook is gone");
    assert!(
        dead(&read(d.out.join("grandchild"))).await,
        "its background sleep is gone"
    );
    assert!(tmp_entries(&d)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_hook_ignoring_sigterm_is_killed_after_the_grace_period() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "trap '' TERM\necho $$ > \"$OUT/pgid\"\nwhile true; do sleep 0.05; done",
    )?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.timeout = Some(Duration::from_millis(300));
    spec.kill_grace = Duration::from_millis(300);
    let started = Instant::now();
    let result = run_hook(&spec, &CancellationToken::new()).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(ExecError::Timeout { .. })),
        "{result:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(600),
        "waited the grace: {elapsed:?}"
    );
    assert!(dead(&read(d.out.join("pgid"))).await);
    Ok(())
}

#[tokio::test]
async fn cancelling_a_run_kills_its_group_and_says_so() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "sleep 1000 &\necho $! > \"$OUT/grandchild\"\necho $$ > \"$OUT/pgid\"\nwait",
    )?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.kill_grace = Duration::from_millis(200);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let out = d.out.clone();
    let canceller = async move {
        while read(out.join("pgid")).trim().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        trigger.cancel();
    };
    let (result, ()) = tokio::join!(run_hook(&spec, &cancel), canceller);
    assert!(
        matches!(result, Err(ExecError::Cancelled { .. })),
        "{result:?}"
    );
    assert!(dead(&read(d.out.join("pgid"))).await);
    assert!(dead(&read(d.out.join("grandchild"))).await);
    assert!(
        tmp_entries(&d)?.is_empty(),
        "files removed even though the run was dropped"
    );
    Ok(())
}

#[tokio::test]
async fn megabytes_of_output_are_logged_truncated_line_by_line() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "head -c 5000000 /dev/zero | tr '\\0' 'x'; echo\nfor i in $(seq 1 20000); do echo \"line $i\"; echo \"err $i\" >&2; done",
    )?;
    let sink = Arc::new(Collect::default());
    let out = run_hook(&spec(&d, &hook, sink.clone()), &CancellationToken::new()).await?;
    assert!(out.exit.success());
    let records = sink.records();
    assert_eq!(records.len(), 40_001);
    assert_eq!(
        records
            .iter()
            .filter(|r| r.message.ends_with(":truncated"))
            .count(),
        1
    );
    assert!(records.iter().all(|r| r.message.len() <= 10_010));
    assert!(out.stderr_tail.ends_with("err 20000\n"));
    assert!(out.stderr_tail.len() <= hook_exec::STDERR_TAIL_BYTES);
    Ok(())
}

#[tokio::test]
async fn json_lines_are_proxied_when_enabled() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "echo '{\"foo\":\"baz\",\"level\":\"error\"}'\necho plain",
    )?;
    let sink = Arc::new(Collect::default());
    let mut spec = spec(&d, &hook, sink.clone());
    spec.log_proxy = LogProxy::JsonObjects;
    run_hook(&spec, &CancellationToken::new()).await?;
    let records = sink.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].message, "hook result");
    assert_eq!(records[0].level, hook_exec::HookLogLevel::Error);
    assert_eq!(
        records[0].fields.get("hook_foo"),
        Some(&serde_json::json!("baz"))
    );
    assert_eq!(records[1].message, "plain");
    Ok(())
}

#[tokio::test]
async fn a_background_process_holding_the_pipes_does_not_hang_the_run() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "echo $$ > \"$OUT/pgid\"\nsleep 30 &\necho done",
    )?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.pipe_drain_grace = Duration::from_millis(200);
    let started = Instant::now();
    let out = run_hook(&spec, &CancellationToken::new()).await?;
    assert!(out.exit.success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let pgid: u32 = read(d.out.join("pgid")).trim().parse()?;
    kill_group(pgid, hook_exec::GroupSignal::Kill)?;
    Ok(())
}

#[tokio::test]
async fn a_hook_that_closes_stdout_early_is_still_waited_for() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "exec 1>&-\nsleep 0.3\necho finished >&2\nexit 4",
    )?;
    let out = run_hook(&spec(&d, &hook, Arc::default()), &CancellationToken::new()).await?;
    assert_eq!(out.exit, HookExit::Code(4));
    assert_eq!(out.stderr_tail, "finished\n");
    assert!(out.duration >= Duration::from_millis(300));
    Ok(())
}

#[tokio::test]
async fn resource_usage_of_the_hook_is_measured() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done",
    )?;
    let out = run_hook(&spec(&d, &hook, Arc::default()), &CancellationToken::new()).await?;
    let usage = out.usage.ok_or("no usage on linux")?;
    assert!(
        usage.user_cpu_seconds + usage.sys_cpu_seconds > 0.05,
        "{usage:?}"
    );
    assert!(
        usage.max_rss_bytes.is_some_and(|b| b > 100_000),
        "{usage:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_non_executable_or_missing_hook_is_a_spawn_error_naming_it() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(&d.hooks, "hook.sh", "exit 0")?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644))?;
    let err = run_hook(&spec(&d, &hook, Arc::default()), &CancellationToken::new()).await;
    match err {
        Err(e @ ExecError::Spawn { .. }) => assert!(e.to_string().contains("hook.sh")),
        other => return Err(format!("expected spawn error, got {other:?}").into()),
    }
    let missing = d.hooks.join("missing.sh");
    let err = run_hook(
        &spec(&d, &missing, Arc::default()),
        &CancellationToken::new(),
    )
    .await;
    assert!(matches!(err, Err(ExecError::Spawn { .. })), "{err:?}");
    assert!(
        tmp_entries(&d)?.is_empty(),
        "no files left behind after a failed start"
    );
    Ok(())
}

#[tokio::test]
async fn an_unusable_tmp_dir_is_an_error_naming_the_file() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(&d.hooks, "hook.sh", "exit 0")?;
    let mut spec = spec(&d, &hook, Arc::default());
    spec.tmp_dir = d.tmp.join("does-not-exist");
    match run_hook(&spec, &CancellationToken::new()).await {
        Err(e @ ExecError::TmpFile { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("does-not-exist/hook-sub-hook-sh-binding-context-"),
                "{msg}"
            );
        }
        other => return Err(format!("expected a tmp file error, got {other:?}").into()),
    }
    Ok(())
}

fn config_spec(d: &Dirs, hook: &Path) -> ConfigRunSpec {
    let mut spec = ConfigRunSpec::new(hook.to_path_buf(), d.out.clone());
    spec.env = vec![(OsString::from("PATH"), OsString::from("/usr/bin:/bin"))];
    spec
}

#[tokio::test]
async fn run_config_passes_the_flag_and_returns_stdout() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "if [ \"$1\" = --config ]; then echo \"configVersion: v1 # $(pwd)\"; exit 0; fi; exit 1",
    )?;
    let out = run_config(&config_spec(&d, &hook), &CancellationToken::new()).await?;
    assert_eq!(
        String::from_utf8(out)?,
        format!("configVersion: v1 # {}\n", d.out.display())
    );
    Ok(())
}

#[tokio::test]
async fn run_config_failure_carries_the_stderr_tail() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "echo partial\necho 'bad config' >&2\nexit 1",
    )?;
    match run_config(&config_spec(&d, &hook), &CancellationToken::new()).await {
        Err(e @ ExecError::ConfigFailed { .. }) => {
            assert!(
                e.to_string()
                    .ends_with("--config failed with exit status 1: bad config"),
                "{e}"
            );
        }
        other => return Err(format!("expected config failure, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn a_hanging_config_is_bounded_by_its_timeout() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(&d.hooks, "hook.sh", "sleep 1000")?;
    let mut spec = config_spec(&d, &hook);
    spec.timeout = Duration::from_millis(300);
    spec.kill_grace = Duration::from_millis(100);
    let result = run_config(&spec, &CancellationToken::new()).await;
    assert!(
        matches!(result, Err(ExecError::Timeout { .. })),
        "{result:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_endless_config_output_is_cut_off() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(&d.hooks, "hook.sh", "yes")?;
    let mut spec = config_spec(&d, &hook);
    spec.max_stdout_bytes = 1024 * 1024;
    spec.kill_grace = Duration::from_millis(100);
    let result = run_config(&spec, &CancellationToken::new()).await;
    assert!(
        matches!(result, Err(ExecError::ConfigTooLarge { .. })),
        "{result:?}"
    );
    Ok(())
}

#[tokio::test]
async fn dropping_a_run_midway_kills_its_process_group() -> TestResult {
    let d = dirs()?;
    let hook = write_hook(
        &d.hooks,
        "hook.sh",
        "sleep 1000 &\necho $! > \"$OUT/grandchild\"\necho $$ > \"$OUT/pgid\"\nwait",
    )?;
    let spec = spec(&d, &hook, Arc::default());
    let cancel = CancellationToken::new();
    let out = d.out.clone();
    let started = async move {
        while read(out.join("pgid")).trim().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        result = run_hook(&spec, &cancel) => return Err(format!("run ended: {result:?}").into()),
        () = started => {}
    }
    assert!(dead(&read(d.out.join("pgid"))).await);
    assert!(dead(&read(d.out.join("grandchild"))).await);
    assert!(
        tmp_entries(&d)?.is_empty(),
        "files removed even though the run was dropped"
    );
    Ok(())
}
