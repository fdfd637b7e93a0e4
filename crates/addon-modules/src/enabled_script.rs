//! Which modules are enabled: the `<key>Enabled` flags (static values, then the ConfigMap), then
//! each module's `enabled` script, run in module order with `$VALUES_PATH` (holding
//! `global.enabledModules`, the modules found enabled before it), `$CONFIG_VALUES_PATH`,
//! `$MODULE_ENABLED_RESULT` and `$MODULE_ENABLED_REASON`. A script may only disable its module;
//! a failing script fails the whole calculation, as upstream.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::config_map::GLOBAL_KEY;
use crate::discovery::ModuleDef;
use crate::module_set::ModuleSet;

/// Env var with the path of the values file of the script.
pub const VALUES_PATH: &str = "VALUES_PATH";
/// Env var with the path of the config values file of the script.
pub const CONFIG_VALUES_PATH: &str = "CONFIG_VALUES_PATH";
/// Env var with the path the script writes `true` or `false` to.
pub const MODULE_ENABLED_RESULT: &str = "MODULE_ENABLED_RESULT";
/// Env var with the path the script may write the reason of a `false` to.
pub const MODULE_ENABLED_REASON: &str = "MODULE_ENABLED_REASON";

/// A script could not decide.
#[derive(Debug, thiserror::Error)]
pub enum EnabledScriptError {
    /// Writing or reading the script's files failed.
    #[error("module '{module}': enabled script files in {}", dir.display())]
    Files {
        /// The module.
        module: String,
        /// The tmp dir.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The script could not be run.
    #[error("module '{module}': run enabled script")]
    Run {
        /// The module.
        module: String,
        /// The cause.
        #[source]
        source: hook_exec::ExecError,
    },
    /// The script exited non-zero.
    #[error("module '{module}': enabled script failed: {message}")]
    Failed {
        /// The module.
        module: String,
        /// stderr, or the exit status.
        message: String,
    },
    /// The result file holds something other than `true` or `false`.
    #[error("module '{module}': bad enabled result '{result}'")]
    BadResult {
        /// The module.
        module: String,
        /// What the file held (trimmed).
        result: String,
    },
}

/// How scripts are run.
#[derive(Debug, Clone)]
pub struct ScriptRunner {
    /// Where the files of each run are written (`--tmp-dir`).
    pub tmp_dir: PathBuf,
    /// The operator's environment, passed to the scripts.
    pub env: Vec<(OsString, OsString)>,
}

/// One module's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleState {
    /// The module.
    pub name: String,
    /// Enabled after flags and script.
    pub enabled: bool,
    /// The script's reason when it disabled the module.
    pub reason: Option<String>,
}

impl ScriptRunner {
    /// Decides every module of `set`, in module order.
    pub async fn evaluate(
        &self,
        set: &ModuleSet,
        cancel: &CancellationToken,
    ) -> Result<Vec<ModuleState>, EnabledScriptError> {
        let mut states = Vec::with_capacity(set.modules().len());
        let mut enabled_so_far: Vec<String> = Vec::new();
        for module in set.modules() {
            let mut state = ModuleState {
                name: module.name.clone(),
                enabled: set.is_enabled(module),
                reason: None,
            };
            if state.enabled
                && let Some(script) = executable_script(module)
            {
                let (enabled, reason) = self
                    .run(set, module, &script, &enabled_so_far, cancel)
                    .await?;
                state.enabled = enabled;
                state.reason = reason;
            }
            if state.enabled {
                enabled_so_far.push(module.name.clone());
            }
            states.push(state);
        }
        Ok(states)
    }

    async fn run(
        &self,
        set: &ModuleSet,
        module: &ModuleDef,
        script: &Path,
        enabled_so_far: &[String],
        cancel: &CancellationToken,
    ) -> Result<(bool, Option<String>), EnabledScriptError> {
        let files_err = |source| EnabledScriptError::Files {
            module: module.name.clone(),
            dir: self.tmp_dir.clone(),
            source,
        };
        let files = ScriptFiles::new(&self.tmp_dir, &module.name);
        let mut global = set.global_values();
        global.insert("enabledModules".to_owned(), enabled_so_far.into());
        let values = two_keys(
            Value::Object(global),
            module,
            Value::Object(set.module_values(module)),
        );
        let config = two_keys(
            Value::Object(set.global_config()),
            module,
            set.module_config(module),
        );
        let write = async {
            tokio::fs::write(&files.values, values.to_string()).await?;
            tokio::fs::write(&files.config, config.to_string()).await?;
            tokio::fs::write(&files.result, b"").await?;
            tokio::fs::write(&files.reason, b"").await
        };
        if let Err(e) = write.await {
            files.remove().await;
            return Err(files_err(e));
        }
        let mut spec = hook_exec::HookRunSpec::new(
            script.to_owned(),
            self.tmp_dir.clone(),
            format!("{}/enabled", module.name),
        );
        spec.base_env = self.env.clone();
        spec.output_files = Vec::new();
        spec.extra_env = vec![
            (VALUES_PATH.into(), files.values.clone().into_os_string()),
            (
                CONFIG_VALUES_PATH.into(),
                files.config.clone().into_os_string(),
            ),
            (
                MODULE_ENABLED_RESULT.into(),
                files.result.clone().into_os_string(),
            ),
            (
                MODULE_ENABLED_REASON.into(),
                files.reason.clone().into_os_string(),
            ),
        ];
        let output = hook_exec::run_hook(&spec, cancel).await;
        let read = async {
            let result = tokio::fs::read_to_string(&files.result).await?;
            let reason = tokio::fs::read_to_string(&files.reason).await?;
            Ok::<_, std::io::Error>((result, reason))
        }
        .await;
        files.remove().await;
        let output = output.map_err(|source| EnabledScriptError::Run {
            module: module.name.clone(),
            source,
        })?;
        if let Some(message) = output.failure_message() {
            return Err(EnabledScriptError::Failed {
                module: module.name.clone(),
                message,
            });
        }
        let (result, reason) = read.map_err(files_err)?;
        match result.trim() {
            "true" => Ok((true, None)),
            "false" => {
                let reason = reason.trim();
                Ok((false, (!reason.is_empty()).then(|| reason.to_owned())))
            }
            other => Err(EnabledScriptError::BadResult {
                module: module.name.clone(),
                result: other.to_owned(),
            }),
        }
    }
}

