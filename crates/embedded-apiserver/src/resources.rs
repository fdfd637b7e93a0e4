//! Resource types the server knows: the built-in table and the registry that CRDs extend.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;

#[cfg(test)]
use crate::builtin_fields::Scan;
use crate::builtin_fields::{UnknownFields, unknown_fields};

/// Identifies where objects of a resource live: group and plural, shared by all its versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey {
    /// API group, empty for core.
    pub group: String,
    /// Plural resource name.
    pub plural: String,
}

impl StorageKey {
    /// Builds a key.
    pub fn new(group: &str, plural: &str) -> Self {
        Self {
            group: group.to_owned(),
            plural: plural.to_owned(),
        }
    }
}

/// Where a `scale` subresource reads and writes replicas (JSON paths like `.spec.replicas`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    /// Path of the desired replicas.
    pub spec_replicas: String,
    /// Path of the observed replicas.
    pub status_replicas: String,
    /// Path of the label selector string, if any.
    pub label_selector: Option<String>,
}

impl ScalePaths {
    fn standard() -> Self {
        Self {
            spec_replicas: ".spec.replicas".to_owned(),
            status_replicas: ".status.replicas".to_owned(),
            label_selector: None,
        }
    }
}

/// One served group/version/resource.
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// API group, empty for core.
    pub group: String,
    /// API version within the group.
    pub version: String,
    /// Kind of the objects.
    pub kind: String,
    /// Plural resource name (URL segment).
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Short names for kubectl.
    pub short_names: Vec<String>,
    /// Categories such as `all`.
    pub categories: Vec<String>,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether a `status` subresource exists.
    pub status: bool,
    /// The `scale` subresource, if any.
    pub scale: Option<ScalePaths>,
    /// Whether this comes from a CustomResourceDefinition.
    pub custom: bool,
    /// Whether this is the version objects are stored in.
    pub storage_version: bool,
    /// The compiled `openAPIV3Schema` of a custom resource version.
    pub schema: Option<Arc<crd_schema::Schema>>,
    /// Finds the fields a built-in object's type does not declare; `None` for custom resources.
    pub unknown_fields: Option<UnknownFields>,
}

impl ResourceType {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Where the objects are stored.
    pub fn storage_key(&self) -> StorageKey {
        StorageKey::new(&self.group, &self.plural)
    }

    /// Kind of the list objects.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The verbs every resource of this server supports.
    pub fn verbs(&self) -> &'static [&'static str] {
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

/// Which subresources a built-in type has.
#[derive(Clone, Copy)]
enum Sub {
    None,
    Status,
    StatusScale,
}

/// One row of the built-in table: group, version, kind, plural, short names, namespaced,
/// subresources, and the unknown fields of the type (`unknown_fields::<its k8s-openapi type>`).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
    Sub,
    UnknownFields,
);

// Kept as written: a row per entry (and its type on the next line) reads as a table.
#[rustfmt::skip]
const BUILTINS: &[Row] = &[
    ("", "v1", "Namespace", "namespaces", &["ns"], false, Sub::Status,
        unknown_fields::<api::core::v1::Namespace>),
    ("", "v1", "Pod", "pods", &["po"], true, Sub::Status,
        unknown_fields::<api::core::v1::Pod>),
    ("", "v1", "ConfigMap", "configmaps", &["cm"], true, Sub::None,
        unknown_fields::<api::core::v1::ConfigMap>),
    ("", "v1", "Secret", "secrets", &[], true, Sub::None,
        unknown_fields::<api::core::v1::Secret>),
    ("", "v1", "Service", "services", &["svc"], true, Sub::Status,
        unknown_fields::<api::core::v1::Service>),
    ("", "v1", "ServiceAccount", "serviceaccounts", &["sa"], true, Sub::None,
        unknown_fields::<api::core::v1::ServiceAccount>),
    ("", "v1", "Endpoints", "endpoints", &["ep"], true, Sub::None,
        unknown_fields::<api::core::v1::Endpoints>),
    ("", "v1", "Event", "events", &["ev"], true, Sub::None,
        unknown_fields::<api::core::v1::Event>),
    ("", "v1", "Node", "nodes", &["no"], false, Sub::Status,
        unknown_fields::<api::core::v1::Node>),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", &["pvc"], true, Sub::Status,
        unknown_fields::<api::core::v1::PersistentVolumeClaim>),
    ("", "v1", "PersistentVolume", "persistentvolumes", &["pv"], false, Sub::Status,
        unknown_fields::<api::core::v1::PersistentVolume>),
    ("apps", "v1", "Deployment", "deployments", &["deploy"], true, Sub::StatusScale,
        unknown_fields::<api::apps::v1::Deployment>),
    ("apps", "v1", "DaemonSet", "daemonsets", &["ds"], true, Sub::Status,
        unknown_fields::<api::apps::v1::DaemonSet>),
    ("apps", "v1", "StatefulSet", "statefulsets", &["sts"], true, Sub::StatusScale,
        unknown_fields::<api::apps::v1::StatefulSet>),
    ("apps", "v1", "ReplicaSet", "replicasets", &["rs"], true, Sub::StatusScale,
        unknown_fields::<api::apps::v1::ReplicaSet>),
    ("batch", "v1", "Job", "jobs", &[], true, Sub::Status,
        unknown_fields::<api::batch::v1::Job>),
    ("batch", "v1", "CronJob", "cronjobs", &["cj"], true, Sub::Status,
        unknown_fields::<api::batch::v1::CronJob>),
    ("coordination.k8s.io", "v1", "Lease", "leases", &[], true, Sub::None,
        unknown_fields::<api::coordination::v1::Lease>),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", &[], true, Sub::None,
        unknown_fields::<api::rbac::v1::Role>),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", &[], true, Sub::None,
        unknown_fields::<api::rbac::v1::RoleBinding>),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", &[], false, Sub::None,
        unknown_fields::<api::rbac::v1::ClusterRole>),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", &[], false, Sub::None,
        unknown_fields::<api::rbac::v1::ClusterRoleBinding>),
    ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", &[], false, Sub::None,
        unknown_fields::<api::admissionregistration::v1::ValidatingWebhookConfiguration>),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", &[], false, Sub::None,
        unknown_fields::<api::admissionregistration::v1::MutatingWebhookConfiguration>),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", &["crd", "crds"], false, Sub::Status,
        unknown_fields::<apiextensions::v1::CustomResourceDefinition>),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", &["ing"], true, Sub::Status,
        unknown_fields::<api::networking::v1::Ingress>),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", &[], false, Sub::None,
        unknown_fields::<api::networking::v1::IngressClass>),
    ("events.k8s.io", "v1", "Event", "events", &["ev"], true, Sub::None,
        unknown_fields::<api::events::v1::Event>),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", &["pdb"], true, Sub::Status,
        unknown_fields::<api::policy::v1::PodDisruptionBudget>),
    ("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", &["pc"], false, Sub::None,
        unknown_fields::<api::scheduling::v1::PriorityClass>),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", &["sc"], false, Sub::None,
        unknown_fields::<api::storage::v1::StorageClass>),
];

