//! The first slice of the addon-operator module engine: module discovery in the modules
//! directories, values layering (static values, OpenAPI defaults, ConfigMap config values),
//! the ConfigMap format, config validation, the render options of a module with its live values.
//!
//! It also decides which modules are enabled (flags, then `enabled` scripts). Hooks and
//! applying Helm releases are not part of this crate yet.

pub mod config_map;
pub mod discovery;
pub mod enabled_script;
pub mod module_set;
pub mod name;
pub mod render;
pub mod schema;
#[cfg(test)]
mod test_support;
pub mod values;

pub use config_map::{ConfigMapError, KubeConfig, ModuleConfig};
pub use discovery::{Discovery, DiscoveryError, ModuleDef, discover, split_paths};
pub use enabled_script::{EnabledScriptError, ModuleState, ScriptRunner};
pub use module_set::{
    ConfigValuesError, GlobalDef, ModuleSet, SectionError, validate_config_section,
};
pub use render::render_options;
pub use schema::{SchemaError, Schemas, ValuesSchema};
