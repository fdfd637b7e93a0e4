//! What a hook run produced: exit status, output files, stderr tail and resource usage.

use std::fmt;
use std::process::ExitStatus;
use std::time::Duration;

/// How the hook process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookExit {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

impl HookExit {
    /// Exit code 0.
    pub fn success(self) -> bool {
        self == HookExit::Code(0)
    }

    pub(crate) fn from_status(status: ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => HookExit::Code(code),
            (None, Some(sig)) => HookExit::Signal(sig),
            (None, None) => HookExit::Code(-1),
        }
    }
}

/// Go's `exec.ExitError` wording (`exit status 1`, `signal: 9`), used in upstream's
/// `cmd run: exit status N` message.
impl fmt::Display for HookExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookExit::Code(c) => write!(f, "exit status {c}"),
            HookExit::Signal(s) => write!(f, "signal: {s}"),
        }
    }
}

/// CPU time and memory of the hook process (including the descendants it waited for).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ResourceUsage {
    /// User CPU seconds.
    pub user_cpu_seconds: f64,
    /// System CPU seconds.
    pub sys_cpu_seconds: f64,
    /// Peak resident set size in bytes, sampled while the hook ran (`None` if it ended before the
    /// first sample).
    pub max_rss_bytes: Option<u64>,
}

/// The contents of the output files after the run (`None` for files not requested).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputContents {
    /// `$METRICS_PATH`.
    pub metrics: Option<Vec<u8>>,
    /// `$KUBERNETES_PATCH_PATH`.
    pub kubernetes_patch: Option<Vec<u8>>,
    /// `$VALIDATING_RESPONSE_PATH` / `$ADMISSION_RESPONSE_PATH`.
    pub admission_response: Option<Vec<u8>>,
    /// `$CONVERSION_RESPONSE_PATH`.
    pub conversion_response: Option<Vec<u8>>,
}

/// Result of a hook run that started and ended (with any exit status).
#[derive(Debug, Clone)]
pub struct HookRunOutput {
    /// How the process ended; only `Code(0)` is success.
    pub exit: HookExit,
    /// Output files, read after the process ended.
    pub files: OutputContents,
    /// The last bytes of stderr (up to [`STDERR_TAIL_BYTES`]), for upstream's
    /// `<hook> FAILED: <stderr>` message.
    pub stderr_tail: String,
    /// CPU and memory, when the platform allowed measuring them.
    pub usage: Option<ResourceUsage>,
    /// Wall time from spawn to exit.
    pub duration: Duration,
}

/// How much of stderr is kept for error messages.
pub const STDERR_TAIL_BYTES: usize = 64 * 1024;

impl HookRunOutput {
    /// Upstream's error text for a failed run: the captured stderr, or `cmd run: exit status N`
    /// when stderr was empty. `None` on success.
    pub fn failure_message(&self) -> Option<String> {
        if self.exit.success() {
            return None;
        }
        let stderr = self.stderr_tail.trim();
        Some(if stderr.is_empty() {
            format!("cmd run: {}", self.exit)
        } else {
            stderr.to_string()
        })
    }
}
