//! One child process in its own process group: spawn, notice its exit without reaping it, signal
//! the whole group, reap.

use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::ExitStatus;

use rustix::process::{Pid, PidfdFlags, Signal};
use tokio::io::unix::AsyncFd;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

use crate::error::ExecError;

/// A signal for [`kill_group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSignal {
    /// SIGTERM: ask to stop.
    Term,
    /// SIGKILL: stop now.
    Kill,
}

/// Sends `signal` to every process of the process group `pgid` (a hook's pid, since hooks run
/// in their own group). A group that no longer exists is not an error.
pub fn kill_group(pgid: u32, signal: GroupSignal) -> io::Result<()> {
    let Some(pid) = i32::try_from(pgid).ok().and_then(Pid::from_raw) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "invalid process group id",
        ));
    };
    let sig = match signal {
        GroupSignal::Term => Signal::TERM,
        GroupSignal::Kill => Signal::KILL,
    };
    match rustix::process::kill_process_group(pid, sig) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Whether any process of the group `pgid` still exists (a killed member that its new parent
/// has not reaped yet, a zombie, still counts).
pub fn group_alive(pgid: u32) -> bool {
    i32::try_from(pgid)
        .ok()
        .and_then(Pid::from_raw)
        .is_some_and(|pid| rustix::process::test_kill_process_group(pid).is_ok())
}

/// A started child.
pub(crate) struct Running {
    child: Child,
    pid: u32,
    /// Readable once the child exited; lets us read procfs before reaping. `None` when pidfds are
    /// unavailable (old kernels), in which case exit is noticed by reaping.
    exit_fd: Option<AsyncFd<OwnedFd>>,
    reaped: bool,
}

/// A run that is dropped mid-way (its future cancelled) takes its whole process group down, not
/// only the direct child as `kill_on_drop` would. An unreaped child's pid cannot be reused, so
/// the group id is still ours.
impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill_group(self.pid, GroupSignal::Kill);
        }
    }
}

impl Running {
    /// Spawns `cmd` (which must have piped stdout and stderr).
    pub(crate) fn spawn(
        cmd: &mut Command,
        path: &Path,
    ) -> Result<(Self, ChildStdout, ChildStderr), ExecError> {
        let spawn_err = |source| ExecError::Spawn {
            path: path.to_path_buf(),
            source,
        };
        let mut child = cmd.spawn().map_err(spawn_err)?;
        let pid = child.id().unwrap_or_default();
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(spawn_err(io::Error::other("child pipes missing")));
        };
        let exit_fd = i32::try_from(pid)
            .ok()
            .and_then(Pid::from_raw)
            .and_then(|p| rustix::process::pidfd_open(p, PidfdFlags::NONBLOCK).ok())
            .and_then(register_pidfd);
        Ok((
            Self {
                child,
                pid,
                exit_fd,
                reaped: false,
            },
            stdout,
            stderr,
        ))
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Resolves once the child has exited (not reaped when a pidfd is available).
    pub(crate) async fn exited(&mut self) -> io::Result<()> {
        match &self.exit_fd {
            Some(fd) => {
                let mut guard = fd.readable().await?;
                guard.retain_ready();
                Ok(())
            }
            None => self.child.wait().await.map(|_| ()),
        }
    }

    /// Reaps the child (immediate after [`Running::exited`]).
    pub(crate) async fn reap(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await;
        self.reaped = status.is_ok();
        status
    }

    pub(crate) fn signal(&self, signal: GroupSignal) {
        if let Err(e) = kill_group(self.pid, signal) {
            tracing::warn!(pid = self.pid, ?signal, error = %e, "cannot signal hook process group");
        }
    }
}

/// Registers a pidfd with the reactor. `AsyncFd::register` is `unsafe` (forbidden here); the
/// deprecated safe constructor is sound for an `OwnedFd`, which keeps the descriptor open and
/// unchanged for the `AsyncFd`'s whole life, exactly `register`'s contract.
#[allow(
    deprecated,
    reason = "the safe constructor is sound for OwnedFd and unsafe code is forbidden"
)]
fn register_pidfd(fd: OwnedFd) -> Option<AsyncFd<OwnedFd>> {
    AsyncFd::with_interest(fd, tokio::io::Interest::READABLE).ok()
}
