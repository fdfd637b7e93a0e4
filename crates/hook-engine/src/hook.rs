//! A loaded hook (file, validated config, rate limiter) and the registry of all hooks by name.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use binding_context::ContextFormat;
use hook_config::{ConfigVersion, HookConfig};
use task_queue::RateLimiter;

use crate::discovery::HookFile;

/// A hook ready to run.
#[derive(Debug)]
pub struct Hook {
    /// Path relative to the hooks dir: the hook's name everywhere.
    pub name: String,
    /// Absolute path of the executable.
    pub path: PathBuf,
    /// The validated config from `--config`.
    pub config: HookConfig,
    /// `settings.executionMinInterval`/`executionBurst`, waited on before every run.
    pub rate_limiter: Arc<RateLimiter>,
}

impl Hook {
    /// A hook from its file and validated config.
    pub fn new(file: HookFile, config: HookConfig) -> Self {
        let rate_limiter = match &config.settings {
            Some(s) => RateLimiter::new(s.execution_min_interval, s.effective_burst()),
            None => RateLimiter::unlimited(),
        };
        Self {
            name: file.name,
            path: file.path,
            config,
            rate_limiter: Arc::new(rate_limiter),
        }
    }

    /// The run timeout: `settings.executionTimeout`, else the operator-wide default.
    pub fn timeout(&self, default: Option<Duration>) -> Option<Duration> {
        self.config
            .settings
            .and_then(|s| s.execution_timeout)
            .or(default)
    }

    /// Legacy v0 hooks get v0 contexts and are never combined.
    pub fn context_format(&self) -> ContextFormat {
        match self.config.version {
            ConfigVersion::V0 => ContextFormat::V0,
            ConfigVersion::V1 => ContextFormat::V1,
        }
    }
}

/// All hooks, by name (iteration is in name order, as upstream handles hooks).
#[derive(Debug, Default, Clone)]
pub struct HookRegistry {
    hooks: BTreeMap<String, Arc<Hook>>,
}

impl HookRegistry {
    /// A registry of `hooks`.
    pub fn new(hooks: impl IntoIterator<Item = Hook>) -> Self {
        Self {
            hooks: hooks
                .into_iter()
                .map(|h| (h.name.clone(), Arc::new(h)))
                .collect(),
        }
    }

    /// The hook called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Hook>> {
        self.hooks.get(name)
    }

    /// Hooks in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Hook>> {
        self.hooks.values()
    }

    /// How many hooks there are.
    pub fn len(&self) -> usize {
        self.hooks.len()
    }

    /// Whether there are no hooks.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}
