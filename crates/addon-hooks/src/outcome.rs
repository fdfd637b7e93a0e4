//! What a hook that exited 0 asks for, parsed from its output files before anything is applied:
//! config and values patches (checked against the rules), `*Enabled` flags, metric operations
//! and object-patch operations. One bad file rejects the whole outcome.

use crate::patch::enabled::EnabledOperation;
use crate::patch::parse::{PatchParseError, parse_patch_file};
use crate::patch::rules::{PatchScope, RuleError, check_operations};
use crate::patch::{PatchFile, PatchOperation};

/// The parsed requests of one successful run.
#[derive(Debug, Default)]
pub struct HookOutcome {
    /// The hook name.
    pub hook: String,
    /// `$CONFIG_VALUES_JSON_PATCH_PATH` without `*Enabled` operations.
    pub config_patch: Vec<PatchOperation>,
    /// `$VALUES_JSON_PATCH_PATH` without `*Enabled` operations.
    pub values_patch: Vec<PatchOperation>,
    /// `*Enabled` operations of a global hook: those of the config patch, then those of the
    /// values patch (neither goes to the ConfigMap or the values).
    pub enabled: Vec<EnabledOperation>,
    /// `$METRICS_PATH`.
    pub metrics: Vec<hook_metrics::MetricOperation>,
    /// `$KUBERNETES_PATCH_PATH`.
    pub object_patches: Vec<object_patch::Operation>,
}

impl HookOutcome {
    /// Whether the hook asked for nothing.
    pub fn is_empty(&self) -> bool {
        self.config_patch.is_empty()
            && self.values_patch.is_empty()
            && self.enabled.is_empty()
            && self.metrics.is_empty()
            && self.object_patches.is_empty()
    }
}

/// An output file a successful hook wrote wrong; the hook fails and nothing is applied.
#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    /// A patch file is not a stream of operations.
    #[error("hook '{hook}': {error}")]
    PatchFormat {
        /// The hook name.
        hook: String,
        /// What is wrong, with the file and position.
        error: PatchParseError,
    },
    /// A patch operation breaks the rules.
    #[error("hook '{hook}': {file}: {error}")]
    PatchRules {
        /// The hook name.
        hook: String,
        /// The file.
        file: PatchFile,
        /// The rule broken.
        error: RuleError,
    },
    /// `$METRICS_PATH` does not parse.
    #[error("hook '{hook}': $METRICS_PATH: {error}")]
    Metrics {
        /// The hook name.
        hook: String,
        /// What is wrong.
        error: hook_metrics::ParseError,
    },
    /// `$KUBERNETES_PATCH_PATH` does not parse.
    #[error("hook '{hook}': $KUBERNETES_PATCH_PATH: {error}")]
    ObjectPatch {
        /// The hook name.
        hook: String,
        /// What is wrong.
        error: object_patch::ParseError,
    },
    /// `$KUBERNETES_PATCH_PATH` is not UTF-8.
    #[error("hook '{hook}': $KUBERNETES_PATCH_PATH is not UTF-8")]
    ObjectPatchEncoding {
        /// The hook name.
        hook: String,
    },
}

/// The raw contents of the output files (empty when not written).
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputFiles<'a> {
    /// `$CONFIG_VALUES_JSON_PATCH_PATH`.
    pub config_patch: &'a [u8],
    /// `$VALUES_JSON_PATCH_PATH`.
    pub values_patch: &'a [u8],
    /// `$METRICS_PATH`.
    pub metrics: &'a [u8],
    /// `$KUBERNETES_PATCH_PATH`.
    pub object_patches: &'a [u8],
}

/// Parses and checks every output file of a successful run of `hook`.
pub fn parse_outcome(
    hook: &str,
    scope: PatchScope<'_>,
    files: OutputFiles<'_>,
) -> Result<HookOutcome, OutcomeError> {
    let patch = |file: PatchFile, data: &[u8]| {
        let raw = parse_patch_file(file, data).map_err(|error| OutcomeError::PatchFormat {
            hook: hook.to_owned(),
            error,
        })?;
        check_operations(raw, scope).map_err(|error| OutcomeError::PatchRules {
            hook: hook.to_owned(),
            file,
            error,
        })
    };
    let config = patch(PatchFile::ConfigValues, files.config_patch)?;
    let values = patch(PatchFile::Values, files.values_patch)?;
    let metrics =
        hook_metrics::parse_operations(files.metrics).map_err(|error| OutcomeError::Metrics {
            hook: hook.to_owned(),
            error,
        })?;
    let text = std::str::from_utf8(files.object_patches).map_err(|_| {
        OutcomeError::ObjectPatchEncoding {
            hook: hook.to_owned(),
        }
    })?;
    let object_patches =
        object_patch::parse_operations(text).map_err(|error| OutcomeError::ObjectPatch {
            hook: hook.to_owned(),
            error,
        })?;
    let mut enabled = config.enabled;
    enabled.extend(values.enabled);
    Ok(HookOutcome {
        hook: hook.to_owned(),
        config_patch: config.operations,
        values_patch: values.operations,
        enabled,
        metrics,
        object_patches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_files_are_an_empty_outcome() {
        let outcome = parse_outcome("h", PatchScope::Global, OutputFiles::default()).unwrap();
        assert!(outcome.is_empty());
        assert_eq!(outcome.hook, "h");
    }

    #[test]
    fn every_file_is_parsed_and_enabled_flags_are_gathered_from_both_patches() {
        let files = OutputFiles {
            config_patch: br#"[{"op":"add","path":"/global/a","value":1},{"op":"add","path":"/xEnabled","value":true}]"#,
            values_patch: br#"{"op":"remove","path":"/yEnabled"}"#,
            metrics: br#"{"name":"m","action":"set","value":1}"#,
            object_patches: br#"{"operation":"Delete","kind":"Pod","namespace":"ns","name":"p"}"#,
        };
        let outcome = parse_outcome("h", PatchScope::Global, files).unwrap();
        assert_eq!(
            outcome.config_patch,
            vec![PatchOperation::add("/global/a", json!(1))]
        );
        assert!(outcome.values_patch.is_empty());
        let keys: Vec<&str> = outcome.enabled.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["x", "y"]);
        assert_eq!(outcome.metrics.len(), 1);
        assert_eq!(outcome.object_patches.len(), 1);
    }

    #[test]
    fn errors_name_the_hook_and_the_file() {
        let scope = PatchScope::Module { key: "someModule" };
        let files = OutputFiles {
            values_patch: br#"[{"op":"add","path":"/global/x","value":1}]"#,
            ..OutputFiles::default()
        };
        assert_eq!(
            parse_outcome("hooks/a.sh", scope, files)
                .unwrap_err()
                .to_string(),
            "hook 'hooks/a.sh': $VALUES_JSON_PATCH_PATH: unacceptable patch operation for path 'global' (only 'someModule' accepted): path '/global/x'"
        );
        let files = OutputFiles {
            config_patch: b"{",
            ..OutputFiles::default()
        };
        let err = parse_outcome("hooks/a.sh", scope, files)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("hook 'hooks/a.sh': $CONFIG_VALUES_JSON_PATCH_PATH line 1 column 1"),
            "{err}"
        );
        let files = OutputFiles {
            metrics: b"{\"action\":\"set\"}",
            ..OutputFiles::default()
        };
        let err = parse_outcome("hooks/a.sh", scope, files)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("hook 'hooks/a.sh': $METRICS_PATH: "),
            "{err}"
        );
    }
}
