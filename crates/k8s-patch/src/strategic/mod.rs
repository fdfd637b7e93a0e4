//! Strategic merge patch: JSON merge patch plus per-field list merge strategies and `$` directives.

use serde_json::Value;

mod builtin;
mod directive;
mod list;
mod merge;

pub use builtin::builtin_patch_meta;
pub use directive::go_format;
pub use merge::strategic_merge_patch;

/// How a list at a given field path merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch list replaces the original list.
    Atomic,
    /// Items are maps identified by the value of this key; patch items merge into matching items.
    MergeByKey(String),
    /// A list of scalars merged as a set (e.g. `metadata.finalizers`).
    Set,
}

/// Merge knowledge for one object type.
///
/// Paths are field names from the object root with list items skipped, e.g.
/// `["spec","template","spec","containers","env"]`.
pub trait PatchMeta: Send + Sync {
    /// The strategy for the list at `path`.
    fn list_strategy(&self, path: &[&str]) -> ListStrategy;

    /// Whether the map at `path` is merged with `$retainKeys` semantics (patchStrategy
    /// `retainKeys`, e.g. `spec.strategy` of a Deployment or pod volumes). Only informative for
    /// patch generation; the merge honours `$retainKeys` wherever it appears.
    fn retains_keys(&self, path: &[&str]) -> bool {
        let _ = path;
        false
    }

    /// The keys server-side apply identifies the items of the keyed list at `path` by, each with
    /// the value assumed when an item omits it (container ports: `containerPort`, and `protocol`
    /// defaulting to `"TCP"`). Defaults to the merge key of [`PatchMeta::list_strategy`].
    fn list_map_keys(&self, path: &[&str]) -> Vec<(String, Option<Value>)> {
        match self.list_strategy(path) {
            ListStrategy::MergeByKey(key) => vec![(key, None)],
            ListStrategy::Atomic | ListStrategy::Set => Vec::new(),
        }
    }

    /// Whether the map at `path` is atomic for server-side apply (`x-kubernetes-map-type: atomic`,
    /// e.g. the label selector of a Deployment): owned and replaced as a whole.
    fn map_is_atomic(&self, path: &[&str]) -> bool {
        let _ = path;
        false
    }
}

#[cfg(test)]
mod tests;
