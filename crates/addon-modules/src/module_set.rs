//! The loaded modules with the current ConfigMap: effective values by upstream's layers,
//! config values, enabled flags, and validation of a new ConfigMap that keeps the last good
//! config when the new one is invalid.

use serde_json::{Map, Value};

use crate::config_map::{GLOBAL_KEY, KubeConfig};
use crate::discovery::ModuleDef;
use crate::schema::{Schemas, ValuesSchema};
use crate::values::merge;

/// The `global` part: static values and schemas (from `$GLOBAL_HOOKS_DIR/openapi`).
#[derive(Debug, Clone, Default)]
pub struct GlobalDef {
    /// Merged `global:` sections of the modules paths' `values.yaml`.
    pub static_values: Map<String, Value>,
    /// Global schemas.
    pub schemas: Schemas,
}

/// A ConfigMap whose sections do not validate; the previous config stays in effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .sections.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigValuesError {
    /// Every invalid section.
    pub sections: Vec<SectionError>,
}

/// One invalid ConfigMap section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ConfigMap key '{key}': config values are not valid: {}", .fields.join(", "))]
pub struct SectionError {
    /// The ConfigMap data key (`global` or the module's values key).
    pub key: String,
    /// `key.field: message` for each violation.
    pub fields: Vec<String>,
}

/// Modules, global values and the last valid ConfigMap.
#[derive(Debug, Clone, Default)]
pub struct ModuleSet {
    modules: Vec<ModuleDef>,
    global: GlobalDef,
    config: KubeConfig,
}

impl ModuleSet {
    /// A set with an empty ConfigMap.
    pub fn new(modules: Vec<ModuleDef>, global: GlobalDef) -> ModuleSet {
        ModuleSet {
            modules,
            global,
            config: KubeConfig::default(),
        }
    }

    /// Modules in `(order, name)` order.
    pub fn modules(&self) -> &[ModuleDef] {
        &self.modules
    }

    /// A module by name.
    pub fn module(&self, name: &str) -> Option<&ModuleDef> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// The ConfigMap in effect.
    pub fn config(&self) -> &KubeConfig {
        &self.config
    }

    /// Validates `config` (the global section, and the sections of modules it leaves enabled,
    /// each merged with its config-schema defaults) and makes it current; on error the
    /// current config is kept.
    pub fn apply_config(&mut self, config: KubeConfig) -> Result<(), ConfigValuesError> {
        let mut sections = Vec::new();
        if let Some(global) = &config.global
            && let Some(err) = check(GLOBAL_KEY, global, self.global.schemas.config.as_ref())
        {
            sections.push(err);
        }
        for (key, part) in &config.modules {
            let Some(module) = self.modules.iter().find(|m| &m.values_key == key) else {
                tracing::warn!(key, "KubeConfigManager has values for unknown modules");
                continue;
            };
            let enabled = part.enabled.or(module.static_enabled).unwrap_or(false);
            // Config of a disabled module is stored without validation, as upstream.
            if let (true, Some(Value::Object(values))) = (enabled, &part.values)
                && let Some(err) = check(key, values, module.schemas.config.as_ref())
            {
                sections.push(err);
            }
        }
        if !sections.is_empty() {
            return Err(ConfigValuesError { sections });
        }
        self.config = config;
        Ok(())
    }

    /// Global config values: the ConfigMap's `global` section only.
    pub fn global_config(&self) -> Map<String, Value> {
        self.config.global.clone().unwrap_or_default()
    }

    /// Effective global values.
    pub fn global_values(&self) -> Map<String, Value> {
        layered(
            &self.global.static_values,
            &self.global.schemas,
            self.config.global.as_ref(),
        )
    }

    /// A module's config values: its ConfigMap section only (`{}` without one).
    pub fn module_config(&self, module: &ModuleDef) -> Value {
        self.config
            .modules
            .get(&module.values_key)
            .and_then(|p| p.values.clone())
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// A module's effective values: static, config-schema defaults, ConfigMap section,
    /// values-schema defaults.
    pub fn module_values(&self, module: &ModuleDef) -> Map<String, Value> {
        let config = match self.config.modules.get(&module.values_key) {
            Some(part) => match &part.values {
                Some(Value::Object(m)) => Some(m),
                _ => None,
            },
            None => None,
        };
        layered(&module.static_values, &module.schemas, config)
    }

    /// `{"global": ..., "<key>": ...}`: what Helm gets and `?global=true` shows.
    pub fn helm_values(&self, module: &ModuleDef) -> Value {
        let mut out = Map::new();
        out.insert(GLOBAL_KEY.to_owned(), Value::Object(self.global_values()));
        out.insert(
            module.values_key.clone(),
            Value::Object(self.module_values(module)),
        );
        Value::Object(out)
    }

    /// Whether the module is enabled by `<key>Enabled` flags: static values, then the
    /// ConfigMap (the later wins); off without a flag.
    pub fn is_enabled(&self, module: &ModuleDef) -> bool {
        self.config
            .modules
            .get(&module.values_key)
            .and_then(|p| p.enabled)
            .or(module.static_enabled)
            .unwrap_or(false)
    }

    /// Names of the enabled modules, sorted (what `module list` shows).
    pub fn enabled_module_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .modules
            .iter()
            .filter(|m| self.is_enabled(m))
            .map(|m| m.name.clone())
            .collect();
        names.sort();
        names
    }
}