/// Kinds that `kubectl get all` includes.
const CATEGORY_ALL: &[&str] = &[
    "pods",
    "services",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "jobs",
    "cronjobs",
];

fn builtin(row: &Row) -> ResourceType {
    let (group, version, kind, plural, short, namespaced, sub, unknown) = *row;
    ResourceType {
        group: group.to_owned(),
        version: version.to_owned(),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
        singular: kind.to_lowercase(),
        short_names: short.iter().map(|s| (*s).to_owned()).collect(),
        categories: if CATEGORY_ALL.contains(&plural) {
            vec!["all".to_owned()]
        } else {
            Vec::new()
        },
        namespaced,
        status: !matches!(sub, Sub::None),
        scale: matches!(sub, Sub::StatusScale).then(ScalePaths::standard),
        custom: false,
        storage_version: true,
        schema: None,
        unknown_fields: Some(unknown),
    }
}

/// Key of a served resource: group, version, plural.
pub type GvrKey = (String, String, String);

/// All served resources, built-in and custom.
#[derive(Debug, Clone)]
pub struct Registry {
    served: BTreeMap<GvrKey, Arc<ResourceType>>,
    /// Groups in discovery order (core first, built-ins in table order, then CRD groups).
    group_order: Vec<String>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// The registry with only the built-in table.
    pub fn builtin() -> Self {
        let mut registry = Self {
            served: BTreeMap::new(),
            group_order: Vec::new(),
        };
        for row in BUILTINS {
            registry.insert(builtin(row));
        }
        registry
    }

    fn insert(&mut self, rt: ResourceType) {
        if !self.group_order.contains(&rt.group) {
            self.group_order.push(rt.group.clone());
        }
        let key = (rt.group.clone(), rt.version.clone(), rt.plural.clone());
        self.served.insert(key, Arc::new(rt));
    }

