//! The live module state the debug routes read and the ConfigMap watcher updates.

use std::sync::{PoisonError, RwLock};

use addon_modules::render::render_options;
use std::collections::BTreeSet;

use addon_modules::config_map::ModuleConfig;
use addon_modules::{
    ConfigMapError, ConfigValuesError, EnabledScriptError, KubeConfig, ModuleSet, ScriptRunner,
};
use helm_render::{HelmRenderer, RenderError, RenderedRelease, Renderer};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Why a ConfigMap version was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The ConfigMap does not parse (bad YAML, flag or key).
    #[error(transparent)]
    ConfigMap(#[from] ConfigMapError),
    /// A section does not validate against its schema.
    #[error(transparent)]
    Values(#[from] ConfigValuesError),
}

/// What applying a ConfigMap version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The config changed.
    Changed(ConfigChange),
    /// Same config as before (a change of metadata only, or the operator's own write).
    Unchanged,
}

/// Which parts of the ConfigMap changed, what upstream's KubeConfigManager reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigChange {
    /// `global` changed, was added or deleted.
    pub global: bool,
    /// Some `<key>Enabled` changed, was added or deleted.
    pub flags: bool,
    /// Modules (kebab-case) whose `<key>` section or `<key>Maintenance` changed.
    pub modules: BTreeSet<String>,
}

impl ConfigChange {
    /// The difference between `old` and `new`.
    pub fn between(old: &KubeConfig, new: &KubeConfig) -> ConfigChange {
        let mut change = ConfigChange {
            global: old.global != new.global,
            ..ConfigChange::default()
        };
        let keys: BTreeSet<&String> = old.modules.keys().chain(new.modules.keys()).collect();
        let empty = ModuleConfig::default();
        for key in keys {
            let before = old.modules.get(key).unwrap_or(&empty);
            let after = new.modules.get(key).unwrap_or(&empty);
            if before.enabled != after.enabled {
                change.flags = true;
            }
            if before.values != after.values || before.unmanaged != after.unmanaged {
                let name = if after.module_name.is_empty() {
                    &before.module_name
                } else {
                    &after.module_name
                };
                change.modules.insert(name.clone());
            }
        }
        change
    }
}

/// Why `module render` failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderModuleError {
    /// No module of that name.
    #[error("module not found")]
    NotFound,
    /// The chart did not render.
    #[error("failed to render manifests: {0}")]
    Render(RenderError),
    /// The render task could not finish.
    #[error("render task failed: {0}")]
    Task(String),
}

/// Modules with the ConfigMap in effect, the enabled modules, and the namespace releases
/// render into.
#[derive(Debug)]
pub struct Live {
    set: RwLock<ModuleSet>,
    /// Sorted names; empty until the first calculation succeeded (upstream lists no module
    /// before its first converge).
    enabled: RwLock<Vec<String>>,
    scripts: ScriptRunner,
    namespace: String,
    renderer: HelmRenderer,
}

impl Live {
    /// State over `set`, running `enabled` scripts with `scripts`, rendering into `namespace`.
    pub fn new(set: ModuleSet, scripts: ScriptRunner, namespace: String) -> Live {
        Live {
            set: RwLock::new(set),
            enabled: RwLock::new(Vec::new()),
            scripts,
            namespace,
            renderer: HelmRenderer::new(),
        }
    }

