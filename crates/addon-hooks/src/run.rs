//! Running an addon-operator hook once: its binding contexts, the values files of reference §2.4
//! (`$CONFIG_VALUES_PATH` with ConfigMap data only, `$VALUES_PATH` with effective values, the
//! two empty patch files) next to shell-operator's files (`hook-exec`: `$BINDING_CONTEXT_PATH`,
//! `$METRICS_PATH`, `$KUBERNETES_PATCH_PATH`), and after exit 0 the parsed [`HookOutcome`]. A
//! failed hook returns an error and no patches.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use binding_context::{BindingContext, Snapshots};
use hook_exec::{HookRunSpec, LogContext, OutputFile, OutputSink, TmpFiles, TracingSink};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::config::LifecycleBinding;
use crate::discovery::{AddonHook, HookOwner};
use crate::outcome::{HookOutcome, OutcomeError, OutputFiles, parse_outcome};
use crate::patch::rules::GLOBAL_KEY;
use crate::patch::{CONFIG_VALUES_JSON_PATCH_PATH, VALUES_JSON_PATCH_PATH};

/// Env var with the path of the config values file.
pub const CONFIG_VALUES_PATH: &str = "CONFIG_VALUES_PATH";
/// Env var with the path of the effective values file.
pub const VALUES_PATH: &str = "VALUES_PATH";

/// How hooks are run (operator-wide settings).
#[derive(Clone)]
pub struct RunConfig {
    /// Where the run's files are created (`ADDON_OPERATOR_TMP_DIR`).
    pub tmp_dir: PathBuf,
    /// The operator's environment, passed to hooks.
    pub env: Vec<(OsString, OsString)>,
    /// `DEBUG_KEEP_TMP_FILES`.
    pub tmp_files: TmpFiles,
    /// Default run timeout (a hook's `settings.executionTimeout` wins); `None` waits forever.
    pub timeout: Option<Duration>,
    /// Where hook output lines go.
    pub sink: Arc<dyn OutputSink>,
}

impl std::fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("tmp_dir", &self.tmp_dir)
            .field("tmp_files", &self.tmp_files)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RunConfig {
    /// Upstream defaults: files removed, no timeout, output logged through `tracing`.
    pub fn new(tmp_dir: PathBuf, env: Vec<(OsString, OsString)>) -> RunConfig {
        RunConfig {
            tmp_dir,
            env,
            tmp_files: TmpFiles::Remove,
            timeout: None,
            sink: Arc::new(TracingSink),
        }
    }
}

/// What one run is given.
#[derive(Debug, Clone)]
pub struct HookInput {
    /// The binding contexts (`$BINDING_CONTEXT_PATH`).
    pub contexts: Vec<BindingContext>,
    /// `{"global": <global config>}` or `{"global": ..., "<key>": <module config>}`: ConfigMap
    /// sections only.
    pub config_values: Value,
    /// The same shape with effective values.
    pub values: Value,
}

impl HookInput {
    /// A lifecycle run (`beforeHelm`, ...): one context with the hook's snapshots (all its
    /// kubernetes bindings; `{}` without any).
    pub fn lifecycle(
        binding: LifecycleBinding,
        snapshots: Snapshots,
        config_values: Value,
        values: Value,
    ) -> HookInput {
        HookInput {
            contexts: vec![BindingContext::lifecycle(binding.as_str()).with_snapshots(snapshots)],
            config_values,
            values,
        }
    }
}

/// `{"global": global}` for a global hook, `{"global": global, "<key>": own}` for a module hook:
/// the shape of `$VALUES_PATH` and `$CONFIG_VALUES_PATH`.
pub fn values_document(owner: &HookOwner, global: Map<String, Value>, own: Value) -> Value {
    let mut doc = Map::new();
    doc.insert(GLOBAL_KEY.to_owned(), Value::Object(global));
    if let HookOwner::Module { key, .. } = owner {
        doc.insert(key.clone(), own);
    }
    Value::Object(doc)
}

