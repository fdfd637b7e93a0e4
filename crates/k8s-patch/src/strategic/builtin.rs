//! Merge keys of the built-in Kubernetes types, as data: rule trees mounted at path prefixes per kind.
//!
//! The strategies come from the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api. Lists not
//! named here are atomic, as in the real server.

use serde_json::Value;

use super::{ListStrategy, PatchMeta};

/// What a rule says about the field it names.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A list of maps merged by this key.
    Key(&'static str),
    /// A list of scalars merged as a set.
    Set,
    /// A map (or the items of a keyed list) merged with `retainKeys`, and nothing else about it.
    Retain,
    /// A list merged by key whose items are also `retainKeys` maps (pod volumes).
    KeyRetain(&'static str),
    /// A list merged by key whose server-side apply identity has a second key with a default
    /// (ports: `protocol`, defaulting to `TCP`).
    KeyPlus(&'static str, &'static str, Option<&'static str>),
    /// A map that server-side apply owns and replaces as a whole.
    AtomicMap,
    /// Only a step towards nested rules.
    Through,
}

/// A node of a rule tree: the field name, the rule for it, and rules below it.
#[derive(Debug)]
struct Node {
    field: &'static str,
    rule: Rule,
    below: &'static [Node],
}

const fn node(field: &'static str, rule: Rule, below: &'static [Node]) -> Node {
    Node { field, rule, below }
}

const fn key(field: &'static str, merge_key: &'static str) -> Node {
    node(field, Rule::Key(merge_key), &[])
}

const CONDITIONS: Node = key("conditions", "type");

const OBJECT_META: &[Node] = &[
    node("finalizers", Rule::Set, &[]),
    key("ownerReferences", "uid"),
];

const CONTAINER: &[Node] = &[
    node(
        "ports",
        Rule::KeyPlus("containerPort", "protocol", Some("TCP")),
        &[],
    ),
    key("env", "name"),
    key("volumeMounts", "mountPath"),
    key("volumeDevices", "devicePath"),
];

const POD_SPEC: &[Node] = &[
    node("nodeSelector", Rule::AtomicMap, &[]),
    node("volumes", Rule::KeyRetain("name"), &[]),
    node("containers", Rule::Key("name"), CONTAINER),
    node("initContainers", Rule::Key("name"), CONTAINER),
    node("ephemeralContainers", Rule::Key("name"), CONTAINER),
    key("imagePullSecrets", "name"),
    key("hostAliases", "ip"),
    node(
        "topologySpreadConstraints",
        Rule::KeyPlus("topologyKey", "whenUnsatisfiable", None),
        &[],
    ),
    node("resourceClaims", Rule::KeyRetain("name"), &[]),
    key("schedulingGates", "name"),
];

const POD_STATUS: &[Node] = &[
    CONDITIONS,
    key("podIPs", "ip"),
    key("hostIPs", "ip"),
    node("resourceClaimStatuses", Rule::KeyRetain("name"), &[]),
];

const POD_TEMPLATE_SPEC: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node("spec", Rule::Through, POD_SPEC),
];

/// Every built-in object: object metadata and `status.conditions` by `type`.
const COMMON: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node("status", Rule::Through, &[CONDITIONS]),
];

const POD: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node("spec", Rule::Through, POD_SPEC),
    node("status", Rule::Through, POD_STATUS),
];

const POD_TEMPLATE: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node("template", Rule::Through, POD_TEMPLATE_SPEC),
];

/// Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController, Job.
const WORKLOAD: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node(
        "spec",
        Rule::Through,
        &[
            node("template", Rule::Through, POD_TEMPLATE_SPEC),
            node("strategy", Rule::Retain, &[]),
            node("selector", Rule::AtomicMap, &[]),
        ],
    ),
    node("status", Rule::Through, &[CONDITIONS]),
];

const CRON_JOB: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node(
        "spec",
        Rule::Through,
        &[node(
            "jobTemplate",
            Rule::Through,
            &[
                node("metadata", Rule::Through, OBJECT_META),
                node(
                    "spec",
                    Rule::Through,
                    &[node("template", Rule::Through, POD_TEMPLATE_SPEC)],
                ),
            ],
        )],
    ),
    node("status", Rule::Through, &[CONDITIONS]),
];

const SERVICE: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node(
        "spec",
        Rule::Through,
        &[
            node("ports", Rule::KeyPlus("port", "protocol", Some("TCP")), &[]),
            node("selector", Rule::AtomicMap, &[]),
        ],
    ),
    node("status", Rule::Through, &[CONDITIONS]),
];

const NODE: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node("spec", Rule::Through, &[node("podCIDRs", Rule::Set, &[])]),
    node(
        "status",
        Rule::Through,
        &[CONDITIONS, key("addresses", "type")],
    ),
];

