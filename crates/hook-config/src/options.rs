//! What a caller allows beyond shell-operator's own keys (addon-operator's `beforeHelm` etc.).

/// Options for [`crate::parse_hook_config_with`].
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Extra top-level keys holding an integer order, each becoming an [`crate::OrderedBinding`].
    /// shell-operator allows none; addon-operator allows `beforeAll`/`afterAll` for global hooks
    /// and `beforeHelm`/`afterHelm`/`beforeDeleteHelm`/`afterDeleteHelm` for module hooks.
    pub ordered_bindings: Vec<&'static str>,
}

impl ParseOptions {
    /// shell-operator: no extra keys.
    pub fn shell_operator() -> ParseOptions {
        ParseOptions::default()
    }

    /// addon-operator global hooks: `beforeAll` and `afterAll`.
    pub fn addon_operator_global() -> ParseOptions {
        ParseOptions {
            ordered_bindings: vec!["beforeAll", "afterAll"],
        }
    }

    /// addon-operator module hooks: `beforeHelm`, `afterHelm`, `beforeDeleteHelm`,
    /// `afterDeleteHelm`.
    pub fn addon_operator_module() -> ParseOptions {
        ParseOptions {
            ordered_bindings: vec![
                "beforeHelm",
                "afterHelm",
                "beforeDeleteHelm",
                "afterDeleteHelm",
            ],
        }
    }
}
