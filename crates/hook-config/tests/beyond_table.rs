//! Config behaviour beyond the §5.1 table: tri-state booleans, aliases, defaults, options, v0.

use hook_config::{
    ConfigVersion, NamespaceSelector, ParseOptions, WatchEventType, parse_hook_config,
    parse_hook_config_with,
};
use std::time::Duration;

mod common;
use common::{assert_has, ok, problems};

#[test]
fn tri_state_booleans_distinguish_absent_false_and_true() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- {name: absent, kind: Pod}
- {name: off, kind: Pod, executeHookOnSynchronization: false, keepFullObjectsInMemory: false, waitForSynchronization: false, queue: q}
- {name: on, kind: Pod, executeHookOnSynchronization: true, keepFullObjectsInMemory: true}
- {name: no-queue, kind: Pod, waitForSynchronization: false}
"#);
    let k = &config.kubernetes;
    assert!(
        k[0].execute_hook_on_synchronization
            && k[0].keep_full_objects_in_memory
            && k[0].wait_for_synchronization
    );
    assert!(
        !k[1].execute_hook_on_synchronization
            && !k[1].keep_full_objects_in_memory
            && !k[1].wait_for_synchronization
    );
    assert!(k[2].execute_hook_on_synchronization && k[2].keep_full_objects_in_memory);
    // waitForSynchronization: false is kept only with an explicit queue.
    assert!(k[3].wait_for_synchronization);
}

#[test]
fn execute_hook_on_event_defaults_to_all_wins_over_watch_event_and_may_be_empty() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- {kind: Pod}
- {kind: Pod, watchEvent: [Deleted]}
- {kind: Pod, watchEvent: [Deleted], executeHookOnEvent: [Added]}
- {kind: Pod, executeHookOnEvent: []}
"#);
    let k = &config.kubernetes;
    assert_eq!(k[0].execute_hook_on_event, WatchEventType::ALL.to_vec());
    assert_eq!(k[1].execute_hook_on_event, vec![WatchEventType::Deleted]);
    assert_eq!(k[2].execute_hook_on_event, vec![WatchEventType::Added]);
    assert!(k[3].execute_hook_on_event.is_empty());
    assert_eq!(k[0].name, "kubernetes");
    assert_eq!(k[0].queue, "main");
}

#[test]
fn namespace_label_selector_wins_over_namespace_name_selector() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- kind: ConfigMap
  namespace:
    nameSelector: {matchNames: [a]}
    labelSelector: {matchLabels: {test-label: ""}}
- kind: ConfigMap
  namespace:
    nameSelector: {matchNames: [a, b]}
"#);
    assert!(matches!(
        config.kubernetes[0].namespace,
        NamespaceSelector::Labels(_)
    ));
    assert_eq!(
        config.kubernetes[1].namespace,
        NamespaceSelector::Names(vec!["a".into(), "b".into()])
    );
}

#[test]
fn label_selector_semantic_errors_are_reported() {
    let p = problems(
        r#"
configVersion: v1
kubernetes:
- kind: Pod
  labelSelector:
    matchExpressions:
    - {key: app, operator: In}
    - {key: app, operator: Exists, values: [x]}
"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetes[0].labelSelector.matchExpressions[0].values is invalid: for 'in', 'notin' operators, values set can't be empty",
            "kubernetes[0].labelSelector.matchExpressions[1].values is invalid: values set must be empty for exists and does not exist",
        ]
    );
}

#[test]
fn problems_from_several_bindings_are_reported_together() {
    let p = problems(
        r#"
configVersion: v1
schedule:
- {crontab: "bad"}
kubernetes:
- {kind: Pod, apiVersion: "a/b/c"}
kubernetesValidating:
- {name: x}
- {name: x}
"#,
    );
    assert_eq!(p.len(), 5, "{p:#?}");
    assert_has(&p, "schedule[0].crontab is invalid");
    assert_has(&p, "kubernetes[0].apiVersion is invalid");
    assert_has(&p, "kubernetesValidating[0].name Invalid value");
    assert_has(&p, "kubernetesValidating[1].name Duplicate value: \"x\"");
}

