//! The v0 and v1 hook config schemas, mirroring upstream's OpenAPI schemas.

use crate::options::ParseOptions;
use crate::schema::{ObjectSchema, Schema, array, one_of, string};

pub(crate) const WATCH_EVENTS: &[&str] = &["Added", "Modified", "Deleted"];
const LABEL_OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];
const FIELD_OPERATORS: &[&str] = &["=", "==", "Equals", "!=", "NotEquals"];
const OPERATIONS: &[&str] = &["CREATE", "UPDATE", "DELETE", "CONNECT", "*"];
const SCOPES: &[&str] = &["Cluster", "Namespaced", "*"];
const FAILURE_POLICIES: &[&str] = &["Ignore", "Fail"];
const SIDE_EFFECTS: &[&str] = &["None", "NoneOnDryRun"];

fn include_snapshots() -> Schema {
    array(string(), 1)
}

fn name_selector() -> Schema {
    ObjectSchema::closed(vec![("matchNames", array(string(), 0))])
        .required(&["matchNames"])
        .into_schema()
}

pub(crate) fn label_selector() -> Schema {
    let expression = ObjectSchema::closed(vec![
        ("key", string()),
        ("operator", one_of(LABEL_OPERATORS)),
        ("values", array(string(), 0)),
    ])
    .required(&["key", "operator"])
    .into_schema();
    ObjectSchema::closed(vec![
        ("matchLabels", Schema::Map(Box::new(string()))),
        ("matchExpressions", array(expression, 0)),
    ])
    .min_properties(1)
    .max_properties(2)
    .into_schema()
}

fn field_selector() -> Schema {
    let expression = ObjectSchema::closed(vec![
        ("field", string()),
        ("operator", one_of(FIELD_OPERATORS)),
        ("value", string()),
    ])
    .min_properties(3)
    .max_properties(3)
    .into_schema();
    ObjectSchema::closed(vec![("matchExpressions", array(expression, 0))])
        .required(&["matchExpressions"])
        .into_schema()
}

fn schedule_item() -> Schema {
    ObjectSchema::closed(vec![
        ("name", string()),
        ("crontab", string()),
        ("allowFailure", Schema::Boolean),
        ("includeSnapshotsFrom", include_snapshots()),
        ("queue", string()),
        ("group", string()),
    ])
    .required(&["crontab"])
    .into_schema()
}

fn kubernetes_item() -> Schema {
    let namespace = ObjectSchema::closed(vec![
        ("nameSelector", name_selector()),
        ("labelSelector", label_selector()),
    ])
    .min_properties(1)
    .max_properties(2)
    .into_schema();
    ObjectSchema::closed(vec![
        ("name", string()),
        ("apiVersion", string()),
        ("kind", string()),
        ("executeHookOnEvent", array(one_of(WATCH_EVENTS), 0)),
        ("watchEvent", array(one_of(WATCH_EVENTS), 0)),
        ("executeHookOnSynchronization", Schema::Boolean),
        ("waitForSynchronization", Schema::Boolean),
        ("keepFullObjectsInMemory", Schema::Boolean),
        ("resynchronizationPeriod", string()),
        ("nameSelector", name_selector()),
        ("labelSelector", label_selector()),
        ("fieldSelector", field_selector()),
        ("namespace", namespace),
        ("jqFilter", string()),
        ("allowFailure", Schema::Boolean),
        ("includeSnapshotsFrom", include_snapshots()),
        ("queue", string()),
        ("group", string()),
    ])
    .required(&["kind"])
    .into_schema()
}

fn webhook_item() -> Schema {
    let rule = ObjectSchema::closed(vec![
        ("apiGroups", array(string(), 1)),
        ("apiVersions", array(string(), 1)),
        ("resources", array(string(), 1)),
        ("operations", array(one_of(OPERATIONS), 1)),
        ("scope", one_of(SCOPES)),
    ])
    .required(&["apiVersions", "apiGroups", "resources", "operations"])
    .into_schema();
    // upstream leaves match conditions open (no additionalProperties: false).
    let match_condition = ObjectSchema {
        properties: vec![("name", string()), ("expression", string())],
        ..ObjectSchema::default()
    }
    .required(&["name", "expression"])
    .into_schema();
    let namespace = ObjectSchema::closed(vec![("labelSelector", label_selector())])
        .required(&["labelSelector"])
        .into_schema();
    ObjectSchema::closed(vec![
        ("name", string()),
        ("group", string()),
        ("includeSnapshotsFrom", include_snapshots()),
        ("rules", array(rule, 1)),
        ("failurePolicy", one_of(FAILURE_POLICIES)),
        ("sideEffects", one_of(SIDE_EFFECTS)),
        ("timeoutSeconds", Schema::Integer),
        ("matchConditions", array(match_condition, 0)),
        ("labelSelector", label_selector()),
        ("namespace", namespace),
    ])
    .required(&["name"])
    .into_schema()
}

fn conversion_item() -> Schema {
    let rule = ObjectSchema::closed(vec![("fromVersion", string()), ("toVersion", string())])
        .required(&["fromVersion", "toVersion"])
        .into_schema();
    ObjectSchema::closed(vec![
        ("name", string()),
        ("crdName", string()),
        ("conversions", array(rule, 1)),
        ("group", string()),
        ("includeSnapshotsFrom", include_snapshots()),
    ])
    .required(&["name", "crdName", "conversions"])
    .into_schema()
}

fn settings() -> Schema {
    ObjectSchema::closed(vec![
        ("executionMinInterval", string()),
        ("executionBurst", Schema::Integer),
        // Beyond upstream: a per-hook run timeout.
        ("executionTimeout", string()),
    ])
    .into_schema()
}

/// The v1 top level.
pub(crate) fn v1(options: &ParseOptions) -> Schema {
    let mut properties = vec![
        ("configVersion", one_of(&["v1"])),
        ("onStartup", Schema::Integer),
        ("schedule", array(schedule_item(), 1)),
        ("kubernetes", array(kubernetes_item(), 1)),
        ("kubernetesValidating", array(webhook_item(), 1)),
        ("kubernetesMutating", array(webhook_item(), 1)),
        (
            "kubernetesCustomResourceConversion",
            array(conversion_item(), 1),
        ),
        ("settings", settings()),
    ];
    properties.extend(
        options
            .ordered_bindings
            .iter()
            .map(|name| (*name, Schema::Integer)),
    );
    ObjectSchema::closed(properties)
        .required(&["configVersion"])
        .min_properties(2)
        .into_schema()
}

/// The v0 top level: item fields are not checked by the schema.
pub(crate) fn v0(options: &ParseOptions) -> Schema {
    let mut properties = vec![
        ("onStartup", Schema::Integer),
        ("schedule", array(ObjectSchema::default().into_schema(), 0)),
        (
            "onKubernetesEvent",
            array(ObjectSchema::default().into_schema(), 0),
        ),
    ];
    properties.extend(
        options
            .ordered_bindings
            .iter()
            .map(|name| (*name, Schema::Integer)),
    );
    ObjectSchema::closed(properties)
        .min_properties(1)
        .into_schema()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problems;
    use crate::schema::check;
    use serde_json::json;

    #[test]
    fn fieldselector_expressions_need_exactly_three_keys() {
        let mut problems = Problems::default();
        check(
            &field_selector(),
            &json!({"matchExpressions": [{"field": "a", "operator": "="}]}),
            "fieldSelector",
            &mut problems,
        );
        let text: Vec<String> = problems
            .into_error("h")
            .problems
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            vec!["fieldSelector.matchExpressions[0] should have at least 3 properties"]
        );
    }
}
