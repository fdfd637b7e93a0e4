//! The addon-operator ConfigMap's `data`: `global`, `<key>` sections (YAML strings),
//! `<key>Enabled` (`"true"`/`"false"`) and `<key>Maintenance`, parsed all or nothing.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::name::module_name_from_key;
use crate::values::{YamlError, parse_yaml};

/// The default ConfigMap name (`ADDON_OPERATOR_CONFIG_MAP`).
pub const DEFAULT_CONFIG_MAP: &str = "addon-operator";
/// The key of global config values.
pub const GLOBAL_KEY: &str = "global";
const ENABLED_SUFFIX: &str = "Enabled";
const MAINTENANCE_SUFFIX: &str = "Maintenance";

/// Why the ConfigMap as a whole is rejected (nothing of it is applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigMapError {
    /// A section is not YAML.
    #[error("ConfigMap key '{key}' is not valid YAML: {error}")]
    Yaml {
        /// The data key.
        key: String,
        /// The cause (in the message, so not a `source`).
        error: YamlError,
    },
    /// A section is YAML of the wrong type.
    #[error("ConfigMap key '{key}' should be a YAML map{}", if *.list_allowed { " or list" } else { "" })]
    NotAMap {
        /// The data key.
        key: String,
        /// Whether a list would do (module sections).
        list_allowed: bool,
    },
    /// An `Enabled` flag is not `true`/`false`.
    #[error("module enabled key '{key}' should have a boolean value, got '{value}'")]
    EnabledFlag {
        /// The data key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A `Maintenance` key has an unknown value.
    #[error(
        "module maintenance key '{key}' should be 'NoResourceReconciliation' or empty, got '{value}'"
    )]
    Maintenance {
        /// The data key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A key that is not a camelCase module key.
    #[error("bad module name '{0}': should be camelCased")]
    BadKey(String),
}

/// The parsed ConfigMap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubeConfig {
    /// `global`, when present.
    pub global: Option<Map<String, Value>>,
    /// Module parts by values key.
    pub modules: BTreeMap<String, ModuleConfig>,
}

/// What the ConfigMap says about one module.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleConfig {
    /// The kebab-case module name the key maps to.
    pub module_name: String,
    /// The `<key>` section (a map, or a list as upstream allows).
    pub values: Option<Value>,
    /// `<key>Enabled`.
    pub enabled: Option<bool>,
    /// `<key>Maintenance` is `NoResourceReconciliation`.
    pub unmanaged: bool,
}

impl KubeConfig {
    /// Parses `data`; any bad key rejects the whole ConfigMap, as upstream.
    pub fn parse(data: &BTreeMap<String, String>) -> Result<KubeConfig, ConfigMapError> {
        let mut out = KubeConfig::default();
        for (key, text) in data {
            if key == GLOBAL_KEY {
                out.global = Some(match parse_section(key, text)? {
                    Value::Null => Map::new(),
                    Value::Object(m) => m,
                    _ => {
                        return Err(ConfigMapError::NotAMap {
                            key: key.clone(),
                            list_allowed: false,
                        });
                    }
                });
                continue;
            }
            if let Some(base) = key.strip_suffix(ENABLED_SUFFIX).filter(|b| !b.is_empty()) {
                let flag = match text.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ConfigMapError::EnabledFlag {
                            key: key.clone(),
                            value: text.clone(),
                        });
                    }
                };
                out.module(base, key)?.enabled = Some(flag);
                continue;
            }
            if let Some(base) = key
                .strip_suffix(MAINTENANCE_SUFFIX)
                .filter(|b| !b.is_empty())
            {
                let unmanaged = match text.as_str() {
                    "NoResourceReconciliation" | "noresourcereconciliation" => true,
                    "" => false,
                    _ => {
                        return Err(ConfigMapError::Maintenance {
                            key: key.clone(),
                            value: text.clone(),
                        });
                    }
                };
                out.module(base, key)?.unmanaged = unmanaged;
                continue;
            }
            let value = parse_section(key, text)?;
            if !matches!(value, Value::Object(_) | Value::Array(_)) {
                return Err(ConfigMapError::NotAMap {
                    key: key.clone(),
                    list_allowed: true,
                });
            }
            out.module(key, key)?.values = Some(value);
        }
        Ok(out)
    }

    fn module(
        &mut self,
        values_key: &str,
        data_key: &str,
    ) -> Result<&mut ModuleConfig, ConfigMapError> {
        let name = module_name_from_key(values_key)
            .ok_or_else(|| ConfigMapError::BadKey(data_key.to_owned()))?;
        Ok(self
            .modules
            .entry(values_key.to_owned())
            .or_insert_with(|| ModuleConfig {
                module_name: name,
                ..ModuleConfig::default()
            }))
    }
}

fn parse_section(key: &str, text: &str) -> Result<Value, ConfigMapError> {
    parse_yaml(text).map_err(|error| ConfigMapError::Yaml {
        key: key.to_owned(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn sections_and_flags_are_grouped_by_module() {
        let cfg = KubeConfig::parse(&data(&[
            ("global", "a: 1\n"),
            ("echoServer", "replicas: 2\n"),
            ("echoServerEnabled", "false"),
            ("cronReporterMaintenance", "NoResourceReconciliation"),
        ]))
        .unwrap();
        assert_eq!(cfg.global.map(Value::Object), Some(json!({"a": 1})));
        let echo = &cfg.modules["echoServer"];
        assert_eq!(echo.module_name, "echo-server");
        assert_eq!(echo.values, Some(json!({"replicas": 2})));
        assert_eq!(echo.enabled, Some(false));
        assert!(cfg.modules["cronReporter"].unmanaged);
    }

    #[test]
    fn an_empty_global_is_accepted_but_an_empty_module_section_is_not() {
        let cfg = KubeConfig::parse(&data(&[("global", "")])).unwrap();
        assert_eq!(cfg.global, Some(Map::new()));
        assert_eq!(
            KubeConfig::parse(&data(&[("echoServer", "")])),
            Err(ConfigMapError::NotAMap {
                key: "echoServer".into(),
                list_allowed: true
            })
        );
        assert!(KubeConfig::parse(&data(&[("echoServer", "- a\n")])).is_ok());
    }

    #[test]
    fn bad_flags_keys_and_yaml_reject_the_whole_config_map() {
        let err = KubeConfig::parse(&data(&[("echoServerEnabled", "yes")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "module enabled key 'echoServerEnabled' should have a boolean value, got 'yes'"
        );
        let err = KubeConfig::parse(&data(&[("InvalidName-module", "a: 1")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad module name 'InvalidName-module': should be camelCased"
        );
        let err = KubeConfig::parse(&data(&[("echoServer", "a: [\n")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ConfigMap key 'echoServer' is not valid YAML")
        );
    }
}