#[test]
fn mutating_names_are_not_checked_as_domains() {
    let config =
        ok(r#"{"configVersion":"v1","kubernetesMutating":[{"name":"short","timeoutSeconds":40}]}"#);
    assert_eq!(config.mutating[0].name, "short");
    assert_eq!(config.mutating[0].timeout_seconds, 40);
}

#[test]
fn validating_rules_are_checked_like_kubernetes_does() {
    let p = problems(
        r#"
configVersion: v1
kubernetesValidating:
- name: a.example.com
  rules:
  - apiGroups: ["*", "apps"]
    apiVersions: ["v1"]
    operations: ["*", "CREATE"]
    resources: ["*", "pods"]
"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetesValidating[0].rules[0].apiGroups is invalid: if '*' is present, must not specify other API groups",
            "kubernetesValidating[0].rules[0].operations is invalid: if '*' is present, must not specify other operations",
            "kubernetesValidating[0].rules[0].resources[1] is invalid: if '*' is present, must not specify other resources without subresources",
        ]
    );
}

#[test]
fn execution_timeout_is_accepted_beyond_upstream() {
    let config = ok(
        r#"{"configVersion":"v1","onStartup":1,"settings":{"executionMinInterval":"0","executionBurst":0,"executionTimeout":"1m"}}"#,
    );
    let settings = config.settings.unwrap();
    assert_eq!(settings.execution_timeout, Some(Duration::from_secs(60)));
    assert_eq!(settings.effective_burst(), 1);
    let p = problems(
        r#"{"configVersion":"v1","onStartup":1,"settings":{"executionMinInterval":"1s","executionBurst":1,"executionTimeout":"0s"}}"#,
    );
    assert_eq!(
        p,
        vec!["settings.executionTimeout is invalid: must be greater than 0"]
    );
}

#[test]
fn the_mode_field_of_the_go_struct_is_rejected_by_the_schema() {
    let p = problems(r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","mode":"v0"}]}"#);
    assert_eq!(p, vec!["kubernetes[0].mode is a forbidden property"]);
}

#[test]
fn addon_operator_ordered_keys_are_accepted_only_when_allowed() {
    let text = br#"{"configVersion":"v1","beforeHelm":10,"afterHelm":5}"#;
    let p: Vec<String> = parse_hook_config("h", text)
        .unwrap_err()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        p,
        vec![
            "beforeHelm is a forbidden property",
            "afterHelm is a forbidden property"
        ]
    );
    let config = parse_hook_config_with("h", text, &ParseOptions::addon_operator_module()).unwrap();
    assert_eq!(config.ordered("beforeHelm"), Some(10));
    assert_eq!(config.ordered("afterHelm"), Some(5));
    assert_eq!(config.ordered("afterDeleteHelm"), None);
    let v0 = parse_hook_config_with("h", b"beforeAll: 1", &ParseOptions::addon_operator_global())
        .unwrap();
    assert_eq!(v0.version, ConfigVersion::V0);
    assert_eq!(v0.ordered("beforeAll"), Some(1));
}

#[test]
fn a_binding_of_the_other_hook_kind_is_named_with_its_own_message() {
    let text = br#"{"configVersion":"v1","onStartup":1,"beforeHelm":10}"#;
    let err = parse_hook_config_with("global.sh", text, &ParseOptions::addon_operator_global())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "load hook 'global.sh' config: beforeHelm is a module hook binding: a global hook cannot have it"
    );
    let err = parse_hook_config_with(
        "hooks/m.sh",
        b"afterAll: 1",
        &ParseOptions::addon_operator_module(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "load hook 'hooks/m.sh' config: 2 errors occurred:\n\t* afterAll is a global hook binding: \
         a module hook cannot have it\n\t* config should have at least 1 properties"
    );
}

