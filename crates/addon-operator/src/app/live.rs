//! The live module state the debug routes read and the ConfigMap watcher updates.

use std::sync::{PoisonError, RwLock};

use addon_modules::render::render_options;
use addon_modules::{ConfigMapError, ConfigValuesError, KubeConfig, ModuleSet};
use helm_render::{HelmRenderer, RenderError, Renderer};
use serde_json::Value;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The config changed.
    Changed,
    /// Same config as before.
    Unchanged,
}

/// Why `module render` failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderModuleError {
    /// No module of that name.
    #[error("module not found")]
    NotFound,
    /// The chart did not render.
    #[error("failed to render manifests: {0}")]
    Render(#[source] RenderError),
    /// The render task could not finish.
    #[error("render task failed: {0}")]
    Task(String),
}

/// Modules with the ConfigMap in effect, and the namespace releases render into.
#[derive(Debug)]
pub struct Live {
    set: RwLock<ModuleSet>,
    namespace: String,
    renderer: HelmRenderer,
}

impl Live {
    /// State over `set`, rendering into `namespace`.
    pub fn new(set: ModuleSet, namespace: String) -> Live {
        Live {
            set: RwLock::new(set),
            namespace,
            renderer: HelmRenderer::new(),
        }
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
        set.apply_config(config)?;
        Ok(Applied::Changed)
    }

    /// Renders `module` with its values now (`Value::Null` for a module without a chart, as
    /// upstream answers), off the async threads.
    pub async fn render(&self, module: &str) -> Result<Value, RenderModuleError> {
        let job = self.read(|set| {
            set.module(module).map(|m| {
                m.is_helm
                    .then(|| (m.path.clone(), render_options(set, m, &self.namespace)))
            })
        });
        let Some(job) = job else {
            return Err(RenderModuleError::NotFound);
        };
        let Some((path, opts)) = job else {
            return Ok(Value::Null);
        };
        let renderer = self.renderer.clone();
        let release = tokio::task::spawn_blocking(move || renderer.render(&path, &opts))
            .await
            .map_err(|e| RenderModuleError::Task(e.to_string()))?
            .map_err(RenderModuleError::Render)?;
        Ok(Value::String(release.manifest))
    }
}
