//! Finding and loading addon-operator hooks: global hooks under `$GLOBAL_HOOKS_DIR/hooks` when
//! that subdirectory exists, else under `$GLOBAL_HOOKS_DIR`; module hooks under
//! `<module>/hooks` (none without it, `venv` skipped), named `hooks/<path>` as upstream HEAD.
//! The walk itself is shell-operator's (`hook-engine`): recursive, sorted by path, hidden
//! entries, `lib`, `.yaml/.json/.md/.txt` and non-executable files (with a warning) skipped.
//! Lifecycle hooks then run by ascending ORDER, ties broken by hook name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hook_engine::discovery::{DiscoveryError, HookFile, discover_hooks_excluding};
use hook_engine::{Hook, LoadError, LoadOptions, load_hook_files};
use tokio_util::sync::CancellationToken;

use crate::config::{HookKind, LifecycleBinding};
use crate::patch::rules::PatchScope;

/// The subdirectory of `$GLOBAL_HOOKS_DIR` (and of a module) holding hooks.
pub const HOOKS_SUBDIR: &str = "hooks";
/// Directories of module hooks that never hold hooks (a Python virtualenv).
const MODULE_EXCLUDED_DIRS: &[&str] = &["venv"];

/// Whose hook it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOwner {
    /// A global hook.
    Global,
    /// A module hook.
    Module {
        /// The module name (`some-module`).
        name: String,
        /// Its values key (`someModule`).
        key: String,
    },
}

impl HookOwner {
    /// The hook kind.
    pub fn kind(&self) -> HookKind {
        match self {
            HookOwner::Global => HookKind::Global,
            HookOwner::Module { .. } => HookKind::Module,
        }
    }

    /// What its patches may touch.
    pub fn patch_scope(&self) -> PatchScope<'_> {
        match self {
            HookOwner::Global => PatchScope::Global,
            HookOwner::Module { key, .. } => PatchScope::Module { key },
        }
    }
}

/// A loaded addon-operator hook: shell-operator's hook (file, config, rate limiter) and owner.
#[derive(Debug)]
pub struct AddonHook {
    /// The hook as the engine runs it.
    pub hook: Hook,
    /// Global or a module's.
    pub owner: HookOwner,
}

impl AddonHook {
    /// The hook name (logs, metric labels, temporary file names).
    pub fn name(&self) -> &str {
        &self.hook.name
    }

    /// The hook's ORDER for `binding`, if it has that binding.
    pub fn order(&self, binding: LifecycleBinding) -> Option<i64> {
        binding.order_in(&self.hook.config)
    }
}

/// How `--config` is run while loading.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The operator's environment.
    pub env: Vec<(OsString, OsString)>,
    /// Bound on each `--config` run.
    pub config_timeout: Duration,
}

/// Where global hooks are searched: `<dir>/hooks` if it exists, else `<dir>`.
pub async fn global_hooks_root(global_hooks_dir: &Path) -> PathBuf {
    let sub = global_hooks_dir.join(HOOKS_SUBDIR);
    match tokio::fs::metadata(&sub).await {
        Ok(meta) if meta.is_dir() => sub,
        _ => global_hooks_dir.to_path_buf(),
    }
}

/// The global hook files, named by their path relative to the search root.
pub async fn discover_global_hooks(
    global_hooks_dir: &Path,
) -> Result<Vec<HookFile>, DiscoveryError> {
    let root = global_hooks_root(global_hooks_dir).await;
    walk(root, &[]).await
}

/// A module's hook files, named `hooks/<path>`; none without a `hooks` directory.
pub async fn discover_module_hooks(module_dir: &Path) -> Result<Vec<HookFile>, DiscoveryError> {
    let root = module_dir.join(HOOKS_SUBDIR);
    if !tokio::fs::metadata(&root).await.is_ok_and(|m| m.is_dir()) {
        return Ok(Vec::new());
    }
    let mut files = walk(root, MODULE_EXCLUDED_DIRS).await?;
    for file in &mut files {
        file.name = format!("{HOOKS_SUBDIR}/{}", file.name);
    }
    Ok(files)
}