#[test]
fn v0_events_are_mapped_and_unknown_ones_rejected() {
    let config = ok(r#"
onKubernetesEvent:
- kind: Pod
  event: [add, delete]
  objectName: x
  namespaceSelector: {matchNames: [ns1]}
- kind: Pod
  namespaceSelector: {any: true, matchNames: [ns1]}
"#);
    let k = &config.kubernetes;
    assert_eq!(
        k[0].execute_hook_on_event,
        vec![WatchEventType::Added, WatchEventType::Deleted]
    );
    assert_eq!(k[0].name, "onKubernetesEvent");
    assert_eq!(k[0].name_selector, vec!["x"]);
    assert_eq!(k[0].namespace, NamespaceSelector::Names(vec!["ns1".into()]));
    assert_eq!(k[1].execute_hook_on_event, WatchEventType::ALL.to_vec());
    assert_eq!(k[1].namespace, NamespaceSelector::All);
    let p = problems("onKubernetesEvent:\n- {kind: Pod, event: [created]}\n");
    assert_eq!(
        p,
        vec!["onKubernetesEvent[0].event is invalid: event 'created' is unsupported"]
    );
}

#[test]
fn empty_output_and_garbage_are_rejected() {
    assert_eq!(
        problems(""),
        vec!["config should have at least 1 properties"]
    );
    assert_eq!(
        problems("just text"),
        vec!["config must be a mapping, got a string"]
    );
    assert_eq!(
        parse_hook_config("x/y.sh", b"configVersion: v1\nfoo: 1")
            .unwrap_err()
            .to_string(),
        "load hook 'x/y.sh' config: foo is a forbidden property"
    );
}

#[test]
fn a_yaml_config_parses_to_the_expected_structure() {
    let config = ok(r#"
configVersion: v1
onStartup: 5
schedule:
- name: every 10 sec
  crontab: "*/10 * * * * *"
  queue: slow
  includeSnapshotsFrom: [pods]
kubernetes:
- name: pods
  apiVersion: v1
  kind: Pod
  executeHookOnEvent: [Added, Modified]
  labelSelector:
    matchLabels: {app: x}
    matchExpressions:
    - {key: tier, operator: In, values: [cache]}
  fieldSelector:
    matchExpressions:
    - {field: status.phase, operator: Equals, value: Running}
  namespace:
    nameSelector: {matchNames: [default]}
  jqFilter: .metadata.labels
  allowFailure: true
settings:
  executionMinInterval: 5s
  executionBurst: 2
"#);
    insta::assert_debug_snapshot!(config);
}

#[test]
fn yaml_1_1_booleans_are_read_as_booleans_like_upstream() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- {kind: Pod, allowFailure: yes, executeHookOnSynchronization: off, keepFullObjectsInMemory: "no"}
schedule:
- {crontab: "* * * * *", allowFailure: on}
"#);
    assert!(config.kubernetes[0].allow_failure);
    assert!(!config.kubernetes[0].execute_hook_on_synchronization);
    assert!(!config.kubernetes[0].keep_full_objects_in_memory);
    assert!(config.schedules[0].allow_failure);
    let p = problems("configVersion: v1\nkubernetes:\n- {kind: Pod, allowFailure: maybe}\n");
    assert_eq!(
        p,
        vec!["kubernetes[0].allowFailure must be of type boolean: \"string\""]
    );
}

#[test]
fn an_explicit_v0_version_key_is_rejected_by_the_v0_schema() {
    let p = problems("configVersion: v0\nonStartup: 1\n");
    assert_eq!(p, vec!["configVersion is a forbidden property"]);
}

#[test]
fn a_null_config_version_is_reported_as_missing() {
    let p = problems("configVersion:\nonStartup: 1\n");
    assert_eq!(p, vec!["config version: missing 'configVersion' value"]);
}

#[test]
fn webhook_rules_need_at_least_one_item_and_match_conditions_stay_open() {
    let p =
        problems(r#"{"configVersion":"v1","kubernetesValidating":[{"name":"a.b.c","rules":[]}]}"#);
    assert_eq!(
        p,
        vec!["kubernetesValidating[0].rules should have at least 1 items"]
    );
    let config = ok(
        r#"{"configVersion":"v1","kubernetesMutating":[{"name":"m","matchConditions":[{"name":"n","expression":"true","extra":1}]}]}"#,
    );
    assert_eq!(config.mutating[0].match_conditions[0].expression, "true");
}
