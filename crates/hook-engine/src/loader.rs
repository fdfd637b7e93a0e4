//! Loading hooks at startup: discover the executables, run each `<hook> --config` once (in path
//! order, with the hooks dir as working directory) and validate the output.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use hook_config::{ConfigError, ParseOptions};
use hook_exec::{ConfigRunSpec, DEFAULT_CONFIG_TIMEOUT, ExecError};
use tokio_util::sync::CancellationToken;

use crate::discovery::{DiscoveryError, HookFile, discover_hooks};
use crate::hook::{Hook, HookRegistry};

/// How hooks are loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Extra config keys allowed (addon-operator's ordered bindings).
    pub parse: ParseOptions,
    /// The environment `--config` runs with (the operator's own).
    pub env: Vec<(OsString, OsString)>,
    /// Bound on each `--config` run.
    pub config_timeout: Duration,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            parse: ParseOptions::shell_operator(),
            env: Vec::new(),
            config_timeout: DEFAULT_CONFIG_TIMEOUT,
        }
    }
}

/// Why the hooks could not be loaded; any of these stops startup.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The hooks directory could not be walked.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// `<hook> --config` could not run or exited non-zero.
    #[error("load hook '{hook}' config")]
    Run {
        /// The hook name.
        hook: String,
        /// What went wrong.
        #[source]
        source: ExecError,
    },
    /// `<hook> --config` printed an invalid config. The message carries every problem and the
    /// output, as upstream prints it.
    #[error("{error}\nhook --config output: {stdout}")]
    Config {
        /// All problems found.
        error: ConfigError,
        /// What the hook printed.
        stdout: String,
    },
    /// Loading was cancelled (shutdown during startup).
    #[error("loading hooks was cancelled")]
    Cancelled,
}

/// Discovers and loads every hook under `hooks_dir` (absolute).
pub async fn load_hooks(
    hooks_dir: &Path,
    options: &LoadOptions,
    cancel: &CancellationToken,
) -> Result<HookRegistry, LoadError> {
    let files = discover_hooks(hooks_dir)?;
    let hooks = load_hook_files(files, hooks_dir, options, cancel).await?;
    Ok(HookRegistry::new(hooks))
}

/// Runs `<hook> --config` for each of `files` in order (with `working_dir` as working
/// directory) and validates the output: [`load_hooks`] without the discovery, for callers that
/// find and name hooks their own way (addon-operator's module hooks).
pub async fn load_hook_files(
    files: Vec<HookFile>,
    working_dir: &Path,
    options: &LoadOptions,
    cancel: &CancellationToken,
) -> Result<Vec<Hook>, LoadError> {
    let mut hooks = Vec::with_capacity(files.len());
    for file in files {
        if cancel.is_cancelled() {
            return Err(LoadError::Cancelled);
        }
        let mut spec = ConfigRunSpec::new(file.path.clone(), working_dir.to_path_buf());
        spec.env = options.env.clone();
        spec.timeout = options.config_timeout;
        let stdout = hook_exec::run_config(&spec, cancel)
            .await
            .map_err(|source| match source {
                ExecError::Cancelled { .. } => LoadError::Cancelled,
                source => LoadError::Run {
                    hook: file.name.clone(),
                    source,
                },
            })?;
        let config = hook_config::parse_hook_config_with(&file.name, &stdout, &options.parse)
            .map_err(|error| LoadError::Config {
                error,
                stdout: String::from_utf8_lossy(&stdout).into_owned(),
            })?;
        tracing::info!(hook = %file.name, "hook config loaded");
        hooks.push(Hook::new(file, config));
    }
    Ok(hooks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write_hook(dir: &Path, name: &str, body: &str) {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn env() -> LoadOptions {
        LoadOptions {
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            ..LoadOptions::default()
        }
    }

    #[tokio::test]
    async fn each_hook_config_is_loaded_and_runs_in_the_hooks_dir() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        write_hook(
            tmp.path(),
            "sub/a.sh",
            r#"test -d sub && echo '{"configVersion":"v1","onStartup":5}'"#,
        );
        write_hook(
            tmp.path(),
            "b.sh",
            "echo 'configVersion: v1\nschedule:\n- crontab: \"* * * * *\"'",
        );
        let hooks = load_hooks(tmp.path(), &env(), &CancellationToken::new())
            .await
            .unwrap();
        let names: Vec<_> = hooks.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec!["b.sh", "sub/a.sh"]);
        let a = hooks.get("sub/a.sh").unwrap();
        assert_eq!(a.config.on_startup.map(|o| o.order), Some(5));
        assert_eq!(hooks.get("b.sh").unwrap().config.schedules.len(), 1);
    }

    #[tokio::test]
    async fn an_invalid_config_names_the_hook_and_shows_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        write_hook(tmp.path(), "bad.sh", r#"echo '{"configVersion":"v1"}'"#);
        let err = load_hooks(tmp.path(), &env(), &CancellationToken::new())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("load hook 'bad.sh' config: "), "{text}");
        assert!(
            text.ends_with("\nhook --config output: {\"configVersion\":\"v1\"}\n"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_failing_config_run_names_the_hook() {
        let tmp = tempfile::tempdir().unwrap();
        write_hook(tmp.path(), "fail.sh", "echo oops >&2; exit 1");
        let err = load_hooks(tmp.path(), &env(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(&err, LoadError::Run { hook, .. } if hook == "fail.sh"));
        assert_eq!(err.to_string(), "load hook 'fail.sh' config");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(source.contains("oops"), "{source}");
    }
}
