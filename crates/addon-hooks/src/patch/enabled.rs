//! The `*Enabled` flags global hooks set through their patches (upstream's DynamicallyEnabled
//! extender): `add` of true/false sets a module's flag, `remove` clears it. In the enabled
//! decision they rank above static values and below the ConfigMap.

use std::collections::BTreeMap;

/// The suffix of a module's enabled flag key.
pub const ENABLED_SUFFIX: &str = "Enabled";

/// One flag change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnabledOperation {
    /// The module's values key (`foo` for `/fooEnabled`).
    pub key: String,
    /// The new flag; `None` clears it.
    pub enabled: Option<bool>,
}

/// The flags set by global hooks, by module values key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DynamicEnabled {
    flags: BTreeMap<String, bool>,
}

impl DynamicEnabled {
    /// Applies the operations in order; tells whether any flag changed.
    pub fn apply(&mut self, operations: &[EnabledOperation]) -> bool {
        let before = self.flags.clone();
        for op in operations {
            match op.enabled {
                Some(enabled) => {
                    self.flags.insert(op.key.clone(), enabled);
                }
                None => {
                    self.flags.remove(&op.key);
                }
            }
        }
        before != self.flags
    }

    /// The flag of the module with this values key, if a hook set one.
    pub fn get(&self, key: &str) -> Option<bool> {
        self.flags.get(key).copied()
    }

    /// Every flag set, by values key.
    pub fn flags(&self) -> &BTreeMap<String, bool> {
        &self.flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(key: &str, enabled: Option<bool>) -> EnabledOperation {
        EnabledOperation {
            key: key.to_owned(),
            enabled,
        }
    }

    #[test]
    fn add_sets_and_remove_clears_and_changes_are_reported() {
        let mut flags = DynamicEnabled::default();
        assert!(flags.apply(&[op("foo", Some(false))]));
        assert_eq!(flags.get("foo"), Some(false));
        assert!(
            !flags.apply(&[op("foo", Some(false))]),
            "same value: no change"
        );
        assert!(flags.apply(&[op("foo", None)]));
        assert_eq!(flags.get("foo"), None);
        assert!(!flags.apply(&[op("bar", Some(true)), op("bar", None)]));
    }
}
