//! Applying a hook's outcome to the values of its owner, all or nothing (reference §2.4 "flow
//! after a hook exits with code 0"):
//! - the config patch is applied strictly to the ConfigMap section; if that changed it, the new
//!   section merged with its defaults is validated against the config schema and returned as
//!   the section to write to the ConfigMap;
//! - the values patch is applied strictly to the effective values; if that changed them, they
//!   are validated against the values schema and the patch is appended to the stored patches;
//! - `*Enabled` operations go to the dynamic enabled flags.
//!
//! Upstream writes the ConfigMap before it checks the values patch; here nothing changes unless
//! every step succeeds.

use addon_modules::schema::Schemas;
use addon_modules::{SectionError, ValuesSchema, validate_config_section};
use serde_json::{Map, Value};

use crate::outcome::HookOutcome;
use crate::patch::PatchOperation;
use crate::patch::apply::{ApplyError, ApplyMode, apply_operations};
use crate::patch::enabled::DynamicEnabled;
use crate::store::{StoredPatches, wrap};

/// The values a hook's patches apply to.
#[derive(Debug, Clone, Copy)]
pub struct ValuesTarget<'a> {
    /// `global` or the module's values key.
    pub key: &'a str,
    /// The owner's schemas.
    pub schemas: &'a Schemas,
    /// The current ConfigMap section (`None` without one).
    pub config: Option<&'a Value>,
    /// The current effective values, stored patches included.
    pub values: &'a Map<String, Value>,
}

/// A ConfigMap section to write: `data[key] = yaml(values)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSection {
    /// The data key.
    pub key: String,
    /// The new config values.
    pub values: Value,
}

impl ConfigSection {
    /// The YAML text stored in the ConfigMap.
    pub fn to_yaml(&self) -> Result<String, serde_norway::Error> {
        serde_norway::to_string(&self.values)
    }
}

/// What changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Committed {
    /// The section to write when the config patch changed the config values.
    pub config_section: Option<ConfigSection>,
    /// The new effective values when the values patch changed them (the patch is stored).
    pub values: Option<Map<String, Value>>,
    /// Whether a dynamic enabled flag changed.
    pub enabled_changed: bool,
}

/// Why an outcome was not applied; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The config patch does not apply to the config values.
    #[error("hook '{hook}': config values patch: {error}")]
    ApplyConfig {
        /// The hook name.
        hook: String,
        /// What failed.
        error: ApplyError,
    },
    /// The patched config values do not validate.
    #[error("hook '{hook}': config values patch: {error}")]
    InvalidConfig {
        /// The hook name.
        hook: String,
        /// Every violation.
        error: SectionError,
    },
    /// The values patch does not apply to the effective values.
    #[error("hook '{hook}': values patch: {error}")]
    ApplyValues {
        /// The hook name.
        hook: String,
        /// What failed.
        error: ApplyError,
    },
    /// The patched values do not validate.
    #[error("hook '{hook}': values patch: values of '{key}' are not valid: {}", fields.join(", "))]
    InvalidValues {
        /// The hook name.
        hook: String,
        /// `global` or the module's values key.
        key: String,
        /// `key.field: message` for each violation.
        fields: Vec<String>,
    },
}