async fn walk(
    root: PathBuf,
    excluded: &'static [&'static str],
) -> Result<Vec<HookFile>, DiscoveryError> {
    let path = root.clone();
    tokio::task::spawn_blocking(move || discover_hooks_excluding(&root, excluded))
        .await
        .unwrap_or_else(|e| {
            Err(DiscoveryError::Read {
                path,
                source: std::io::Error::other(e),
            })
        })
}

/// Why hooks could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadHooksError {
    /// Walking the hooks directory failed.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// A `--config` run failed or printed an invalid config (the hook is named).
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Finds and loads the global hooks (`--config` runs in the search root, as upstream).
pub async fn load_global_hooks(
    global_hooks_dir: &Path,
    config: &LoadConfig,
    cancel: &CancellationToken,
) -> Result<Vec<AddonHook>, LoadHooksError> {
    let root = global_hooks_root(global_hooks_dir).await;
    let files = walk(root.clone(), &[]).await?;
    load(files, &root, HookOwner::Global, config, cancel).await
}

/// Finds and loads the hooks of the module in `module_dir`.
pub async fn load_module_hooks(
    module_dir: &Path,
    owner: HookOwner,
    config: &LoadConfig,
    cancel: &CancellationToken,
) -> Result<Vec<AddonHook>, LoadHooksError> {
    let files = discover_module_hooks(module_dir).await?;
    load(files, &module_dir.join(HOOKS_SUBDIR), owner, config, cancel).await
}

async fn load(
    files: Vec<HookFile>,
    working_dir: &Path,
    owner: HookOwner,
    config: &LoadConfig,
    cancel: &CancellationToken,
) -> Result<Vec<AddonHook>, LoadHooksError> {
    let options = LoadOptions {
        parse: owner.kind().parse_options(),
        env: config.env.clone(),
        config_timeout: config.config_timeout,
    };
    let hooks = load_hook_files(files, working_dir, &options, cancel).await?;
    Ok(hooks
        .into_iter()
        .map(|hook| AddonHook {
            hook,
            owner: owner.clone(),
        })
        .collect())
}

/// The hooks with `binding`, by ascending ORDER, ties by hook name.
pub fn lifecycle_order(hooks: &[AddonHook], binding: LifecycleBinding) -> Vec<&AddonHook> {
    ordered(hooks, |h| h.order(binding))
}

/// The hooks with `onStartup`, by ascending ORDER, ties by hook name.
pub fn startup_order(hooks: &[AddonHook]) -> Vec<&AddonHook> {
    ordered(hooks, |h| h.hook.config.on_startup.map(|o| o.order))
}