    /// The enabled modules, sorted, as of the last successful calculation.
    pub fn enabled_modules(&self) -> Vec<String> {
        self.enabled
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Recomputes the enabled modules (flags, then `enabled` scripts) over the current values;
    /// on a script error the previous list stays and the error is returned.
    pub async fn recalculate_enabled(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Vec<String>, EnabledScriptError> {
        let snapshot = self.read(ModuleSet::clone);
        let states = self.scripts.evaluate(&snapshot, cancel).await?;
        for state in states.iter().filter(|s| s.reason.is_some()) {
            tracing::info!(
                module = state.name,
                reason = state.reason.as_deref().unwrap_or_default(),
                "module disabled by its enabled script"
            );
        }
        let mut names: Vec<String> = states
            .into_iter()
            .filter(|s| s.enabled)
            .map(|s| s.name)
            .collect();
        names.sort();
        *self.enabled.write().unwrap_or_else(PoisonError::into_inner) = names.clone();
        Ok(names)
    }

    /// Runs `f` on the current module set (no await inside: the lock is a std one).
    pub fn read<T>(&self, f: impl FnOnce(&ModuleSet) -> T) -> T {
        let guard = self.set.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// Parses and validates the ConfigMap `data` and makes it current; on error the last good
    /// config stays.
    pub fn apply(
        &self,
        data: &std::collections::BTreeMap<String, String>,
    ) -> Result<Applied, ApplyError> {
        let config = KubeConfig::parse(data)?;
        let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
        if set.config() == &config {
            return Ok(Applied::Unchanged);
        }
        let change = ConfigChange::between(set.config(), &config);
        set.apply_config(config)?;
        Ok(Applied::Changed(change))
    }

    /// Renders `module` with its values now (`Value::Null` for a module without a chart, as
    /// upstream answers), off the async threads.
    pub async fn render(&self, module: &str) -> Result<Value, RenderModuleError> {
        Ok(match self.render_release(module).await? {
            None => Value::Null,
            Some(rendered) => Value::String(rendered.release.manifest),
        })
    }

    /// Renders `module`'s chart with its values now, off the async threads; `None` for a
    /// module without a chart.
    pub async fn render_release(
        &self,
        module: &str,
    ) -> Result<Option<RenderedModule>, RenderModuleError> {
        let job = self.read(|set| {
            set.module(module).map(|m| {
                m.is_helm.then(|| {
                    (
                        m.path.clone(),
                        render_options(set, m, &self.namespace),
                        set.helm_values(m),
                    )
                })
            })
        });
        let Some(job) = job else {
            return Err(RenderModuleError::NotFound);
        };
        let Some((path, opts, values)) = job else {
            return Ok(None);
        };
        let renderer = self.renderer.clone();
        let release = tokio::task::spawn_blocking(move || renderer.render(&path, &opts))
            .await
            .map_err(|e| RenderModuleError::Task(e.to_string()))?
            .map_err(RenderModuleError::Render)?;
        Ok(Some(RenderedModule { release, values }))
    }
}

/// A module's chart rendered with its live values (no `Debug`: it may hold Secrets).
pub struct RenderedModule {
    /// The manifest (without Helm hooks), its documents and NOTES.txt.
    pub release: RenderedRelease,
    /// The values it was rendered with: `{"global": ..., "<key>": ...}`.
    pub values: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> KubeConfig {
        let data = pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect();
        KubeConfig::parse(&data).unwrap()
    }

    #[test]
    fn a_change_names_global_the_flags_and_the_modules_whose_section_changed() {
        let old = config(&[
            ("echoServer", "replicas: 1"),
            ("cronReporterEnabled", "true"),
        ]);
        let same = ConfigChange::between(&old, &old);
        assert_eq!(same, ConfigChange::default());

        let new = config(&[
            ("global", "a: 1"),
            ("echoServer", "replicas: 2"),
            ("cronReporterEnabled", "false"),
        ]);
        let change = ConfigChange::between(&old, &new);
        assert!(change.global && change.flags, "{change:?}");
        assert_eq!(change.modules, BTreeSet::from(["echo-server".to_owned()]));

        // A section deleted names its module too; a flag alone names none.
        let change = ConfigChange::between(&old, &config(&[("cronReporterEnabled", "true")]));
        assert_eq!(change.modules, BTreeSet::from(["echo-server".to_owned()]));
        assert!(!change.global && !change.flags);
        let change =
            ConfigChange::between(&config(&[]), &config(&[("echoServerEnabled", "false")]));
        assert!(change.flags && change.modules.is_empty(), "{change:?}");
    }
}
