//! The config validation cases of reference §5.1 (V1..V27), one test per row at least.

use hook_config::{ConfigVersion, FailurePolicy, SideEffects};
use std::time::Duration;

mod common;
use common::{ok, problems};

#[test]
fn v1_an_unknown_config_version_is_unsupported() {
    let p = problems(r#"{"configVersion":"1.0.1-unknown","onStartup":1}"#);
    assert_eq!(
        p,
        vec!["config version: 'configVersion' value '1.0.1-unknown' is unsupported"]
    );
}

#[test]
fn v2_an_empty_config_version_is_unsupported() {
    let p = problems(r#"{"configVersion":"","onStartup":1}"#);
    assert_eq!(
        p,
        vec!["config version: 'configVersion' value '' is unsupported"]
    );
}

#[test]
fn v3_a_config_without_version_is_v0() {
    let config = ok(r#"{"onStartup": 1}"#);
    assert_eq!(config.version, ConfigVersion::V0);
    assert_eq!(config.on_startup.map(|s| s.order), Some(1));
}

#[test]
fn v4_v0_schedules_with_six_fields_and_on_kubernetes_event_are_accepted() {
    let config = ok(r#"
onStartup: 10
schedule:
- name: every 10s
  crontab: "*/10 * * * * *"
- crontab: "0 */5 * * * *"
  allowFailure: true
onKubernetesEvent:
- name: monitor pods
  kind: pod
  allowFailure: true
"#);
    assert_eq!(config.version, ConfigVersion::V0);
    assert_eq!(config.schedules.len(), 2);
    assert_eq!(config.schedules[1].name, "schedule");
    assert!(config.schedules[1].allow_failure);
    let kube = &config.kubernetes[0];
    assert_eq!(kube.name, "monitor pods");
    assert_eq!(kube.kind, "pod");
    assert!(kube.allow_failure);
    assert!(!kube.execute_hook_on_synchronization);
    assert_eq!(kube.queue, "main");
}

#[test]
fn v5_a_non_integer_on_startup_is_rejected() {
    let p = problems(r#"{"configVersion":"v1","onStartup": e1}"#);
    assert_eq!(p, vec!["onStartup must be of type integer: \"string\""]);
}

#[test]
fn v6_a_v1_config_with_only_the_version_is_rejected() {
    let p = problems(r#"{"configVersion":"v1"}"#);
    assert_eq!(p, vec!["config should have at least 2 properties"]);
}

#[test]
fn v7_all_schema_errors_of_a_v0_config_are_listed_at_once() {
    let p = problems(r#"{"configVrsion":"v1","schedule":{"name":"qwe"},"qwdqwd":"QWD"}"#);
    assert_eq!(
        p,
        vec![
            "configVrsion is a forbidden property",
            "schedule must be of type array: \"object\"",
            "qwdqwd is a forbidden property",
        ]
    );
}

#[test]
fn v8_a_crontab_with_three_fields_is_rejected() {
    let p = problems(r#"{"configVersion":"v1","schedule":[{"crontab":"* * *"}]}"#);
    assert_eq!(
        p,
        vec!["schedule[0].crontab is invalid: Expected 5 or 6 fields, found 3: * * *"]
    );
}

#[test]
fn v9_a_kubernetes_binding_without_kind_is_rejected() {
    let p = problems(r#"{"configVersion":"v1","kubernetes":[{"name":"pods"}]}"#);
    assert_eq!(p, vec!["kubernetes[0].kind is required"]);
}

#[test]
fn v10_a_malformed_api_version_is_rejected() {
    let p = problems(
        r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","apiVersion":"v1/12/wqe"}]}"#,
    );
    assert_eq!(
        p,
        vec!["kubernetes[0].apiVersion is invalid: unexpected GroupVersion string: v1/12/wqe"]
    );
}

#[test]
fn v11_a_label_selector_with_an_empty_value_and_a_name_selector_is_accepted() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- kind: Node
  nameSelector:
    matchNames: [node-1]
  labelSelector:
    matchLabels:
      node-role.kubernetes.io/master: ""
"#);
    let kube = &config.kubernetes[0];
    assert_eq!(kube.name_selector, vec!["node-1"]);
    let labels = kube.label_selector.as_ref().unwrap();
    assert_eq!(labels.to_query(), "node-role.kubernetes.io/master=");
}

#[test]
fn v12_an_empty_match_names_list_selects_all_objects() {
    let config = ok(
        r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","nameSelector":{"matchNames":[]}}]}"#,
    );
    assert!(config.kubernetes[0].name_selector.is_empty());
}

#[test]
fn v13_watch_event_as_a_string_is_a_type_error() {
    let p =
        problems(r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","watchEvent":"Added"}]}"#);
    assert_eq!(
        p,
        vec!["kubernetes[0].watchEvent must be of type array: \"string\""]
    );
}

#[test]
fn v14_a_number_in_match_names_is_a_type_error() {
    let p = problems(
        r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","nameSelector":{"matchNames":[20]}}]}"#,
    );
    assert_eq!(
        p,
        vec!["kubernetes[0].nameSelector.matchNames[0] must be of type string: \"number\""]
    );
}

#[test]
fn v15_enum_forbidden_required_and_type_errors_are_all_reported() {
    let p = problems(
        r#"
configVersion: v1
kubernetes:
- kind: Pod
  executeHookOnEvent: ["Added", "updated"]
  labelSelector:
    matchExpressions:
    - key: app
      operand: In
      values: [a]
  fieldSelector:
    matchExpressions:
    - field: status.phase
      operator: IsNotin
      value: 2989
"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetes[0].executeHookOnEvent[1] should be one of [Added Modified Deleted]",
            "kubernetes[0].labelSelector.matchExpressions[0].operand is a forbidden property",
            "kubernetes[0].labelSelector.matchExpressions[0].operator is required",
            "kubernetes[0].fieldSelector.matchExpressions[0].operator should be one of [= == Equals != NotEquals]",
            "kubernetes[0].fieldSelector.matchExpressions[0].value must be of type string: \"number\"",
        ]
    );
}

#[test]
fn v16_a_non_boolean_execute_hook_on_synchronization_is_rejected() {
    let p = problems(
        r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","executeHookOnSynchronization":"ok"}]}"#,
    );
    assert_eq!(
        p,
        vec!["kubernetes[0].executeHookOnSynchronization must be of type boolean: \"string\""]
    );
}

#[test]
fn v17_included_snapshots_must_name_existing_kubernetes_bindings() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- {name: pods, kind: Pod}
- {name: secrets, kind: Secret}
schedule:
- {crontab: "* * * * *", includeSnapshotsFrom: [pods, secrets]}
"#);
    assert_eq!(
        config.schedules[0].include_snapshots_from,
        vec!["pods", "secrets"]
    );

    let p = problems(
        r#"
configVersion: v1
kubernetes:
- {name: pods, kind: Pod, includeSnapshotsFrom: [nope]}
schedule:
- {crontab: "* * * * *", includeSnapshotsFrom: [pods, nope]}
"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetes[0].includeSnapshotsFrom is invalid: 'nope' binding name not found",
            "schedule[0].includeSnapshotsFrom is invalid: 'nope' binding name not found",
        ]
    );
}

#[test]
fn v18_grouped_bindings_include_the_snapshots_of_the_group() {
    let config = ok(r#"
configVersion: v1
schedule:
- {crontab: "* * * * *", group: pods}
kubernetes:
- {name: monitor-pods, kind: Pod, group: pods}
- {name: configmap-content, kind: ConfigMap, group: pods}
"#);
    assert_eq!(
        config.schedules[0].include_snapshots_from,
        vec!["monitor-pods", "configmap-content"]
    );
    for kube in &config.kubernetes {
        assert_eq!(
            kube.include_snapshots_from,
            vec!["monitor-pods", "configmap-content"]
        );
    }
}

#[test]
fn v18_group_names_are_merged_after_the_bindings_own_includes() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- {name: snap1, kind: Pod, group: g}
- {name: snap2, kind: Pod}
- {name: snap3, kind: Pod, group: g}
- {name: snap4, kind: Pod, group: g}
schedule:
- {crontab: "* * * * *", group: g, includeSnapshotsFrom: [snap3, snap2, snap1]}
- {crontab: "* * * * *", group: empty}
"#);
    assert_eq!(
        config.schedules[0].include_snapshots_from,
        vec!["snap3", "snap2", "snap1", "snap4"]
    );
    assert!(config.schedules[1].include_snapshots_from.is_empty());
}

#[test]
fn v19_validating_bindings_get_defaults_group_snapshots_and_keep_options() {
    let config = ok(r#"
configVersion: v1
kubernetes:
- {name: pods, kind: Pod, group: main}
kubernetesValidating:
- name: default.example.com
- name: snapshots.example.com
  group: main
- name: options.example.com
  failurePolicy: Ignore
  sideEffects: NoneOnDryRun
  timeoutSeconds: 30
  rules:
  - apiGroups: ["stable.example.com"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["crontabs"]
    scope: Namespaced
"#);
    let [default, snapshots, options] = &config.validating[..] else {
        panic!("3 bindings")
    };
    assert_eq!(default.failure_policy, FailurePolicy::Fail);
    assert_eq!(default.side_effects, SideEffects::None);
    assert_eq!(default.timeout_seconds, 10);
    assert_eq!(snapshots.include_snapshots_from, vec!["pods"]);
    assert_eq!(options.failure_policy, FailurePolicy::Ignore);
    assert_eq!(options.side_effects, SideEffects::NoneOnDryRun);
    assert_eq!(options.timeout_seconds, 30);
    assert_eq!(options.rules[0].scope.as_deref(), Some("Namespaced"));
}

#[test]
fn v20_a_validating_name_that_is_not_a_three_segment_domain_is_rejected() {
    let p = problems(r#"{"configVersion":"v1","kubernetesValidating":[{"name":"snapshots"}]}"#);
    assert_eq!(
        p,
        vec![
            "kubernetesValidating[0].name Invalid value: \"snapshots\": should be a domain with at least three segments separated by dots"
        ]
    );
}

#[test]
fn v21_a_validating_timeout_above_thirty_seconds_is_rejected() {
    let p = problems(
        r#"{"configVersion":"v1","kubernetesValidating":[{"name":"a.example.com","timeoutSeconds":32}]}"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetesValidating[0].timeoutSeconds Invalid value: 32: the timeout value must be between 1 and 30 seconds"
        ]
    );
}

#[test]
fn v22_conversion_bindings_with_one_and_three_rules_are_accepted() {
    let config = ok(r#"
configVersion: v1
kubernetesCustomResourceConversion:
- name: alpha1_to_alpha2
  crdName: crontabs.stable.example.com
  conversions:
  - {fromVersion: stable.example.com/v1alpha1, toVersion: stable.example.com/v1alpha2}
- name: chain
  crdName: crontabs.stable.example.com
  conversions:
  - {fromVersion: v1alpha2, toVersion: v1beta1}
  - {fromVersion: v1beta1, toVersion: v1beta2}
  - {fromVersion: v1beta2, toVersion: v1}
"#);
    assert_eq!(config.conversion[0].conversions.len(), 1);
    assert_eq!(config.conversion[1].conversions.len(), 3);
    assert_eq!(config.conversion[1].conversions[2].to_version, "v1");
}

#[test]
fn v23_incomplete_conversion_bindings_are_rejected() {
    let p =
        problems(r#"{"configVersion":"v1","kubernetesCustomResourceConversion":[{"name":"a"}]}"#);
    assert_eq!(
        p,
        vec![
            "kubernetesCustomResourceConversion[0].crdName is required",
            "kubernetesCustomResourceConversion[0].conversions is required",
        ]
    );
    let p = problems(
        r#"{"configVersion":"v1","kubernetesCustomResourceConversion":[{"name":"a","conversions":[{"fromVersion":"v1","toVersion":"v2"}]}]}"#,
    );
    assert_eq!(
        p,
        vec!["kubernetesCustomResourceConversion[0].crdName is required"]
    );
    let p = problems(
        r#"{"configVersion":"v1","kubernetesCustomResourceConversion":[{"name":"a","crdName":"c.example.com","conversions":[{"fromVersion":"v1","to":"v2"}]}]}"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetesCustomResourceConversion[0].conversions[0].to is a forbidden property",
            "kubernetesCustomResourceConversion[0].conversions[0].toVersion is required",
        ]
    );
}

#[test]
fn v24_settings_are_parsed_and_a_bad_interval_is_rejected() {
    let config = ok(
        r#"{"configVersion":"v1","onStartup":1,"settings":{"executionMinInterval":"30s","executionBurst":1}}"#,
    );
    let settings = config.settings.unwrap();
    assert_eq!(settings.execution_min_interval, Duration::from_secs(30));
    assert_eq!(settings.execution_burst, 1);
    assert_eq!(settings.execution_timeout, None);

    let p = problems(
        r#"{"configVersion":"v1","onStartup":1,"settings":{"executionMinInterval":"30ks","executionBurst":1}}"#,
    );
    assert_eq!(
        p,
        vec![
            "settings.executionMinInterval is invalid: time: unknown unit \"ks\" in duration \"30ks\""
        ]
    );
}

#[test]
fn v24_settings_need_both_keys() {
    let p = problems(r#"{"configVersion":"v1","onStartup":1,"settings":{"executionBurst":1}}"#);
    assert_eq!(
        p,
        vec!["settings.executionMinInterval is invalid: time: invalid duration \"\""]
    );
    let p = problems(
        r#"{"configVersion":"v1","onStartup":1,"settings":{"executionMinInterval":"1s"}}"#,
    );
    assert_eq!(
        p,
        vec!["settings.executionBurst is invalid: strconv.ParseInt: parsing \"\": invalid syntax"]
    );
}

#[test]
fn v25_a_metadata_name_field_selector_and_match_names_are_mutually_exclusive() {
    let p = problems(
        r#"
configVersion: v1
kubernetes:
- kind: Pod
  nameSelector: {matchNames: [a]}
  fieldSelector:
    matchExpressions:
    - {field: metadata.name, operator: "=", value: a}
"#,
    );
    assert_eq!(
        p,
        vec![
            "kubernetes[0].fieldSelector is invalid: fieldSelector 'metadata.name' and nameSelector.matchNames are mutually exclusive"
        ]
    );
}

#[test]
fn v26_a_namespace_name_selector_written_as_a_list_is_rejected() {
    let p = problems(
        r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod","namespace":{"nameSelector":["default"]}}]}"#,
    );
    assert_eq!(
        p,
        vec!["kubernetes[0].namespace.nameSelector must be of type object: \"array\""]
    );
}

#[test]
fn v27_a_misspelled_kind_key_is_a_forbidden_property() {
    let p = problems(r#"{"configVersion":"v1","kubernetes":[{"kinds":"Pod"}]}"#);
    assert_eq!(
        p,
        vec![
            "kubernetes[0].kinds is a forbidden property",
            "kubernetes[0].kind is required"
        ]
    );
}