fn ordered(hooks: &[AddonHook], order: impl Fn(&AddonHook) -> Option<i64>) -> Vec<&AddonHook> {
    let mut with: Vec<(i64, &AddonHook)> =
        hooks.iter().filter_map(|h| Some((order(h)?, h))).collect();
    with.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name().cmp(b.1.name())));
    with.into_iter().map(|(_, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn hook(root: &Path, rel: &str, config: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = format!("#!/bin/sh\nif [ \"$1\" = --config ]; then echo '{config}'; fi\n");
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn plain(root: &Path, rel: &str, mode: u32) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "x").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn names(files: &[HookFile]) -> Vec<&str> {
        files.iter().map(|f| f.name.as_str()).collect()
    }

    fn load_config() -> LoadConfig {
        LoadConfig {
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            config_timeout: Duration::from_secs(20),
        }
    }

    #[tokio::test]
    async fn global_hooks_come_from_the_hooks_subdirectory_when_it_exists() {
        let d = tempfile::tempdir().unwrap();
        hook(d.path(), "top.sh", "{}");
        plain(d.path(), "openapi/values.yaml", 0o644);
        let files = discover_global_hooks(d.path()).await.unwrap();
        assert_eq!(names(&files), vec!["top.sh"]);
        hook(d.path(), "hooks/b/nested.sh", "{}");
        hook(d.path(), "hooks/a.sh", "{}");
        let files = discover_global_hooks(d.path()).await.unwrap();
        assert_eq!(names(&files), vec!["a.sh", "b/nested.sh"]);
        assert_eq!(files[0].path, d.path().join("hooks/a.sh"));
    }

    #[tokio::test]
    async fn module_hooks_are_named_from_hooks_and_skip_venv_lib_hidden_docs_and_non_executables() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("001-some-module");
        std::fs::create_dir_all(&m).unwrap();
        assert!(
            discover_module_hooks(&m).await.unwrap().is_empty(),
            "no hooks dir"
        );
        hook(&m, "hooks/https/copy_cert.py", "{}");
        hook(&m, "hooks/a.sh", "{}");
        hook(&m, "hooks/venv/bin/python3", "{}");
        hook(&m, "hooks/lib/common.sh", "{}");
        hook(&m, "hooks/.hidden.sh", "{}");
        hook(&m, "hooks/.git/x.sh", "{}");
        plain(&m, "hooks/README.md", 0o755);
        plain(&m, "hooks/data.json", 0o755);
        plain(&m, "hooks/values.yaml", 0o755);
        plain(&m, "hooks/notes.txt", 0o755);
        plain(&m, "hooks/noexec.sh", 0o644);
        let files = discover_module_hooks(&m).await.unwrap();
        assert_eq!(
            names(&files),
            vec!["hooks/a.sh", "hooks/https/copy_cert.py"]
        );
    }

    #[tokio::test]
    async fn lifecycle_hooks_run_by_order_then_name() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("module");
        hook(&m, "hooks/c.sh", r#"{"configVersion":"v1","afterHelm":10}"#);
        hook(
            &m,
            "hooks/b.sh",
            r#"{"configVersion":"v1","afterHelm":10,"onStartup":2}"#,
        );
        hook(
            &m,
            "hooks/a.sh",
            r#"{"configVersion":"v1","afterHelm":10,"onStartup":2}"#,
        );
        hook(&m, "hooks/z.sh", r#"{"configVersion":"v1","afterHelm":1}"#);
        hook(&m, "hooks/y.sh", r#"{"configVersion":"v1","beforeHelm":1}"#);
        let owner = HookOwner::Module {
            name: "module".into(),
            key: "module".into(),
        };
        let hooks = load_module_hooks(&m, owner, &load_config(), &CancellationToken::new())
            .await
            .unwrap();
        let order = |list: Vec<&AddonHook>| -> Vec<String> {
            list.iter().map(|h| h.name().to_owned()).collect()
        };
        assert_eq!(
            order(lifecycle_order(&hooks, LifecycleBinding::AfterHelm)),
            vec!["hooks/z.sh", "hooks/a.sh", "hooks/b.sh", "hooks/c.sh"]
        );
        assert_eq!(
            order(lifecycle_order(&hooks, LifecycleBinding::BeforeHelm)),
            vec!["hooks/y.sh"]
        );
        assert_eq!(
            order(startup_order(&hooks)),
            vec!["hooks/a.sh", "hooks/b.sh"]
        );
    }

    #[tokio::test]
    async fn a_module_binding_on_a_global_hook_fails_loading_naming_the_hook() {
        let d = tempfile::tempdir().unwrap();
        hook(
            d.path(),
            "hooks/bad.sh",
            r#"{"configVersion":"v1","onStartup":1,"beforeHelm":1}"#,
        );
        let err = load_global_hooks(d.path(), &load_config(), &CancellationToken::new())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "load hook 'bad.sh' config: beforeHelm is a module hook binding: a global hook cannot have it"
            ),
            "{err}"
        );
    }
}
