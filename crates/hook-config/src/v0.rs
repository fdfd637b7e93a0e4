//! Validation of a legacy v0 document into [`HookConfig`].
//!
//! Differences from upstream, where upstream is broken (reference §1.9): an omitted `event` list
//! means all three events (upstream: never fires), and full objects are kept so the documented v0
//! context (`resourceNamespace`, `resourceKind`, `resourceName`) can be built.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::binding::DEFAULT_QUEUE;
use crate::binding::kubernetes::{KubernetesBinding, NamespaceSelector, WatchEventType};
use crate::binding::schedule::{ScheduleBinding, parse_crontab};
use crate::config::{ConfigVersion, HookConfig, OnStartup};
use crate::error::{Problems, index, join};
use crate::options::ParseOptions;
use crate::raw::{RawKubernetesV0, RawScheduleV0};
use crate::selector::label_selector;
use crate::v1::{number_to_i64, ordered_bindings};

fn items<T: DeserializeOwned>(
    doc: &Map<String, Value>,
    key: &str,
    problems: &mut Problems,
) -> Vec<Option<T>> {
    let Some(Value::Array(list)) = doc.get(key) else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| match serde_json::from_value(item.clone()) {
            Ok(parsed) => Some(parsed),
            Err(err) => {
                problems.push(index(key, i), format!("is invalid: {err}"));
                None
            }
        })
        .collect()
}

fn schedule(raw: &RawScheduleV0, path: &str, problems: &mut Problems) -> Option<ScheduleBinding> {
    let crontab = parse_crontab(raw.crontab.as_deref().unwrap_or(""), path, problems)?;
    Some(ScheduleBinding {
        name: raw.name.clone().unwrap_or_else(|| "schedule".to_owned()),
        crontab,
        allow_failure: raw.allow_failure.unwrap_or(false),
        include_snapshots_from: Vec::new(),
        queue: DEFAULT_QUEUE.to_owned(),
        group: None,
    })
}

fn kubernetes(raw: &RawKubernetesV0, path: &str, problems: &mut Problems) -> KubernetesBinding {
    let kind = raw.kind.clone().unwrap_or_default();
    if kind.is_empty() {
        problems.push(join(path, "kind"), "is required");
    }
    let events = match &raw.event {
        None => WatchEventType::ALL.to_vec(),
        Some(names) => {
            let mut events = Vec::new();
            for name in names {
                let event = match name.as_str() {
                    "add" => WatchEventType::Added,
                    "update" => WatchEventType::Modified,
                    "delete" => WatchEventType::Deleted,
                    other => {
                        problems.push(
                            join(path, "event"),
                            format!("is invalid: event '{other}' is unsupported"),
                        );
                        continue;
                    }
                };
                if !events.contains(&event) {
                    events.push(event);
                }
            }
            events
        }
    };
    let namespace = match &raw.namespace_selector {
        Some(ns) if ns.any != Some(true) => match &ns.match_names {
            Some(names) if !names.is_empty() => NamespaceSelector::Names(names.clone()),
            _ => NamespaceSelector::All,
        },
        _ => NamespaceSelector::All,
    };
    KubernetesBinding {
        name: raw
            .name
            .clone()
            .unwrap_or_else(|| "onKubernetesEvent".to_owned()),
        api_version: None,
        kind,
        execute_hook_on_event: events,
        execute_hook_on_synchronization: false,
        wait_for_synchronization: true,
        keep_full_objects_in_memory: true,
        resynchronization_period: None,
        name_selector: raw
            .object_name
            .iter()
            .filter(|n| !n.is_empty())
            .cloned()
            .collect(),
        label_selector: raw
            .selector
            .as_ref()
            .map(|s| label_selector(s, &join(path, "selector"), problems)),
        field_selector: None,
        namespace,
        jq_filter: raw.jq_filter.clone().filter(|f| !f.is_empty()),
        allow_failure: raw.allow_failure.unwrap_or(false),
        include_snapshots_from: Vec::new(),
        queue: DEFAULT_QUEUE.to_owned(),
        group: None,
    }
}

pub(crate) fn convert(
    doc: &Map<String, Value>,
    options: &ParseOptions,
    problems: &mut Problems,
) -> HookConfig {
    let on_startup = doc
        .get("onStartup")
        .and_then(number_to_i64)
        .map(|order| OnStartup { order });
    let schedules = items::<RawScheduleV0>(doc, "schedule", problems)
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| schedule(raw.as_ref()?, &index("schedule", i), problems))
        .collect();
    let kube = items::<RawKubernetesV0>(doc, "onKubernetesEvent", problems)
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| {
            Some(kubernetes(
                raw.as_ref()?,
                &index("onKubernetesEvent", i),
                problems,
            ))
        })
        .collect();
    HookConfig {
        version: ConfigVersion::V0,
        on_startup,
        schedules,
        kubernetes: kube,
        validating: Vec::new(),
        mutating: Vec::new(),
        conversion: Vec::new(),
        settings: None,
        ordered: ordered_bindings(doc, options),
    }
}