    /// Looks a served resource up by group, version and plural.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.served
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .cloned()
    }

    /// Looks a resource up by group, version and kind.
    pub fn by_kind(&self, group: &str, version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        self.served
            .values()
            .find(|rt| rt.group == group && rt.version == version && rt.kind == kind)
            .cloned()
    }

    /// The storage version of a stored resource.
    pub fn storage_type(&self, key: &StorageKey) -> Option<Arc<ResourceType>> {
        self.served
            .values()
            .find(|rt| rt.group == key.group && rt.plural == key.plural && rt.storage_version)
            .cloned()
    }

    /// Groups with the versions they serve, preferred (first registered) version first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        self.group_order
            .iter()
            .filter_map(|group| {
                let mut versions: Vec<String> = Vec::new();
                for rt in self.served.values().filter(|rt| &rt.group == group) {
                    if !versions.contains(&rt.version) {
                        versions.push(rt.version.clone());
                    }
                }
                versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
                (!versions.is_empty()).then(|| (group.clone(), versions))
            })
            .collect()
    }

    /// Resources served in one group/version.
    pub fn resources(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.served
            .values()
            .filter(|rt| rt.group == group && rt.version == version)
            .cloned()
            .collect()
    }

    /// Every served resource.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.served.values()
    }

    /// Replaces all served versions of the custom resource stored under `key`.
    pub fn set_custom(&mut self, key: &StorageKey, versions: Vec<ResourceType>) {
        self.remove_custom(key);
        for rt in versions {
            self.insert(rt);
        }
    }

    /// Stops serving the custom resource stored under `key`.
    pub fn remove_custom(&mut self, key: &StorageKey) {
        self.served
            .retain(|_, rt| !(rt.custom && rt.group == key.group && rt.plural == key.plural));
        let served = &self.served;
        self.group_order
            .retain(|g| served.values().any(|rt| &rt.group == g));
    }
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first.
pub fn version_priority(version: &str) -> (u8, u32, u32) {
    let Some(rest) = version.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    let (level, minor) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n)
    } else {
        return (0, 0, 0);
    };
    (level, major, minor.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_serves_deployments_with_status_and_scale() {
        let registry = Registry::builtin();
        let rt = registry.get("apps", "v1", "deployments").unwrap();
        assert_eq!(rt.kind, "Deployment");
        assert!(rt.status && rt.scale.is_some() && rt.namespaced);
        assert_eq!(rt.short_names, vec!["deploy"]);
        assert_eq!(rt.api_version(), "apps/v1");
    }

    #[test]
    fn core_group_comes_first_in_discovery_order() {
        let registry = Registry::builtin();
        let groups = registry.groups();
        assert_eq!(groups[0], (String::new(), vec!["v1".to_owned()]));
        assert!(groups.iter().any(|(g, _)| g == "events.k8s.io"));
    }

    /// Typical objects of the built-in types: written for this test, and a module's rendered
    /// manifests. (`deploy/manifests` writes `defaultMode: 0755`, an octal number for kubectl's
    /// YAML 1.1 and a string for serde_norway's YAML 1.2, so it cannot be read here.)
    const TYPICAL: [&str; 2] = [
        include_str!("../testdata/typical-objects.yaml"),
        include_str!("../../addon-operator/tests/golden/echo-server-ha.yaml"),
    ];

    fn typical_objects() -> Vec<(Arc<ResourceType>, serde_json::Value)> {
        use serde::Deserialize as _;
        let registry = Registry::builtin();
        let mut out = Vec::new();
        for text in TYPICAL {
            for doc in serde_norway::Deserializer::from_str(text) {
                let obj = serde_json::Value::deserialize(doc).unwrap();
                let api_version = obj["apiVersion"].as_str().unwrap_or_default();
                let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
                let kind = obj["kind"].as_str().unwrap_or_default();
                if let Some(rt) = registry.by_kind(group, version, kind) {
                    out.push((rt, obj));
                }
            }
        }
        out
    }

    #[test]
    fn every_built_in_reads_its_typical_objects_whole_without_unknown_fields() {
        let objects = typical_objects();
        for rt in Registry::builtin().all() {
            assert!(
                objects
                    .iter()
                    .any(|(t, _)| Arc::ptr_eq(t, rt) || t.kind == rt.kind && t.group == rt.group),
                "no typical object of {} {}",
                rt.api_version(),
                rt.kind
            );
        }
        for (rt, obj) in &objects {
            let find = rt.unknown_fields.unwrap();
            let name = &obj["metadata"]["name"];
            assert_eq!(find(obj), Scan::default(), "{} {name}", rt.kind);
        }
    }

    #[test]
    fn every_built_in_reports_fields_its_type_does_not_declare() {
        for (rt, mut obj) in typical_objects() {
            obj["zzUnknown"] = serde_json::json!(1);
            obj["metadata"]["labelz"] = serde_json::json!({ "a": "b" });
            let found: Vec<String> = (rt.unknown_fields.unwrap())(&obj)
                .unknown
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(found, ["metadata.labelz", "zzUnknown"], "{}", rt.kind);
        }
    }

    #[test]
    fn versions_sort_ga_before_beta_before_alpha() {
        let mut v = vec!["v1alpha1", "v2beta1", "v1", "v1beta2", "v2"];
        v.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        assert_eq!(v, vec!["v2", "v1", "v2beta1", "v1beta2", "v1alpha1"]);
    }

    #[test]
    fn custom_resources_can_be_added_and_removed() {
        let mut registry = Registry::builtin();
        let key = StorageKey::new("example.com", "widgets");
        let mut rt = builtin(&(
            "example.com",
            "v1",
            "Widget",
            "widgets",
            &[],
            true,
            Sub::Status,
            unknown_fields::<api::core::v1::ConfigMap>,
        ));
        rt.custom = true;
        rt.unknown_fields = None;
        registry.set_custom(&key, vec![rt]);
        assert!(registry.get("example.com", "v1", "widgets").is_some());
        assert!(registry.groups().iter().any(|(g, _)| g == "example.com"));
        registry.remove_custom(&key);
        assert!(registry.get("example.com", "v1", "widgets").is_none());
        assert!(!registry.groups().iter().any(|(g, _)| g == "example.com"));
    }
}
