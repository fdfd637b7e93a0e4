//! Why a hook run did not produce an exit status.

use std::path::PathBuf;
use std::time::Duration;

use crate::output::HookExit;

/// A failed step of running a hook. A hook that runs and exits non-zero is not an error here:
/// see [`crate::HookRunOutput::exit`].
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A temporary file could not be created or written (unwritable dir, disk full).
    #[error("cannot prepare temporary file {path}")]
    TmpFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The executable could not be started (missing, not executable, bad interpreter).
    #[error("cannot start {path}")]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the process failed.
    #[error("cannot wait for {path}")]
    Wait {
        /// The executable.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The run exceeded its timeout; its process group was killed.
    #[error("{path} timed out after {timeout:?} and was killed")]
    Timeout {
        /// The executable.
        path: PathBuf,
        /// The timeout that expired.
        timeout: Duration,
        /// The end of its stderr.
        stderr_tail: String,
    },
    /// The run was cancelled (operator shutdown); its process group was killed.
    #[error("{path} was cancelled and killed")]
    Cancelled {
        /// The executable.
        path: PathBuf,
    },
    /// An output file could not be read after the run.
    #[error("cannot read output file {path}")]
    ReadOutput {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An output file is larger than accepted.
    #[error("output file {path} is larger than {limit} bytes")]
    OutputTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// `--config` exited unsuccessfully.
    #[error("{path} --config failed with {exit}: {stderr_tail}")]
    ConfigFailed {
        /// The executable.
        path: PathBuf,
        /// How it ended.
        exit: HookExit,
        /// The end of its stderr.
        stderr_tail: String,
    },
    /// `--config` printed more than accepted.
    #[error("{path} --config printed more than {limit} bytes")]
    ConfigTooLarge {
        /// The executable.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
}
