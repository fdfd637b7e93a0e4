//! Maps a hook's validated `kubernetes` binding onto kube-events' watch request.

use hook_config::{FieldOperator, KubernetesBinding, LabelOperator};
use kube_events::{
    BindingId, BindingSpec, EventTypes, FieldExpression, LabelExpression, LabelSelector,
    NamespaceSelector, WatchEventType,
};

/// The id of binding number `index` of `hook`: unique per hook binding, readable in logs.
pub fn binding_id(hook: &str, index: usize, binding: &KubernetesBinding) -> BindingId {
    BindingId::new(format!("{hook}/kubernetes[{index}]/{}", binding.name))
}

/// The watch request of one binding.
pub fn binding_spec(binding: &KubernetesBinding) -> BindingSpec {
    BindingSpec {
        api_version: binding.api_version.clone(),
        kind: binding.kind.clone(),
        names: binding.name_selector.clone(),
        label_selector: binding.label_selector.as_ref().map(label_selector),
        field_selector: binding
            .field_selector
            .as_ref()
            .map(|fields| {
                fields
                    .match_expressions
                    .iter()
                    .map(|req| FieldExpression {
                        field: req.field.clone(),
                        operator: match req.operator {
                            FieldOperator::Equals => kube_events::FieldOperator::Equals,
                            FieldOperator::NotEquals => kube_events::FieldOperator::NotEquals,
                        },
                        value: req.value.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        namespace: match &binding.namespace {
            hook_config::NamespaceSelector::All => NamespaceSelector::All,
            hook_config::NamespaceSelector::Names(names) => NamespaceSelector::Names(names.clone()),
            hook_config::NamespaceSelector::Labels(sel) => {
                NamespaceSelector::Labels(label_selector(sel))
            }
        },
        jq_filter: binding.jq_filter.clone(),
        keep_full_objects: binding.keep_full_objects_in_memory,
        event_types: event_types(&binding.execute_hook_on_event),
    }
}

/// kube-events' spelling of an event type.
pub fn watch_event_type(t: hook_config::WatchEventType) -> WatchEventType {
    match t {
        hook_config::WatchEventType::Added => WatchEventType::Added,
        hook_config::WatchEventType::Modified => WatchEventType::Modified,
        hook_config::WatchEventType::Deleted => WatchEventType::Deleted,
    }
}

fn event_types(types: &[hook_config::WatchEventType]) -> EventTypes {
    let types: Vec<WatchEventType> = types.iter().copied().map(watch_event_type).collect();
    EventTypes::from_types(&types)
}

fn label_selector(sel: &hook_config::LabelSelector) -> LabelSelector {
    LabelSelector {
        match_labels: sel.match_labels.clone(),
        match_expressions: sel
            .match_expressions
            .iter()
            .map(|req| LabelExpression {
                key: req.key.clone(),
                operator: match req.operator {
                    LabelOperator::In => kube_events::LabelOperator::In,
                    LabelOperator::NotIn => kube_events::LabelOperator::NotIn,
                    LabelOperator::Exists => kube_events::LabelOperator::Exists,
                    LabelOperator::DoesNotExist => kube_events::LabelOperator::DoesNotExist,
                },
                values: req.values.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(json: &str) -> KubernetesBinding {
        let config = hook_config::parse_hook_config(
            "h.sh",
            format!(r#"{{"configVersion":"v1","kubernetes":[{json}]}}"#).as_bytes(),
        )
        .unwrap();
        config.kubernetes[0].clone()
    }

    #[test]
    fn every_selector_and_option_is_carried_over() {
        let b = binding(
            r#"{"name":"pods","apiVersion":"v1","kind":"Pod",
                "executeHookOnEvent":["Added","Deleted"],
                "keepFullObjectsInMemory":false,
                "nameSelector":{"matchNames":["a","b"]},
                "labelSelector":{"matchLabels":{"app":"x"},
                  "matchExpressions":[{"key":"tier","operator":"In","values":["web"]}]},
                "fieldSelector":{"matchExpressions":[{"field":"status.phase","operator":"!=","value":"Failed"}]},
                "namespace":{"labelSelector":{"matchLabels":{"watch":"yes"}}},
                "jqFilter":".metadata.labels"}"#,
        );
        let spec = binding_spec(&b);
        assert_eq!(spec.api_version.as_deref(), Some("v1"));
        assert_eq!(spec.kind, "Pod");
        assert_eq!(spec.names, ["a", "b"]);
        assert_eq!(
            spec.label_selector.unwrap().to_query().unwrap(),
            "app=x,tier in (web)"
        );
        assert_eq!(
            kube_events::field_query(&spec.field_selector, None),
            "status.phase!=Failed"
        );
        let NamespaceSelector::Labels(ns) = spec.namespace else {
            panic!("namespace label selector expected")
        };
        assert_eq!(ns.to_query().unwrap(), "watch=yes");
        assert_eq!(spec.jq_filter.as_deref(), Some(".metadata.labels"));
        assert!(!spec.keep_full_objects);
        assert_eq!(
            spec.event_types,
            EventTypes {
                added: true,
                modified: false,
                deleted: true
            }
        );
    }

    #[test]
    fn an_empty_execute_hook_on_event_delivers_no_events() {
        let spec = binding_spec(&binding(r#"{"kind":"Pod","executeHookOnEvent":[]}"#));
        assert_eq!(spec.event_types, EventTypes::NONE);
        assert_eq!(spec.namespace, NamespaceSelector::All);
    }

    #[test]
    fn binding_ids_differ_for_two_bindings_with_the_same_name() {
        let b = binding(r#"{"kind":"Pod"}"#);
        assert_ne!(binding_id("h.sh", 0, &b), binding_id("h.sh", 1, &b));
        assert_eq!(
            binding_id("h.sh", 0, &b).to_string(),
            "h.sh/kubernetes[0]/kubernetes"
        );
    }
}
