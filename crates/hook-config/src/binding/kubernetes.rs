//! `kubernetes` bindings (v1, and v0 `onKubernetesEvent` converted to the same type).

use crate::error::{Problems, join};
use crate::raw::RawKubernetesV1;
use crate::selector::{self, FieldSelector, LabelSelector};

use super::{non_empty, queue_or_main};

/// A watch event type a binding can run the hook on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchEventType {
    /// `Added`
    Added,
    /// `Modified`
    Modified,
    /// `Deleted`
    Deleted,
}

impl WatchEventType {
    /// All three, in upstream's order.
    pub const ALL: [WatchEventType; 3] = [
        WatchEventType::Added,
        WatchEventType::Modified,
        WatchEventType::Deleted,
    ];

    /// The name used in configs and binding contexts.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "Added",
            WatchEventType::Modified => "Modified",
            WatchEventType::Deleted => "Deleted",
        }
    }

    fn from_name(name: &str) -> Option<WatchEventType> {
        WatchEventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Which namespaces a binding watches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NamespaceSelector {
    /// All namespaces (no `namespace`, or `nameSelector.matchNames: []`).
    #[default]
    All,
    /// These namespaces, one informer each.
    Names(Vec<String>),
    /// Namespaces matching a label selector, followed dynamically. A `nameSelector` next to it
    /// is ignored, as upstream.
    Labels(LabelSelector),
}

/// A validated `kubernetes` binding.
#[derive(Debug, Clone, PartialEq)]
pub struct KubernetesBinding {
    /// Binding name (default `kubernetes`; v0: `onKubernetesEvent`).
    pub name: String,
    /// `group/version` or `version`; `None` means the preferred version.
    pub api_version: Option<String>,
    /// Kind, plural, singular or short name, resolved by discovery.
    pub kind: String,
    /// Events that run the hook (`[]` = never; the binding only feeds snapshots).
    pub execute_hook_on_event: Vec<WatchEventType>,
    /// Run the hook with the Synchronization context (default true; v0: false).
    pub execute_hook_on_synchronization: bool,
    /// Default true; false is kept only when `queue` is set explicitly (addon-operator only).
    pub wait_for_synchronization: bool,
    /// Keep full objects; false drops `object` from contexts (default true).
    pub keep_full_objects_in_memory: bool,
    /// Accepted and ignored, as upstream.
    pub resynchronization_period: Option<String>,
    /// `nameSelector.matchNames`; empty means all objects.
    pub name_selector: Vec<String>,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelector>,
    /// `fieldSelector`.
    pub field_selector: Option<FieldSelector>,
    /// `namespace`.
    pub namespace: NamespaceSelector,
    /// The jq filter, not compiled here.
    pub jq_filter: Option<String>,
    /// Do not retry a failed run.
    pub allow_failure: bool,
    /// Included snapshot names (after the group merge).
    pub include_snapshots_from: Vec<String>,
    /// Queue name (default `main`).
    pub queue: String,
    /// Group name, if any.
    pub group: Option<String>,
}

impl KubernetesBinding {
    /// Whether the hook runs on this event type.
    pub fn runs_on(&self, event: WatchEventType) -> bool {
        self.execute_hook_on_event.contains(&event)
    }
}

pub(crate) fn event_types(names: &[String]) -> Vec<WatchEventType> {
    let mut types = Vec::new();
    for name in names {
        if let Some(t) = WatchEventType::from_name(name)
            && !types.contains(&t)
        {
            types.push(t);
        }
    }
    types
}

fn check_api_version(api_version: &str, path: &str, problems: &mut Problems) {
    if api_version.matches('/').count() > 1 {
        problems.push(
            join(path, "apiVersion"),
            format!("is invalid: unexpected GroupVersion string: {api_version}"),
        );
    }
}

pub(crate) fn from_raw(
    raw: &RawKubernetesV1,
    path: &str,
    problems: &mut Problems,
) -> KubernetesBinding {
    if let Some(api_version) = &raw.api_version {
        check_api_version(api_version, path, problems);
    }
    // executeHookOnEvent wins over its legacy alias watchEvent.
    let execute_hook_on_event = match raw
        .execute_hook_on_event
        .as_ref()
        .or(raw.watch_event.as_ref())
    {
        Some(names) => event_types(names),
        None => WatchEventType::ALL.to_vec(),
    };
    let explicit_queue = raw.queue.as_ref().is_some_and(|q| !q.is_empty());
    let wait_for_synchronization = !(raw.wait_for_synchronization == Some(false) && explicit_queue);
    let name_selector = raw
        .name_selector
        .as_ref()
        .map(|s| s.match_names.clone())
        .unwrap_or_default();
    let label_selector = raw
        .label_selector
        .as_ref()
        .map(|s| selector::label_selector(s, &join(path, "labelSelector"), problems));
    let field_selector = raw.field_selector.as_ref().map(selector::field_selector);
    if let Some(fields) = &field_selector
        && fields.selects_name()
        && !name_selector.is_empty()
    {
        problems.push(
            join(path, "fieldSelector"),
            "is invalid: fieldSelector 'metadata.name' and nameSelector.matchNames are mutually exclusive",
        );
    }
    let namespace = match &raw.namespace {
        None => NamespaceSelector::All,
        Some(ns) => match (&ns.label_selector, &ns.name_selector) {
            (Some(labels), _) => NamespaceSelector::Labels(selector::label_selector(
                labels,
                &join(&join(path, "namespace"), "labelSelector"),
                problems,
            )),
            (None, Some(names)) if !names.match_names.is_empty() => {
                NamespaceSelector::Names(names.match_names.clone())
            }
            (None, _) => NamespaceSelector::All,
        },
    };
    KubernetesBinding {
        name: raw.name.clone().unwrap_or_else(|| "kubernetes".to_owned()),
        api_version: raw.api_version.clone().filter(|v| !v.is_empty()),
        kind: raw.kind.clone(),
        execute_hook_on_event,
        execute_hook_on_synchronization: raw.execute_hook_on_synchronization.unwrap_or(true),
        wait_for_synchronization,
        keep_full_objects_in_memory: raw.keep_full_objects_in_memory.unwrap_or(true),
        resynchronization_period: raw.resynchronization_period.clone(),
        name_selector,
        label_selector,
        field_selector,
        namespace,
        jq_filter: raw.jq_filter.clone().filter(|f| !f.is_empty()),
        allow_failure: raw.allow_failure.unwrap_or(false),
        include_snapshots_from: raw.include_snapshots_from.clone().unwrap_or_default(),
        queue: queue_or_main(raw.queue.as_ref()),
        group: non_empty(raw.group.as_ref()),
    }
}
