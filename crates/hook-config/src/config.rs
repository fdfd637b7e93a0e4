//! The validated hook config the engine uses.

use crate::binding::admission::{MutatingBinding, ValidatingBinding};
use crate::binding::conversion::ConversionBinding;
use crate::binding::kubernetes::KubernetesBinding;
use crate::binding::schedule::ScheduleBinding;
use crate::settings::Settings;

/// The config format a hook printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigVersion {
    /// Legacy format (no `configVersion`): v0 binding contexts, no combining.
    V0,
    /// `configVersion: v1`.
    V1,
}

/// The `onStartup` binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnStartup {
    /// Hooks run by ascending order, then by name.
    pub order: i64,
}

/// An extra top-level key allowed by [`crate::ParseOptions`] (addon-operator's `beforeHelm: 10`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedBinding {
    /// The key, which is also the binding name in contexts (`beforeHelm`).
    pub name: String,
    /// The order value.
    pub order: i64,
}

/// A hook config after validation, with defaults applied and groups merged into
/// `include_snapshots_from`.
#[derive(Debug, Clone, PartialEq)]
pub struct HookConfig {
    /// Which format the hook printed.
    pub version: ConfigVersion,
    /// `onStartup`.
    pub on_startup: Option<OnStartup>,
    /// `schedule[]`.
    pub schedules: Vec<ScheduleBinding>,
    /// `kubernetes[]` (v0: `onKubernetesEvent[]`).
    pub kubernetes: Vec<KubernetesBinding>,
    /// `kubernetesValidating[]`.
    pub validating: Vec<ValidatingBinding>,
    /// `kubernetesMutating[]`.
    pub mutating: Vec<MutatingBinding>,
    /// `kubernetesCustomResourceConversion[]`.
    pub conversion: Vec<ConversionBinding>,
    /// `settings`.
    pub settings: Option<Settings>,
    /// Extra ordered bindings allowed by the options, in the options' order.
    pub ordered: Vec<OrderedBinding>,
}

impl HookConfig {
    /// The order of an extra ordered binding (`beforeHelm`), if the hook has it.
    pub fn ordered(&self, name: &str) -> Option<i64> {
        self.ordered
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.order)
    }

    /// The kubernetes bindings with this name.
    pub fn kubernetes_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a KubernetesBinding> + 'a {
        self.kubernetes.iter().filter(move |b| b.name == name)
    }
}