const SERVICE_ACCOUNT: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    key("secrets", "name"),
];

const WEBHOOK_CONFIGURATION: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    key("webhooks", "name"),
];

const POD_DISRUPTION_BUDGET: &[Node] = &[
    node("metadata", Rule::Through, OBJECT_META),
    node(
        "spec",
        Rule::Through,
        &[node("selector", Rule::AtomicMap, &[])],
    ),
    node("status", Rule::Through, &[CONDITIONS]),
];

/// The built-in kinds by API group; kinds not named under their group get [`COMMON`].
const KINDS: &[(&str, &str, &[Node])] = &[
    ("", "Pod", POD),
    ("", "PodTemplate", POD_TEMPLATE),
    ("", "ReplicationController", WORKLOAD),
    ("", "Service", SERVICE),
    ("", "Node", NODE),
    ("", "ServiceAccount", SERVICE_ACCOUNT),
    ("apps", "Deployment", WORKLOAD),
    ("apps", "DaemonSet", WORKLOAD),
    ("apps", "StatefulSet", WORKLOAD),
    ("apps", "ReplicaSet", WORKLOAD),
    ("batch", "Job", WORKLOAD),
    ("batch", "CronJob", CRON_JOB),
    ("policy", "PodDisruptionBudget", POD_DISRUPTION_BUDGET),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        WEBHOOK_CONFIGURATION,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        WEBHOOK_CONFIGURATION,
    ),
];

/// Groups whose every kind is a built-in type supporting strategic merge patch.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "policy",
    "coordination.k8s.io",
    "admissionregistration.k8s.io",
    "events.k8s.io",
    "apiextensions.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "discovery.k8s.io",
    "certificates.k8s.io",
    "node.k8s.io",
    "apiregistration.k8s.io",
];

/// The merge knowledge of one built-in kind.
#[derive(Debug)]
struct BuiltinMeta {
    roots: &'static [Node],
}

static METAS: [BuiltinMeta; KINDS.len()] = {
    let mut out = [const { BuiltinMeta { roots: COMMON } }; KINDS.len()];
    let mut i = 0;
    while i < KINDS.len() {
        out[i] = BuiltinMeta { roots: KINDS[i].2 };
        i += 1;
    }
    out
};

static COMMON_META: BuiltinMeta = BuiltinMeta { roots: COMMON };

impl BuiltinMeta {
    fn rule(&self, path: &[&str]) -> Option<Rule> {
        let mut level = self.roots;
        let mut found = None;
        for (i, step) in path.iter().enumerate() {
            let n = level.iter().find(|n| n.field == *step)?;
            if i + 1 == path.len() {
                found = Some(n.rule);
            }
            level = n.below;
        }
        found
    }
}

impl PatchMeta for BuiltinMeta {
    fn list_strategy(&self, path: &[&str]) -> ListStrategy {
        match self.rule(path) {
            Some(Rule::Key(k) | Rule::KeyRetain(k) | Rule::KeyPlus(k, _, _)) => {
                ListStrategy::MergeByKey(k.to_owned())
            }
            Some(Rule::Set) => ListStrategy::Set,
            Some(Rule::Retain | Rule::AtomicMap | Rule::Through) | None => ListStrategy::Atomic,
        }
    }

    fn list_map_keys(&self, path: &[&str]) -> Vec<(String, Option<Value>)> {
        match self.rule(path) {
            Some(Rule::Key(k) | Rule::KeyRetain(k)) => vec![(k.to_owned(), None)],
            Some(Rule::KeyPlus(k, extra, default)) => vec![
                (k.to_owned(), None),
                (
                    extra.to_owned(),
                    default.map(|d| Value::String(d.to_owned())),
                ),
            ],
            _ => Vec::new(),
        }
    }

    fn map_is_atomic(&self, path: &[&str]) -> bool {
        matches!(self.rule(path), Some(Rule::AtomicMap))
    }

    fn retains_keys(&self, path: &[&str]) -> bool {
        matches!(self.rule(path), Some(Rule::Retain | Rule::KeyRetain(_)))
    }
}

