//! `run_hook` and `run_config`: the two ways the operator runs a hook executable.

use std::process::Stdio;

use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::error::ExecError;
use crate::lines::{Tail, read_all_limited, read_lines};
use crate::log_proxy::LineProxy;
use crate::output::{HookExit, HookRunOutput, OutputContents, STDERR_TAIL_BYTES};
use crate::process::Running;
use crate::sink::OutputStream;
use crate::spec::{ConfigRunSpec, HookRunSpec, LogProxy};
use crate::supervise::{Ending, Limits, supervise};
use crate::tmp_files::RunFiles;
use crate::usage::UsageProbe;

/// Runs a hook once: creates its files, runs it with no arguments in its own process group,
/// logs its output, waits (bounded by the timeout and `cancel`), reads the output files and
/// removes all files unless kept.
///
/// A non-zero exit is returned as [`HookRunOutput::exit`], not as an error. On timeout or
/// cancellation the whole process group gets SIGTERM, then SIGKILL after `kill_grace`.
pub async fn run_hook(
    spec: &HookRunSpec,
    cancel: &CancellationToken,
) -> Result<HookRunOutput, ExecError> {
    let files = RunFiles::create(spec).await?;
    match execute(spec, &files, cancel).await {
        Ok(mut output) => {
            output.files = files.collect().await?;
            Ok(output)
        }
        Err(e) => {
            files.finish().await;
            Err(e)
        }
    }
}

async fn execute(
    spec: &HookRunSpec,
    files: &RunFiles,
    cancel: &CancellationToken,
) -> Result<HookRunOutput, ExecError> {
    let mut cmd = Command::new(&spec.executable);
    cmd.current_dir(&spec.working_dir)
        .env_clear()
        .envs(spec.base_env.iter().map(|(k, v)| (k, v)))
        .envs(spec.extra_env.iter().map(|(k, v)| (k, v)))
        .envs(files.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let (mut proc, stdout, stderr) = Running::spawn(&mut cmd, &spec.executable)?;
    let mut probe = UsageProbe::new(proc.pid());

    let sink = &*spec.sink;
    let ctx = &spec.log;
    let mut out_proxy = LineProxy::new(OutputStream::Stdout, spec.log_proxy);
    let mut err_proxy = LineProxy::new(OutputStream::Stderr, spec.log_proxy);
    let max_line = out_proxy.max_line_bytes();
    let mut tail = Tail::new(STDERR_TAIL_BYTES);
    let supervised = {
        let stdout_fut = async {
            let mut emit = |r| sink.record(ctx, r);
            read_lines(stdout, max_line, |l, cut| out_proxy.line(l, cut, &mut emit)).await;
            out_proxy.finish(&mut emit);
        };
        let stderr_fut = async {
            let mut emit = |r| sink.record(ctx, r);
            read_lines(stderr, max_line, |l, cut| {
                tail.push_line(l);
                err_proxy.line(l, cut, &mut emit);
            })
            .await;
            err_proxy.finish(&mut emit);
        };
        let mut readers = Box::pin(async {
            tokio::join!(stdout_fut, stderr_fut);
        });
        let limits = Limits {
            timeout: spec.timeout,
            kill_grace: spec.kill_grace,
            drain_grace: spec.pipe_drain_grace,
            cancel,
        };
        supervise(&mut proc, &mut readers, &limits, Some(&mut probe)).await
    };
    let stderr_tail = tail.into_string();
    let path = spec.executable.clone();
    match supervised.ending {
        Ending::TimedOut => {
            return Err(ExecError::Timeout {
                path,
                timeout: spec.timeout.unwrap_or_default(),
                stderr_tail,
            });
        }
        Ending::Cancelled => return Err(ExecError::Cancelled { path }),
        Ending::Exited => {}
    }
    let status = supervised
        .status
        .map_err(|source| ExecError::Wait { path, source })?;
    Ok(HookRunOutput {
        exit: HookExit::from_status(status),
        files: OutputContents::default(),
        stderr_tail,
        usage: supervised.usage,
        duration: supervised.duration,
    })
}

/// Runs `<hook> --config` (cwd and env from the spec, bounded by its timeout, default 60 s) and
/// returns its stdout. A non-zero exit is [`ExecError::ConfigFailed`] with the end of stderr.
pub async fn run_config(
    spec: &ConfigRunSpec,
    cancel: &CancellationToken,
) -> Result<Vec<u8>, ExecError> {
    let mut cmd = Command::new(&spec.executable);
    cmd.arg("--config")
        .current_dir(&spec.working_dir)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let (mut proc, stdout, stderr) = Running::spawn(&mut cmd, &spec.executable)?;
    let mut tail = Tail::new(STDERR_TAIL_BYTES);
    let mut collected = None;
    // Cancels the run when stdout exceeds the limit, so a runaway `--config` is killed.
    let too_large = CancellationToken::new();
    let run_cancel = cancel.child_token();
    let supervised = {
        let max_line = LineProxy::new(OutputStream::Stderr, LogProxy::PlainLines).max_line_bytes();
        let stdout_fut = async {
            let result = read_all_limited(stdout, spec.max_stdout_bytes).await;
            if result.is_err() {
                too_large.cancel();
                run_cancel.cancel();
            }
            collected = Some(result);
        };
        let stderr_fut = read_lines(stderr, max_line, |l, _| tail.push_line(l));
        let mut readers = Box::pin(async {
            tokio::join!(stdout_fut, stderr_fut);
        });
        let limits = Limits {
            timeout: Some(spec.timeout),
            kill_grace: spec.kill_grace,
            drain_grace: crate::spec::DEFAULT_PIPE_DRAIN_GRACE,
            cancel: &run_cancel,
        };
        supervise(&mut proc, &mut readers, &limits, None).await
    };
    let path = spec.executable.clone();
    let stderr_tail = tail.into_string();
    if too_large.is_cancelled() {
        return Err(ExecError::ConfigTooLarge {
            path,
            limit: spec.max_stdout_bytes,
        });
    }
    match supervised.ending {
        Ending::TimedOut => {
            return Err(ExecError::Timeout {
                path,
                timeout: spec.timeout,
                stderr_tail,
            });
        }
        Ending::Cancelled => return Err(ExecError::Cancelled { path }),
        Ending::Exited => {}
    }
    let status = supervised.status.map_err(|source| ExecError::Wait {
        path: path.clone(),
        source,
    })?;
    let exit = HookExit::from_status(status);
    if !exit.success() {
        return Err(ExecError::ConfigFailed {
            path,
            exit,
            stderr_tail: stderr_tail.trim_end().to_string(),
        });
    }
    match collected {
        Some(Ok(stdout)) => Ok(stdout),
        Some(Err(())) => Err(ExecError::ConfigTooLarge {
            path,
            limit: spec.max_stdout_bytes,
        }),
        // stdout still open after exit and the drain grace: use nothing rather than hang.
        None => Ok(Vec::new()),
    }
}
