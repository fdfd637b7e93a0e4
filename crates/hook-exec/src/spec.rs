//! What to run: the typed description of one hook run and one `--config` run.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::sink::{OutputSink, TracingSink};

/// Env var with the path of the binding context file.
pub const BINDING_CONTEXT_PATH: &str = "BINDING_CONTEXT_PATH";
/// Env var with the path of the metrics file.
pub const METRICS_PATH: &str = "METRICS_PATH";
/// Env var with the path of the object patch file.
pub const KUBERNETES_PATCH_PATH: &str = "KUBERNETES_PATCH_PATH";
/// Env var with the path of the admission response file.
pub const VALIDATING_RESPONSE_PATH: &str = "VALIDATING_RESPONSE_PATH";
/// Same file as [`VALIDATING_RESPONSE_PATH`].
pub const ADMISSION_RESPONSE_PATH: &str = "ADMISSION_RESPONSE_PATH";
/// Env var with the path of the conversion response file.
pub const CONVERSION_RESPONSE_PATH: &str = "CONVERSION_RESPONSE_PATH";

/// Default bound for `<hook> --config`.
pub const DEFAULT_CONFIG_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time between SIGTERM and SIGKILL of a timed-out or cancelled hook's process group.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(5);
/// Default time to keep reading the pipes after the hook exited (background processes may hold
/// them open forever).
pub const DEFAULT_PIPE_DRAIN_GRACE: Duration = Duration::from_secs(1);

/// An output file the hook may write; each one is created empty before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFile {
    /// `$METRICS_PATH`.
    Metrics,
    /// `$KUBERNETES_PATCH_PATH`.
    KubernetesPatch,
    /// `$VALIDATING_RESPONSE_PATH` and `$ADMISSION_RESPONSE_PATH` (one file).
    AdmissionResponse,
    /// `$CONVERSION_RESPONSE_PATH`.
    ConversionResponse,
}

impl OutputFile {
    /// Every output file, as upstream creates them for every run.
    pub const ALL: [OutputFile; 4] = [
        OutputFile::Metrics,
        OutputFile::KubernetesPatch,
        OutputFile::AdmissionResponse,
        OutputFile::ConversionResponse,
    ];
}

/// Whether the run's temporary files survive it (`--debug-keep-tmp-files`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TmpFiles {
    /// Remove all files after the run (default).
    #[default]
    Remove,
    /// Leave them for debugging.
    Keep,
}

/// How hook output lines are turned into log records (`--log-proxy-hook-json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogProxy {
    /// Every non-empty line is one record (upstream default).
    #[default]
    PlainLines,
    /// JSON objects (possibly spanning lines) become records with `hook_<key>` fields.
    JsonObjects,
}

/// Labels attached to every log record of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogContext {
    /// Hook name (path relative to the hooks dir).
    pub hook: String,
    /// Binding name(s).
    pub binding: String,
    /// Binding type (`kubernetes`, `schedule`, ...).
    pub event: String,
    /// Task type, `HookRun`.
    pub task: String,
    /// Queue name.
    pub queue: String,
}

/// Everything needed to run a hook once.
#[derive(Clone)]
pub struct HookRunSpec {
    /// Absolute path of the hook executable; run with no arguments.
    pub executable: PathBuf,
    /// Working directory: the directory holding the hook.
    pub working_dir: PathBuf,
    /// The operator's environment (passed explicitly; the library never reads the process env).
    pub base_env: Vec<(OsString, OsString)>,
    /// Extra variables, applied after `base_env` and before the file paths.
    pub extra_env: Vec<(OsString, OsString)>,
    /// Contents of `$BINDING_CONTEXT_PATH` (a JSON array).
    pub binding_context: Vec<u8>,
    /// Where the temporary files are created (`--tmp-dir`).
    pub tmp_dir: PathBuf,
    /// `--debug-keep-tmp-files`.
    pub tmp_files: TmpFiles,
    /// Output files to create (and export paths for).
    pub output_files: Vec<OutputFile>,
    /// Hook timeout; `None` means wait forever (upstream behaviour).
    pub timeout: Option<Duration>,
    /// SIGTERM → SIGKILL delay when the run is timed out or cancelled.
    pub kill_grace: Duration,
    /// How long to read the pipes after the hook exited.
    pub pipe_drain_grace: Duration,
    /// Labels for log records; `log.hook` also names the temporary files.
    pub log: LogContext,
    /// JSON proxying mode.
    pub log_proxy: LogProxy,
    /// Where output lines go.
    pub sink: Arc<dyn OutputSink>,
}

impl std::fmt::Debug for HookRunSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookRunSpec")
            .field("executable", &self.executable)
            .field("working_dir", &self.working_dir)
            .field("binding_context_bytes", &self.binding_context.len())
            .field("tmp_dir", &self.tmp_dir)
            .field("tmp_files", &self.tmp_files)
            .field("output_files", &self.output_files)
            .field("timeout", &self.timeout)
            .field("log", &self.log)
            .field("log_proxy", &self.log_proxy)
            .finish_non_exhaustive()
    }
}

impl HookRunSpec {
    /// A spec with upstream defaults: cwd = the executable's directory, all output files, no
    /// timeout, files removed, plain line logging through `tracing`.
    pub fn new(executable: PathBuf, tmp_dir: PathBuf, hook_name: impl Into<String>) -> Self {
        let working_dir = executable
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        Self {
            executable,
            working_dir,
            base_env: Vec::new(),
            extra_env: Vec::new(),
            binding_context: b"[]\n".to_vec(),
            tmp_dir,
            tmp_files: TmpFiles::Remove,
            output_files: OutputFile::ALL.to_vec(),
            timeout: None,
            kill_grace: DEFAULT_KILL_GRACE,
            pipe_drain_grace: DEFAULT_PIPE_DRAIN_GRACE,
            log: LogContext {
                hook: hook_name.into(),
                task: "HookRun".to_string(),
                ..LogContext::default()
            },
            log_proxy: LogProxy::PlainLines,
            sink: Arc::new(TracingSink),
        }
    }
}

/// Everything needed to run `<hook> --config`.
#[derive(Debug, Clone)]
pub struct ConfigRunSpec {
    /// Absolute path of the hook executable.
    pub executable: PathBuf,
    /// Working directory (upstream: the hooks dir).
    pub working_dir: PathBuf,
    /// The operator's environment.
    pub env: Vec<(OsString, OsString)>,
    /// Bound on the run (default 60 s).
    pub timeout: Duration,
    /// SIGTERM → SIGKILL delay on timeout.
    pub kill_grace: Duration,
    /// Largest accepted stdout.
    pub max_stdout_bytes: usize,
}

impl ConfigRunSpec {
    /// A spec with the 60 s default timeout.
    pub fn new(executable: PathBuf, working_dir: PathBuf) -> Self {
        Self {
            executable,
            working_dir,
            env: Vec::new(),
            timeout: DEFAULT_CONFIG_TIMEOUT,
            kill_grace: DEFAULT_KILL_GRACE,
            max_stdout_bytes: 16 * 1024 * 1024,
        }
    }
}