/// `{"global": global, "<key>": own}`.
fn two_keys(global: Value, module: &ModuleDef, own: Value) -> Value {
    let mut out = Map::new();
    out.insert(GLOBAL_KEY.to_owned(), global);
    out.insert(module.values_key.clone(), own);
    Value::Object(out)
}

/// The module's `enabled` file when it is executable; a non-executable one is ignored with a
/// warning, as upstream.
fn executable_script(module: &ModuleDef) -> Option<PathBuf> {
    if !module.has_enabled_script {
        return None;
    }
    let path = module.path.join("enabled");
    let mode = std::fs::metadata(&path).ok()?.permissions().mode();
    if mode & 0o111 == 0 {
        tracing::warn!(
            module = module.name,
            path = %path.display(),
            "enabled script has no executable permissions, chmod +x is required; ignored"
        );
        return None;
    }
    Some(path)
}

/// The four files of one script run.
struct ScriptFiles {
    values: PathBuf,
    config: PathBuf,
    result: PathBuf,
    reason: PathBuf,
}

impl ScriptFiles {
    fn new(dir: &Path, module: &str) -> ScriptFiles {
        let file = |suffix: &str| dir.join(format!("{module}.{suffix}"));
        ScriptFiles {
            values: file("module-enabled-values.json"),
            config: file("module-enabled-config-values.json"),
            result: file("module-enabled-result"),
            reason: file("module-enabled-reason"),
        }
    }

    async fn remove(&self) {
        for path in [&self.values, &self.config, &self.result, &self.reason] {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::test_support::{module_set_in, write};

    fn script(path: &Path, body: &str) {
        write(path, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn runner(dir: &Path) -> ScriptRunner {
        let path = std::env::var_os("PATH").unwrap_or_default();
        ScriptRunner {
            tmp_dir: dir.to_owned(),
            env: vec![("PATH".into(), path)],
        }
    }

    #[tokio::test]
    async fn scripts_see_the_modules_enabled_before_them_and_may_only_disable() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("modules");
        write(
            &root.join("values.yaml"),
            "alphaEnabled: true\nbetaEnabled: true\ngammaEnabled: true\n",
        );
        script(
            &root.join("001-alpha/enabled"),
            "echo true > $MODULE_ENABLED_RESULT",
        );
        script(
            &root.join("002-beta/enabled"),
            "echo false > $MODULE_ENABLED_RESULT; echo 'not today' > $MODULE_ENABLED_REASON",
        );
        // gamma is enabled only if alpha came before it.
        script(
            &root.join("003-gamma/enabled"),
            "grep -q '\"enabledModules\":\\[\"alpha\"\\]' $VALUES_PATH && r=true || r=false; \
             echo $r > $MODULE_ENABLED_RESULT",
        );
        // A script of a module no flag enables never runs.
        script(&root.join("004-delta/enabled"), "exit 1");
        let tmp = d.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let states = runner(&tmp)
            .evaluate(&module_set_in(&root), &CancellationToken::new())
            .await
            .unwrap();
        let got: Vec<(&str, bool, Option<&str>)> = states
            .iter()
            .map(|s| (s.name.as_str(), s.enabled, s.reason.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("alpha", true, None),
                ("beta", false, Some("not today")),
                ("gamma", true, None),
                ("delta", false, None),
            ]
        );
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "files are removed"
        );
    }

    #[tokio::test]
    async fn a_failing_script_or_a_bad_result_fails_the_whole_calculation() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("modules");
        write(&root.join("values.yaml"), "alphaEnabled: true\n");
        script(
            &root.join("001-alpha/enabled"),
            "echo maybe > $MODULE_ENABLED_RESULT",
        );
        let error = async || {
            runner(d.path())
                .evaluate(&module_set_in(&root), &CancellationToken::new())
                .await
                .unwrap_err()
                .to_string()
        };
        assert_eq!(error().await, "module 'alpha': bad enabled result 'maybe'");
        script(&root.join("001-alpha/enabled"), "echo boom >&2; exit 3");
        assert_eq!(error().await, "module 'alpha': enabled script failed: boom");
    }
}
