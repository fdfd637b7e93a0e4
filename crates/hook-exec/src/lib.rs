//! Running hook processes: environment, temp files, output proxying, timeouts.
//!
//! [`run_hook`] runs a hook once the way shell-operator does (no arguments, cwd = its dir, the
//! operator's env plus the `*_PATH` variables, output logged line by line) with two additions:
//! an optional timeout and a cancellation token, both of which kill the hook's whole process
//! group. [`run_config`] runs `<hook> --config`.

mod error;
mod lines;
mod log_proxy;
mod output;
mod process;
mod run;
mod sink;
mod spec;
mod supervise;
mod tmp_files;
mod usage;

pub use error::ExecError;
pub use log_proxy::{MAX_JSON_BYTES, MAX_LOG_CHARS};
pub use output::{HookExit, HookRunOutput, OutputContents, ResourceUsage, STDERR_TAIL_BYTES};
pub use process::{GroupSignal, group_alive, kill_group};
pub use run::{run_config, run_hook};
pub use sink::{HookLogLevel, HookLogRecord, OutputSink, OutputStream, TracingSink};
pub use spec::{
    ADMISSION_RESPONSE_PATH, BINDING_CONTEXT_PATH, CONVERSION_RESPONSE_PATH, ConfigRunSpec,
    DEFAULT_CONFIG_TIMEOUT, DEFAULT_KILL_GRACE, DEFAULT_PIPE_DRAIN_GRACE, HookRunSpec,
    KUBERNETES_PATCH_PATH, LogContext, LogProxy, METRICS_PATH, OutputFile, TmpFiles,
    VALIDATING_RESPONSE_PATH,
};
pub use tmp_files::{MAX_OUTPUT_FILE_BYTES, safe_file_name};