/// Merge knowledge for a built-in type (group `""` for core, e.g. `("apps", "Deployment")`).
///
/// `None` when the type does not support strategic merge patch (custom resources and unknown
/// types): the server answers 415 Unsupported Media Type.
pub fn builtin_patch_meta(group: &str, kind: &str) -> Option<&'static dyn PatchMeta> {
    if let Some(i) = KINDS.iter().position(|(g, k, _)| *g == group && *k == kind) {
        return METAS.get(i).map(|m| m as &dyn PatchMeta);
    }
    BUILTIN_GROUPS
        .contains(&group)
        .then_some(&COMMON_META as &dyn PatchMeta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy(group: &str, kind: &str, path: &str) -> Option<ListStrategy> {
        let path: Vec<&str> = path.split('.').collect();
        builtin_patch_meta(group, kind).map(|m| m.list_strategy(&path))
    }

    fn by(k: &str) -> Option<ListStrategy> {
        Some(ListStrategy::MergeByKey(k.into()))
    }

    #[test]
    fn pod_template_lists_of_workloads_merge_by_their_keys() {
        let cases = [
            (
                "apps",
                "Deployment",
                "spec.template.spec.containers",
                by("name"),
            ),
            (
                "apps",
                "Deployment",
                "spec.template.spec.containers.env",
                by("name"),
            ),
            (
                "apps",
                "DaemonSet",
                "spec.template.spec.initContainers",
                by("name"),
            ),
            (
                "apps",
                "StatefulSet",
                "spec.template.spec.containers.ports",
                by("containerPort"),
            ),
            (
                "apps",
                "ReplicaSet",
                "spec.template.spec.volumes",
                by("name"),
            ),
            (
                "batch",
                "Job",
                "spec.template.spec.containers.volumeMounts",
                by("mountPath"),
            ),
            (
                "batch",
                "CronJob",
                "spec.jobTemplate.spec.template.spec.containers.env",
                by("name"),
            ),
            ("", "Pod", "spec.imagePullSecrets", by("name")),
            ("", "Pod", "spec.ephemeralContainers.env", by("name")),
            ("", "PodTemplate", "template.spec.containers", by("name")),
            ("", "Service", "spec.ports", by("port")),
            ("", "Pod", "status.conditions", by("type")),
            ("", "ConfigMap", "metadata.ownerReferences", by("uid")),
            (
                "",
                "ConfigMap",
                "metadata.finalizers",
                Some(ListStrategy::Set),
            ),
            (
                "apps",
                "Deployment",
                "spec.template.metadata.finalizers",
                Some(ListStrategy::Set),
            ),
        ];
        for (group, kind, path, want) in cases {
            assert_eq!(strategy(group, kind, path), want, "{group}/{kind} {path}");
        }
    }

    #[test]
    fn lists_without_a_merge_tag_are_atomic() {
        let cases = [
            ("", "Pod", "spec.tolerations"),
            ("", "Pod", "spec.containers.args"),
            ("", "Pod", "spec.containers.envFrom"),
            ("apps", "Deployment", "spec.containers"),
            ("rbac.authorization.k8s.io", "ClusterRole", "rules"),
            ("", "Service", "spec.externalIPs"),
        ];
        for (group, kind, path) in cases {
            assert_eq!(
                strategy(group, kind, path),
                Some(ListStrategy::Atomic),
                "{path}"
            );
        }
    }

    #[test]
    fn every_builtin_group_supports_strategic_merge_patch() {
        for (group, kind) in [
            ("", "ConfigMap"),
            ("", "Namespace"),
            ("rbac.authorization.k8s.io", "Role"),
            ("networking.k8s.io", "Ingress"),
            ("policy", "PodDisruptionBudget"),
            ("coordination.k8s.io", "Lease"),
            (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration",
            ),
            ("events.k8s.io", "Event"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ] {
            assert!(builtin_patch_meta(group, kind).is_some(), "{group}/{kind}");
        }
    }

    #[test]
    fn custom_resources_do_not_support_strategic_merge_patch() {
        assert!(builtin_patch_meta("stable.example.com", "CronTab").is_none());
    }

    #[test]
    fn ports_are_identified_by_port_and_protocol_for_server_side_apply() {
        let Some(m) = builtin_patch_meta("", "Service") else {
            unreachable!("services are built in")
        };
        assert_eq!(
            m.list_map_keys(&["spec", "ports"]),
            vec![
                ("port".to_owned(), None),
                ("protocol".to_owned(), Some(Value::from("TCP")))
            ]
        );
        assert_eq!(m.list_map_keys(&["spec", "externalIPs"]), Vec::new());
    }

    #[test]
    fn workload_selectors_are_atomic_maps() {
        let Some(m) = builtin_patch_meta("apps", "Deployment") else {
            unreachable!("deployments are built in")
        };
        assert!(m.map_is_atomic(&["spec", "selector"]));
        assert!(m.map_is_atomic(&["spec", "template", "spec", "nodeSelector"]));
        assert!(!m.map_is_atomic(&["spec", "template"]));
    }

    #[test]
    fn retain_keys_is_known_for_volumes_and_deployment_strategy() {
        let Some(m) = builtin_patch_meta("apps", "Deployment") else {
            unreachable!("deployments are built in")
        };
        assert!(m.retains_keys(&["spec", "strategy"]));
        assert!(m.retains_keys(&["spec", "template", "spec", "volumes"]));
        assert!(!m.retains_keys(&["spec", "template", "spec", "containers"]));
    }
}
