//! Hook configuration (v0 and v1): parsing and validation.
//!
//! A hook prints its config on `<hook> --config` as YAML or JSON. [`parse_hook_config`] detects
//! the version (`configVersion: v1`, or none for legacy v0), checks the document against a schema
//! that mirrors upstream's OpenAPI schema (`additionalProperties: false`, `minProperties`, enums,
//! types), reads it into raw serde types, and validates the rules that span fields (crontabs,
//! selectors, webhook names and timeouts, `settings`, `includeSnapshotsFrom`, group merge).
//! Every problem is collected and reported at once in one [`ConfigError`], each named by its path
//! (`kubernetes[0].labelSelector.matchExpressions[1].values`).
//!
//! Beyond upstream (documented so users can rely on it):
//! - `settings.executionTimeout` (a Go duration) sets a per-hook run timeout;
//! - `settings.executionBurst` errors name `executionBurst` (upstream names the interval);
//! - negative `executionMinInterval`/`executionBurst` are rejected;
//! - `CRON_TZ=` is accepted as well as `TZ=` in crontabs;
//! - v0: an omitted `event` means all events, and full objects are kept (upstream v0 kubernetes
//!   bindings never fire or crash);
//! - [`ParseOptions`] allows addon-operator's extra ordered keys (`beforeHelm: 10`, ...) and
//!   names the other kind's keys (`beforeHelm` on a global hook) with a message of their own.
//!
//! `jqFilter` is kept as text: compiling it (and reporting compile errors as config errors) is
//! the engine's job.
//!
//! ```
//! let config = hook_config::parse_hook_config(
//!     "pods-hook.sh",
//!     br#"{"configVersion": "v1", "kubernetes": [{"name": "pods", "kind": "Pod"}]}"#,
//! )?;
//! assert_eq!(config.kubernetes[0].queue, "main");
//! let err = hook_config::parse_hook_config("bad.sh", b"configVersion: v1").unwrap_err();
//! assert_eq!(err.to_string(), "load hook 'bad.sh' config: config should have at least 2 properties");
//! # Ok::<(), hook_config::ConfigError>(())
//! ```

mod binding;
mod config;
mod crontab;
mod duration;
mod error;
mod load;
mod names;
mod options;
mod raw;
mod schema;
mod schemas;
mod selector;
mod settings;
mod snapshots;
mod v0;
mod v1;

pub use binding::DEFAULT_QUEUE;
pub use binding::admission::{
    AdmissionBinding, FailurePolicy, MatchCondition, MutatingBinding, SideEffects,
    ValidatingBinding, WebhookRule, safe_url_string,
};
pub use binding::conversion::{ConversionBinding, ConversionRule};
pub use binding::kubernetes::{KubernetesBinding, NamespaceSelector, WatchEventType};
pub use binding::schedule::ScheduleBinding;
pub use config::{ConfigVersion, HookConfig, OnStartup, OrderedBinding};
pub use crontab::{CronZone, Crontab, CrontabError};
pub use duration::{DurationError, parse_go_duration, parse_go_duration_nanos};
pub use error::{ConfigError, Problem};
pub use options::ParseOptions;
pub use selector::{
    FieldOperator, FieldRequirement, FieldSelector, LabelOperator, LabelRequirement, LabelSelector,
};
pub use settings::Settings;

use config::ConfigVersion as Version;
use error::Problems;

/// Parses and validates a shell-operator hook config (`<hook> --config` stdout).
pub fn parse_hook_config(hook_name: &str, raw: &[u8]) -> Result<HookConfig, ConfigError> {
    parse_hook_config_with(hook_name, raw, &ParseOptions::shell_operator())
}

/// Parses and validates a hook config, allowing the extra keys named in `options`.
pub fn parse_hook_config_with(
    hook_name: &str,
    raw: &[u8],
    options: &ParseOptions,
) -> Result<HookConfig, ConfigError> {
    let mut problems = Problems::default();
    let fail = |problems: Problems| Err(problems.into_error(hook_name));
    let mut doc = match load::load_document(raw) {
        Ok(doc) => doc,
        Err(message) => {
            problems.push("", message);
            return fail(problems);
        }
    };
    let version = match load::detect_version(&doc) {
        Ok(version) => version,
        Err(message) => {
            problems.push("", message);
            return fail(problems);
        }
    };
    let schema = match version {
        Version::V0 => schemas::v0(options),
        Version::V1 => schemas::v1(options),
    };
    for (key, reason) in &options.rejected_keys {
        if doc.remove(*key).is_some() {
            problems.push(*key, *reason);
        }
    }
    let mut document = serde_json::Value::Object(doc);
    schema::coerce_yaml11_booleans(&schema, &mut document);
    schema::check(&schema, &document, "", &mut problems);
    let serde_json::Value::Object(doc) = document else {
        return fail(problems);
    };
    if !problems.is_empty() {
        return fail(problems);
    }
    let config = match version {
        Version::V0 => Some(v0::convert(&doc, options, &mut problems)),
        Version::V1 => v1::convert(&doc, options, &mut problems),
    };
    match config {
        Some(config) if problems.is_empty() => Ok(config),
        _ => fail(problems),
    }
}
