//! Hook configs of addon-operator hooks: shell-operator's bindings (parsed by `hook-config`)
//! plus the integer ORDER bindings of the hook's kind. A binding of the other kind
//! (`beforeHelm` on a global hook, `afterAll` on a module hook) is an error naming the hook file
//! and the field.

use hook_config::{ConfigError, HookConfig, ParseOptions};

/// Global hooks (`$GLOBAL_HOOKS_DIR`) or module hooks (`<module>/hooks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// A global hook.
    Global,
    /// A module hook.
    Module,
}

impl HookKind {
    /// The `hook-config` options of this kind.
    pub fn parse_options(self) -> ParseOptions {
        match self {
            HookKind::Global => ParseOptions::addon_operator_global(),
            HookKind::Module => ParseOptions::addon_operator_module(),
        }
    }
}

/// The ORDER bindings addon-operator adds (reference §3.2). `onStartup` is shell-operator's
/// and lives in [`HookConfig::on_startup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleBinding {
    /// Global: each ConvergeModules, before the modules.
    BeforeAll,
    /// Global: each ConvergeModules, after the modules.
    AfterAll,
    /// Module: each ModuleRun, before the Helm step.
    BeforeHelm,
    /// Module: each ModuleRun, after the Helm step.
    AfterHelm,
    /// Module: ModuleDelete, before the uninstall (only if a release exists).
    BeforeDeleteHelm,
    /// Module: ModuleDelete, after the uninstall.
    AfterDeleteHelm,
}

impl LifecycleBinding {
    /// Every binding.
    pub const ALL: [LifecycleBinding; 6] = [
        LifecycleBinding::BeforeAll,
        LifecycleBinding::AfterAll,
        LifecycleBinding::BeforeHelm,
        LifecycleBinding::AfterHelm,
        LifecycleBinding::BeforeDeleteHelm,
        LifecycleBinding::AfterDeleteHelm,
    ];

    /// The config key, which is also the binding name in the binding context.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleBinding::BeforeAll => "beforeAll",
            LifecycleBinding::AfterAll => "afterAll",
            LifecycleBinding::BeforeHelm => "beforeHelm",
            LifecycleBinding::AfterHelm => "afterHelm",
            LifecycleBinding::BeforeDeleteHelm => "beforeDeleteHelm",
            LifecycleBinding::AfterDeleteHelm => "afterDeleteHelm",
        }
    }

    /// Which hooks may have it.
    pub fn kind(self) -> HookKind {
        match self {
            LifecycleBinding::BeforeAll | LifecycleBinding::AfterAll => HookKind::Global,
            _ => HookKind::Module,
        }
    }

    /// The hook's ORDER for this binding, if it has the binding.
    pub fn order_in(self, config: &HookConfig) -> Option<i64> {
        config.ordered(self.as_str())
    }
}

/// Parses a hook's `--config` output (YAML or JSON, v0 or v1) for a hook of `kind`.
pub fn parse_addon_hook_config(
    hook_name: &str,
    kind: HookKind,
    raw: &[u8],
) -> Result<HookConfig, ConfigError> {
    hook_config::parse_hook_config_with(hook_name, raw, &kind.parse_options())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_hooks_get_the_helm_bindings_next_to_shell_operator_ones() {
        let raw = br#"{"configVersion":"v1","onStartup":1,"beforeHelm":10,"afterDeleteHelm":5,
            "schedule":[{"crontab":"*/5 * * * *"}]}"#;
        let config = parse_addon_hook_config("hooks/a.sh", HookKind::Module, raw).unwrap();
        assert_eq!(config.on_startup.map(|o| o.order), Some(1));
        assert_eq!(LifecycleBinding::BeforeHelm.order_in(&config), Some(10));
        assert_eq!(LifecycleBinding::AfterDeleteHelm.order_in(&config), Some(5));
        assert_eq!(LifecycleBinding::AfterHelm.order_in(&config), None);
        assert_eq!(config.schedules.len(), 1);
    }

    #[test]
    fn global_hooks_take_yaml_and_v0() {
        let config = parse_addon_hook_config(
            "h.sh",
            HookKind::Global,
            b"configVersion: v1\nafterAll: 20\n",
        )
        .unwrap();
        assert_eq!(LifecycleBinding::AfterAll.order_in(&config), Some(20));
        let v0 = parse_addon_hook_config("h.sh", HookKind::Global, b"beforeAll: 3").unwrap();
        assert_eq!(LifecycleBinding::BeforeAll.order_in(&v0), Some(3));
    }

    #[test]
    fn a_binding_of_the_other_kind_names_the_hook_file_and_the_field() {
        let err = parse_addon_hook_config(
            "100-hook.sh",
            HookKind::Global,
            br#"{"configVersion":"v1","onStartup":1,"afterHelm":10}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "load hook '100-hook.sh' config: afterHelm is a module hook binding: a global hook cannot have it"
        );
        let err = parse_addon_hook_config(
            "hooks/x.sh",
            HookKind::Module,
            b"configVersion: v1\nonStartup: 1\nbeforeAll: 10\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "load hook 'hooks/x.sh' config: beforeAll is a global hook binding: a module hook cannot have it"
        );
    }

    #[test]
    fn an_order_must_be_an_integer() {
        let err = parse_addon_hook_config(
            "hooks/x.sh",
            HookKind::Module,
            br#"{"configVersion":"v1","beforeHelm":"soon"}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "load hook 'hooks/x.sh' config: beforeHelm must be of type integer: \"string\""
        );
    }

    #[test]
    fn every_binding_belongs_to_one_kind() {
        let globals: Vec<&str> = LifecycleBinding::ALL
            .iter()
            .filter(|b| b.kind() == HookKind::Global)
            .map(|b| b.as_str())
            .collect();
        assert_eq!(globals, vec!["beforeAll", "afterAll"]);
    }
}
