//! `kubernetesCustomResourceConversion` bindings.

use crate::raw::RawConversionV1;

use super::non_empty;

/// One conversion step. Versions are kept as spelled (`group/version` or a short `version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRule {
    /// `fromVersion`
    pub from_version: String,
    /// `toVersion`
    pub to_version: String,
}

/// A validated conversion binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionBinding {
    /// Binding name.
    pub name: String,
    /// The CRD, such as `crontabs.stable.example.com`.
    pub crd_name: String,
    /// At least one rule.
    pub conversions: Vec<ConversionRule>,
    /// Group, used only to add snapshots.
    pub group: Option<String>,
    /// Included snapshot names (after the group merge).
    pub include_snapshots_from: Vec<String>,
}

pub(crate) fn from_raw(raw: &RawConversionV1) -> ConversionBinding {
    ConversionBinding {
        name: raw.name.clone(),
        crd_name: raw.crd_name.clone(),
        conversions: raw
            .conversions
            .iter()
            .map(|r| ConversionRule {
                from_version: r.from_version.clone(),
                to_version: r.to_version.clone(),
            })
            .collect(),
        group: non_empty(raw.group.as_ref()),
        include_snapshots_from: raw.include_snapshots_from.clone().unwrap_or_default(),
    }
}