/// Upstream's `calculateResultValues` without hook patches.
fn layered(
    static_values: &Map<String, Value>,
    schemas: &Schemas,
    config: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut result = Value::Object(static_values.clone());
    if let Some(schema) = &schemas.config {
        schema.apply_defaults(&mut result);
    }
    if let (Value::Object(map), Some(config)) = (&mut result, config) {
        merge(map, config);
    }
    if let Some(schema) = &schemas.values {
        schema.apply_defaults(&mut result);
    }
    match result {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Validates config values (a ConfigMap section, or the result of a hook's config patch) merged
/// with their config-schema defaults, as a ConfigMap change is checked.
pub fn validate_config_section(
    key: &str,
    values: &Map<String, Value>,
    schema: Option<&ValuesSchema>,
) -> Result<(), SectionError> {
    check(key, values, schema).map_or(Ok(()), Err)
}

/// Validates a config section merged with its config-schema defaults.
fn check(
    key: &str,
    values: &Map<String, Value>,
    schema: Option<&ValuesSchema>,
) -> Option<SectionError> {
    let schema = schema?;
    let mut defaulted = Value::Object(values.clone());
    schema.apply_defaults(&mut defaulted);
    let errors = schema.validate(&defaulted);
    if errors.is_empty() {
        return None;
    }
    Some(SectionError {
        key: key.to_owned(),
        fields: errors
            .iter()
            .map(|e| format!("{key}.{}: {}", e.field, e.message()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::test_support::{module_set_in, write};
    use serde_json::json;

    fn fixture() -> (tempfile::TempDir, ModuleSet) {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            &root.join("values.yaml"),
            "global: {param1: 100, param2: \"Yes\"}\nsysctlTuner: {sleep: \"600\"}\nsysctlTunerEnabled: true\n",
        );
        write(
            &root.join("001-sysctl-tuner/values.yaml"),
            "sysctlTuner:\n  params: {a: \"1\", b: \"2\", c: \"3\"}\n  list: [1, 2]\n",
        );
        write(
            &root.join("001-sysctl-tuner/openapi/config-values.yaml"),
            "type: object\nproperties:\n  sleep: {type: string}\n  \
             retries: {type: integer, default: 3}\n  params:\n    type: object\n    \
             additionalProperties: {type: string}\n  list: {type: array, items: {type: integer}}\n",
        );
        write(
            &root.join("001-sysctl-tuner/openapi/values.yaml"),
            "x-extend: {schema: config-values.yaml}\ntype: object\nproperties:\n  \
             internal: {type: object, default: {}, properties: {num: {type: integer, default: 5}}}\n",
        );
        write(&root.join("002-off/Chart.yaml"), "name: off\n");
        let set = module_set_in(root);
        (d, set)
    }

    fn config(pairs: &[(&str, &str)]) -> KubeConfig {
        let data: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        KubeConfig::parse(&data).unwrap()
    }

    #[test]
    fn layers_are_static_then_config_defaults_then_config_map_then_values_defaults() {
        let (_d, mut set) = fixture();
        set.apply_config(config(&[
            ("global", "param1: 200"),
            (
                "sysctlTuner",
                "params: {a: \"0\", d: \"0\"}\nsleep: \"300\"\nlist: [3]\n",
            ),
        ]))
        .unwrap();
        assert_eq!(
            Value::Object(set.global_values()),
            json!({"param1": 200, "param2": "Yes"})
        );
        assert_eq!(Value::Object(set.global_config()), json!({"param1": 200}));
        let m = set.module("sysctl-tuner").unwrap().clone();
        assert_eq!(
            Value::Object(set.module_values(&m)),
            json!({
                "sleep": "300",
                "params": {"a": "0", "b": "2", "c": "3", "d": "0"},
                "list": [3],
                "retries": 3,
                "internal": {"num": 5}
            })
        );
        assert_eq!(
            set.module_config(&m),
            json!({"params": {"a": "0", "d": "0"}, "sleep": "300", "list": [3]})
        );
        assert_eq!(set.helm_values(&m)["global"]["param1"], json!(200));
    }

    #[test]
    fn an_invalid_section_names_key_and_field_and_keeps_the_last_good_config() {
        let (_d, mut set) = fixture();
        set.apply_config(config(&[("sysctlTuner", "retries: 5")]))
            .unwrap();
        let err = set
            .apply_config(config(&[("sysctlTuner", "retries: many\nextra: 1\n")]))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("ConfigMap key 'sysctlTuner'"), "{text}");
        assert!(text.contains("sysctlTuner.retries"), "{text}");
        assert!(text.contains("sysctlTuner.extra"), "{text}");
        let m = set.module("sysctl-tuner").unwrap().clone();
        assert_eq!(set.module_values(&m)["retries"], json!(5));
    }

    #[test]
    fn config_map_flags_override_static_flags_and_disabled_sections_are_not_validated() {
        let (_d, mut set) = fixture();
        assert_eq!(set.enabled_module_names(), vec!["sysctl-tuner"]);
        set.apply_config(config(&[
            ("sysctlTunerEnabled", "false"),
            ("sysctlTuner", "retries: many"),
            ("offEnabled", "true"),
        ]))
        .unwrap();
        assert_eq!(set.enabled_module_names(), vec!["off"]);
    }
}
