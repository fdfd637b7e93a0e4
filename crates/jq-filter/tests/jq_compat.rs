//! Our filters give the same outputs as the `jq` binary on the filters hooks commonly use.
//!
//! The `jq` binary is part of the project's machine image (`.ci/run` installs it where missing); this test
//! fails rather than skips when it is absent, so CI cannot pass without checking compatibility.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

use std::io::Write;
use std::process::{Command, Stdio};

use jq_filter::JqFilter;
use serde_json::{Value, json};

const FILTERS: &[&str] = &[
    ".",
    ".metadata.name",
    ".metadata.labels",
    ".metadata.annotations[\"example.com/owner\"]",
    "{name: .metadata.name, namespace: .metadata.namespace}",
    "{\"name\": .metadata.name, \"replicas\": (.spec.replicas // 1)}",
    ".spec.replicas // 1",
    ".spec.template.spec.containers[].image",
    "[.spec.template.spec.containers[] | {name, image}]",
    ".spec.template.spec.containers | map(.name) | join(\",\")",
    "select(.metadata.labels.app == \"web\")",
    "select(.metadata.labels.app == \"db\")",
    ".metadata.labels | has(\"app\")",
    ".metadata.labels | keys",
    ".metadata.labels | to_entries | map(select(.key | startswith(\"ti\"))) | from_entries",
    ".metadata.labels | with_entries(.value |= ascii_upcase)",
    "(.status.conditions // []) | map(select(.type == \"Ready\")) | .[0].status",
    ".status.conditions | length",
    ".metadata.name | test(\"^web-\")",
    ".metadata.name | split(\"-\")",
    ".metadata.name | ltrimstr(\"web-\") | rtrimstr(\"-1\")",
    ".spec.replicas | tostring",
    ".data.count | tonumber",
    ".data.secret | @base64d",
    ".metadata.name | @base64",
    "del(.metadata.managedFields, .metadata.resourceVersion)",
    ".metadata |= del(.uid)",
    "[.spec.template.spec.containers[].ports[]?.containerPort] | add",
    ".spec.template.spec.containers | sort_by(.name) | map(.name)",
    ".status.conditions | group_by(.status) | map(length)",
    "[.status.conditions[].status] | unique",
    ".status.conditions | any(.status == \"False\")",
    ".status.conditions | all(.status == \"True\")",
    "if .spec.replicas > 2 then \"big\" else \"small\" end",
    "reduce .spec.template.spec.containers[] as $c (0; . + 1)",
    "[paths(type == \"number\")] | length",
    "[.. | .image? // empty]",
    ".metadata.labels | to_entries[] | \"\\(.key)=\\(.value)\"",
    ".metadata.ownerReferences[]? | select(.kind == \"ReplicaSet\") | .name",
    ".metadata.creationTimestamp | fromdateiso8601",
    "[.spec.template.spec.containers[] | .resources.limits.memory // \"none\"]",
    ".spec | keys_unsorted",
    "[limit(2; .status.conditions[])] | length",
    ".metadata.labels | [.[]] | sort",
    "(.spec.replicas * 10) / 4",
    ".status.conditions | map(.lastTransitionTime) | max",
    "[.spec.template.spec.containers[].name | ascii_downcase | length] | min",
    ".metadata.name as $n | {($n): .spec.replicas}",
    "try (.data.count | tonumber) catch \"bad\"",
    ".metadata | to_entries | map(select(.value | type == \"string\")) | length",
];

fn object() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web-frontend-1",
            "namespace": "prod",
            "uid": "0b8a1f5e-1111-2222-3333-444455556666",
            "resourceVersion": "12345",
            "creationTimestamp": "2026-01-02T03:04:05Z",
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"example.com/owner": "team-a"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-rs", "uid": "x"}],
            "managedFields": [{"manager": "kubectl", "operation": "Update"}]
        },
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}, {"containerPort": 443}],
                 "resources": {"limits": {"memory": "128Mi"}}},
                {"name": "Sidecar", "image": "envoy:1.30"}
            ]}}
        },
        "data": {"count": "42", "secret": "aGVsbG8="},
        "status": {"conditions": [
            {"type": "Available", "status": "True", "lastTransitionTime": "2026-01-02T03:04:05Z"},
            {"type": "Ready", "status": "False", "lastTransitionTime": "2026-01-03T03:04:05Z"}
        ]}
    })
}

fn jq_binary(filter: &str, input: &Value) -> Vec<Value> {
    let mut child = Command::new("jq")
        .args(["-c", filter])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the jq binary must be installed for the compatibility corpus");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jq failed on {filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .map(|v| v.unwrap())
        .collect()
}

#[test]
fn filters_hooks_use_give_the_same_outputs_as_the_jq_binary() {
    let input = object();
    let mut mismatches = Vec::new();
    for filter in FILTERS {
        let expected = jq_binary(filter, &input);
        let ours = JqFilter::compile(filter)
            .unwrap_or_else(|e| panic!("{e}"))
            .run(&input)
            .unwrap_or_else(|e| panic!("{e}"));
        if ours != expected {
            mismatches.push(format!("{filter}\n  jq:   {expected:?}\n  ours: {ours:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}