/// Applies `outcome` to `target`; on success `patches` and `enabled` are updated and the
/// changes returned, on error nothing is touched.
pub fn commit_outcome(
    outcome: &HookOutcome,
    target: ValuesTarget<'_>,
    patches: &mut StoredPatches,
    enabled: &mut DynamicEnabled,
) -> Result<Committed, CommitError> {
    let hook = || outcome.hook.clone();
    let mut committed = Committed::default();

    if !outcome.config_patch.is_empty() {
        let current = target
            .config
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let changed =
            patch_section(target.key, current, &outcome.config_patch).map_err(|error| {
                CommitError::ApplyConfig {
                    hook: hook(),
                    error,
                }
            })?;
        if let Some(values) = changed {
            if let Value::Object(section) = &values {
                validate_config_section(target.key, section, target.schemas.config.as_ref())
                    .map_err(|error| CommitError::InvalidConfig {
                        hook: hook(),
                        error,
                    })?;
            }
            committed.config_section = Some(ConfigSection {
                key: target.key.to_owned(),
                values,
            });
        }
    }

    if !outcome.values_patch.is_empty() {
        let current = Value::Object(target.values.clone());
        let changed =
            patch_section(target.key, current, &outcome.values_patch).map_err(|error| {
                CommitError::ApplyValues {
                    hook: hook(),
                    error,
                }
            })?;
        if let Some(values) = changed {
            let values = match values {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            check_values(target.key, &values, target.schemas.values.as_ref()).map_err(
                |fields| CommitError::InvalidValues {
                    hook: hook(),
                    key: target.key.to_owned(),
                    fields,
                },
            )?;
            committed.values = Some(values);
        }
    }

    if committed.values.is_some() {
        patches.append(&outcome.values_patch);
    }
    committed.enabled_changed = enabled.apply(&outcome.enabled);
    Ok(committed)
}

/// Applies `operations` strictly to `{key: current}`; the new section when it changed.
fn patch_section(
    key: &str,
    current: Value,
    operations: &[PatchOperation],
) -> Result<Option<Value>, ApplyError> {
    let doc = wrap(key, current);
    let patched = apply_operations(&doc, operations, ApplyMode::Strict)?;
    if patched == doc {
        return Ok(None);
    }
    Ok(Some(match patched {
        Value::Object(mut map) => map.remove(key).unwrap_or(Value::Null),
        _ => Value::Null,
    }))
}

fn check_values(
    key: &str,
    values: &Map<String, Value>,
    schema: Option<&ValuesSchema>,
) -> Result<(), Vec<String>> {
    let Some(schema) = schema else {
        return Ok(());
    };
    let errors = schema.validate(&Value::Object(values.clone()));
    if errors.is_empty() {
        return Ok(());
    }
    Err(errors
        .iter()
        .map(|e| format!("{key}.{}: {}", e.field, e.message()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::enabled::EnabledOperation;
    use serde_json::json;

    fn schemas(config: &str, values: Option<&str>) -> (tempfile::TempDir, Schemas) {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("config-values.yaml"), config).unwrap();
        if let Some(values) = values {
            std::fs::write(d.path().join("values.yaml"), values).unwrap();
        }
        let schemas = Schemas::load(d.path()).unwrap();
        (d, schemas)
    }

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    const CONFIG: &str =
        "type: object\nproperties:\n  param1: {type: string}\n  param3: {type: string}\n";
    const VALUES: &str = "x-extend: {schema: config-values.yaml}\ntype: object\nproperties:\n  \
                          internal: {type: object, additionalProperties: {type: integer}}\n";

    fn outcome(config: Vec<PatchOperation>, values: Vec<PatchOperation>) -> HookOutcome {
        HookOutcome {
            hook: "hooks/h.sh".into(),
            config_patch: config,
            values_patch: values,
            ..HookOutcome::default()
        }
    }

    #[test]
    fn a_config_patch_returns_the_section_to_write_and_leaves_values_alone() {
        let (_d, schemas) = schemas(CONFIG, Some(VALUES));
        let config = json!({"param1": "a"});
        let values = map(json!({"param1": "a"}));
        let target = ValuesTarget {
            key: "someModule",
            schemas: &schemas,
            config: Some(&config),
            values: &values,
        };
        let mut patches = StoredPatches::default();
        let mut enabled = DynamicEnabled::default();
        let out = outcome(
            vec![PatchOperation::add("/someModule/param3", json!("newValue"))],
            vec![],
        );
        let committed = commit_outcome(&out, target, &mut patches, &mut enabled).unwrap();
        let section = committed.config_section.unwrap();
        assert_eq!(section.key, "someModule");
        assert_eq!(section.values, json!({"param1": "a", "param3": "newValue"}));
        assert_eq!(section.to_yaml().unwrap(), "param1: a\nparam3: newValue\n");
        assert_eq!(committed.values, None);
        assert!(patches.operations().is_empty());
    }

    #[test]
    fn a_values_patch_is_validated_and_stored_compacted() {
        let (_d, schemas) = schemas(CONFIG, Some(VALUES));
        let values = map(json!({"param1": "a", "internal": {}}));
        let target = ValuesTarget {
            key: "someModule",
            schemas: &schemas,
            config: None,
            values: &values,
        };
        let mut patches = StoredPatches::default();
        let mut enabled = DynamicEnabled::default();
        let out = outcome(
            vec![],
            vec![PatchOperation::add("/someModule/internal/n", json!(1))],
        );
        let committed = commit_outcome(&out, target, &mut patches, &mut enabled).unwrap();
        assert_eq!(
            committed.values.map(Value::Object),
            Some(json!({"param1": "a", "internal": {"n": 1}}))
        );
        assert_eq!(patches.operations(), out.values_patch.as_slice());
        assert_eq!(committed.config_section, None);

        let bad = outcome(
            vec![],
            vec![PatchOperation::add("/someModule/internal/n", json!("x"))],
        );
        let err = commit_outcome(&bad, target, &mut patches, &mut enabled).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "hook 'hooks/h.sh': values patch: values of 'someModule' are not valid: someModule.internal.n"
            ),
            "{err}"
        );
        assert_eq!(patches.operations().len(), 1, "nothing stored on failure");
    }

    #[test]
    fn an_invalid_config_patch_changes_nothing_even_with_a_good_values_patch() {
        // Scenario 16: `clusterHostname: string` and a hook writes `{}` into it.
        let (_d, schemas) = schemas(
            "type: object\nproperties:\n  clusterHostname: {type: string}\n",
            None,
        );
        let values = map(json!({}));
        let target = ValuesTarget {
            key: "global",
            schemas: &schemas,
            config: None,
            values: &values,
        };
        let mut patches = StoredPatches::default();
        let mut enabled = DynamicEnabled::default();
        let mut out = outcome(
            vec![PatchOperation::add("/global/clusterHostname", json!({}))],
            vec![PatchOperation::add("/global/other", json!(1))],
        );
        out.enabled = vec![EnabledOperation {
            key: "foo".into(),
            enabled: Some(false),
        }];
        let err = commit_outcome(&out, target, &mut patches, &mut enabled).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "hook 'hooks/h.sh': config values patch: ConfigMap key 'global': config values are not valid: global.clusterHostname"
            ),
            "{err}"
        );
        assert!(patches.operations().is_empty());
        assert_eq!(enabled.get("foo"), None);
    }

    #[test]
    fn a_strict_apply_failure_is_named_and_an_unchanging_patch_is_not_stored() {
        let (_d, schemas) = schemas(CONFIG, None);
        let values = map(json!({"param1": "a"}));
        let target = ValuesTarget {
            key: "someModule",
            schemas: &schemas,
            config: None,
            values: &values,
        };
        let mut patches = StoredPatches::default();
        let mut enabled = DynamicEnabled::default();
        let out = outcome(vec![PatchOperation::remove("/someModule/missing")], vec![]);
        assert_eq!(
            commit_outcome(&out, target, &mut patches, &mut enabled)
                .unwrap_err()
                .to_string(),
            "hook 'hooks/h.sh': config values patch: apply patch operation 'remove' for path '/someModule/missing': path is invalid"
        );
        let same = outcome(
            vec![],
            vec![PatchOperation::add("/someModule/param1", json!("a"))],
        );
        let committed = commit_outcome(&same, target, &mut patches, &mut enabled).unwrap();
        assert_eq!(committed, Committed::default());
        assert!(patches.operations().is_empty());
    }

    #[test]
    fn enabled_operations_reach_the_dynamic_flags() {
        let schemas = Schemas::default();
        let values = Map::new();
        let target = ValuesTarget {
            key: "global",
            schemas: &schemas,
            config: None,
            values: &values,
        };
        let mut patches = StoredPatches::default();
        let mut enabled = DynamicEnabled::default();
        let mut out = outcome(vec![], vec![]);
        out.enabled = vec![EnabledOperation {
            key: "foo".into(),
            enabled: Some(false),
        }];
        let committed = commit_outcome(&out, target, &mut patches, &mut enabled).unwrap();
        assert!(committed.enabled_changed);
        assert_eq!(enabled.get("foo"), Some(false));
    }
}
