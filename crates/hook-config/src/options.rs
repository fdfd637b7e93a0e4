//! What a caller allows beyond shell-operator's own keys (addon-operator's `beforeHelm` etc.).

/// addon-operator's ordered bindings of global hooks.
const GLOBAL_ONLY: [&str; 2] = ["beforeAll", "afterAll"];
/// addon-operator's ordered bindings of module hooks.
const MODULE_ONLY: [&str; 4] = [
    "beforeHelm",
    "afterHelm",
    "beforeDeleteHelm",
    "afterDeleteHelm",
];

/// Options for [`crate::parse_hook_config_with`].
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Extra top-level keys holding an integer order, each becoming an [`crate::OrderedBinding`].
    /// shell-operator allows none; addon-operator allows `beforeAll`/`afterAll` for global hooks
    /// and `beforeHelm`/`afterHelm`/`beforeDeleteHelm`/`afterDeleteHelm` for module hooks.
    pub ordered_bindings: Vec<&'static str>,
    /// Top-level keys rejected with a message of their own instead of `is a forbidden property`
    /// (a module binding such as `beforeHelm` on a global hook: `(key, reason)`).
    pub rejected_keys: Vec<(&'static str, &'static str)>,
}

impl ParseOptions {
    /// shell-operator: no extra keys.
    pub fn shell_operator() -> ParseOptions {
        ParseOptions::default()
    }

    /// addon-operator global hooks: `beforeAll` and `afterAll`.
    pub fn addon_operator_global() -> ParseOptions {
        ParseOptions {
            ordered_bindings: GLOBAL_ONLY.to_vec(),
            rejected_keys: MODULE_ONLY
                .iter()
                .map(|key| {
                    (
                        *key,
                        "is a module hook binding: a global hook cannot have it",
                    )
                })
                .collect(),
        }
    }

    /// addon-operator module hooks: `beforeHelm`, `afterHelm`, `beforeDeleteHelm`,
    /// `afterDeleteHelm`.
    pub fn addon_operator_module() -> ParseOptions {
        ParseOptions {
            ordered_bindings: MODULE_ONLY.to_vec(),
            rejected_keys: GLOBAL_ONLY
                .iter()
                .map(|key| {
                    (
                        *key,
                        "is a global hook binding: a module hook cannot have it",
                    )
                })
                .collect(),
        }
    }
}