/// A run that did not end in a usable outcome.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The binding contexts could not be rendered.
    #[error("hook '{hook}': render binding context")]
    Context {
        /// The hook name.
        hook: String,
        /// The cause.
        #[source]
        source: binding_context::RenderError,
    },
    /// The values files could not be written or read.
    #[error("hook '{hook}': values file {}", path.display())]
    Files {
        /// The hook name.
        hook: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The hook could not be run (spawn, timeout, cancellation).
    #[error("run hook '{hook}'")]
    Exec {
        /// The hook name.
        hook: String,
        /// The cause.
        #[source]
        source: hook_exec::ExecError,
    },
    /// The hook exited non-zero: none of its patches are applied.
    #[error("hook '{hook}' failed: {message}")]
    Failed {
        /// The hook name.
        hook: String,
        /// The end of stderr, or the exit status.
        message: String,
    },
    /// The hook wrote an output file wrong.
    #[error(transparent)]
    Outcome(#[from] OutcomeError),
}

/// The four values files of one run, removed after it unless kept.
struct ValuesFiles {
    config_values: PathBuf,
    values: PathBuf,
    config_patch: PathBuf,
    values_patch: PathBuf,
    keep: TmpFiles,
    removed: bool,
}

impl ValuesFiles {
    fn new(dir: &Path, hook: &str, keep: TmpFiles) -> ValuesFiles {
        let safe = hook_exec::safe_file_name(hook);
        // Named like hook-exec's files: `hook-<safe name>-<what>-<uuid>.json`.
        let file =
            |what: &str| dir.join(format!("hook-{safe}-{what}-{}.json", uuid::Uuid::new_v4()));
        ValuesFiles {
            config_values: file("config-values"),
            values: file("values"),
            config_patch: file("config-values-json-patch"),
            values_patch: file("values-json-patch"),
            keep,
            removed: false,
        }
    }

    fn paths(&self) -> [&PathBuf; 4] {
        [
            &self.config_values,
            &self.values,
            &self.config_patch,
            &self.values_patch,
        ]
    }

    fn env(&self) -> Vec<(OsString, OsString)> {
        [
            (CONFIG_VALUES_PATH, &self.config_values),
            (VALUES_PATH, &self.values),
            (CONFIG_VALUES_JSON_PATCH_PATH, &self.config_patch),
            (VALUES_JSON_PATCH_PATH, &self.values_patch),
        ]
        .into_iter()
        .map(|(name, path)| (name.into(), path.clone().into_os_string()))
        .collect()
    }

    /// Creates the files (mode 0600, never an existing file: values may hold secrets).
    async fn create(&self, input: &HookInput) -> Result<(), (PathBuf, std::io::Error)> {
        let contents = [
            input.config_values.to_string().into_bytes(),
            input.values.to_string().into_bytes(),
            Vec::new(),
            Vec::new(),
        ];
        for (path, data) in self.paths().into_iter().zip(contents) {
            write_new(path, &data)
                .await
                .map_err(|e| (path.clone(), e))?;
        }
        Ok(())
    }
}

async fn write_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await?;
    file.write_all(data).await?;
    file.flush().await
}

/// A patch file, refused past `hook-exec`'s limit for output files.
async fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    let limit = hook_exec::MAX_OUTPUT_FILE_BYTES;
    if tokio::fs::metadata(path).await?.len() > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    tokio::fs::read(path).await
}

impl ValuesFiles {
    /// Reads both patch files, then removes all files unless kept.
    async fn finish(mut self) -> Result<(Vec<u8>, Vec<u8>), (PathBuf, std::io::Error)> {
        let read = async |path: &PathBuf| read_limited(path).await.map_err(|e| (path.clone(), e));
        let patches = match (
            read(&self.config_patch).await,
            read(&self.values_patch).await,
        ) {
            (Ok(config), Ok(values)) => Ok((config, values)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        if self.keep == TmpFiles::Remove {
            for path in self.paths() {
                let _ = tokio::fs::remove_file(path).await;
            }
        }
        self.removed = true;
        patches
    }
}

/// A run whose future is dropped mid-way (or that failed) still removes its files, which may
/// hold secrets; these are four short unlinks, as `hook-exec` does for its own files.
impl Drop for ValuesFiles {
    fn drop(&mut self) {
        if self.removed || self.keep == TmpFiles::Keep {
            return;
        }
        for path in self.paths() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs `hook` once with `input`; after exit 0 returns what it asked for.
pub async fn run_addon_hook(
    config: &RunConfig,
    hook: &AddonHook,
    input: &HookInput,
    cancel: &CancellationToken,
) -> Result<HookOutcome, RunError> {
    let name = hook.name().to_owned();
    let binding_context = binding_context::render(&input.contexts, hook.hook.context_format())
        .map_err(|source| RunError::Context {
            hook: name.clone(),
            source,
        })?;
    let files_err = |(path, source): (PathBuf, std::io::Error)| RunError::Files {
        hook: name.clone(),
        path,
        source,
    };
    let files = ValuesFiles::new(&config.tmp_dir, &name, config.tmp_files);
    files.create(input).await.map_err(files_err)?;
    let mut spec = HookRunSpec::new(hook.hook.path.clone(), config.tmp_dir.clone(), &name);
    spec.base_env = config.env.clone();
    spec.extra_env = files.env();
    spec.binding_context = binding_context;
    spec.tmp_files = config.tmp_files;
    spec.output_files = vec![OutputFile::Metrics, OutputFile::KubernetesPatch];
    spec.timeout = hook.hook.timeout(config.timeout);
    spec.sink = config.sink.clone();
    spec.log = LogContext {
        hook: name.clone(),
        binding: input
            .contexts
            .iter()
            .map(|c| c.binding.as_str())
            .collect::<Vec<_>>()
            .join(","),
        event: input
            .contexts
            .first()
            .map(|c| c.binding.clone())
            .unwrap_or_default(),
        task: match hook.owner {
            HookOwner::Global => "GlobalHookRun".to_owned(),
            HookOwner::Module { .. } => "ModuleHookRun".to_owned(),
        },
        queue: hook_config::DEFAULT_QUEUE.to_owned(),
    };
    let output = hook_exec::run_hook(&spec, cancel)
        .await
        .map_err(|source| RunError::Exec {
            hook: name.clone(),
            source,
        })?;
    if let Some(message) = output.failure_message() {
        return Err(RunError::Failed {
            hook: name.clone(),
            message,
        });
    }
    let (config_patch, values_patch) = files.finish().await.map_err(files_err)?;
    let outputs = OutputFiles {
        config_patch: &config_patch,
        values_patch: &values_patch,
        metrics: output.files.metrics.as_deref().unwrap_or_default(),
        object_patches: output.files.kubernetes_patch.as_deref().unwrap_or_default(),
    };
    Ok(parse_outcome(&name, hook.owner.patch_scope(), outputs)?)
}
