//! Which webhooks a request reaches: rules, scope, namespace and object selectors.

use serde_json::{Map, Value};

/// The admission operation of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// POST, or an apply that creates.
    Create,
    /// PUT and PATCH.
    Update,
    /// DELETE.
    Delete,
}

impl Operation {
    /// `CREATE`, `UPDATE` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }

    /// The kind of the options object sent with it.
    pub fn options_kind(self, patch: bool) -> &'static str {
        match (self, patch) {
            (Self::Delete, _) => "DeleteOptions",
            (_, true) => "PatchOptions",
            (Self::Create, false) => "CreateOptions",
            (Self::Update, false) => "UpdateOptions",
        }
    }
}

/// What rules look at: the operation and the group/version/resource/subresource addressed.
#[derive(Debug, Clone, Copy)]
pub struct Addressed<'a> {
    /// The operation.
    pub operation: Operation,
    /// API group.
    pub group: &'a str,
    /// API version.
    pub version: &'a str,
    /// Plural resource.
    pub resource: &'a str,
    /// Subresource, empty for the main resource.
    pub sub: &'a str,
    /// Whether the resource is namespaced.
    pub namespaced: bool,
}

/// One `rules` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    operations: Vec<String>,
    api_groups: Vec<String>,
    api_versions: Vec<String>,
    resources: Vec<String>,
    scope: String,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn any_or(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

impl Rule {
    /// Reads a stored rule; missing lists match nothing.
    pub fn parse(v: &Value) -> Self {
        Self {
            operations: strings(v.get("operations")),
            api_groups: strings(v.get("apiGroups")),
            api_versions: strings(v.get("apiVersions")),
            resources: strings(v.get("resources")),
            scope: v
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or("*")
                .to_owned(),
        }
    }

    /// Whether the rule covers the request, as the real server's rule matcher decides.
    pub fn matches(&self, a: &Addressed<'_>) -> bool {
        any_or(&self.operations, a.operation.as_str())
            && any_or(&self.api_groups, a.group)
            && any_or(&self.api_versions, a.version)
            && self.resources.iter().any(|entry| {
                let (res, sub) = entry.split_once('/').unwrap_or((entry, ""));
                (res == "*" || res == a.resource) && (sub == "*" || sub == a.sub)
            })
            && match self.scope.as_str() {
                "Cluster" => !a.namespaced,
                "Namespaced" => a.namespaced,
                _ => true,
            }
    }

    /// Whether the rule covers the resource for some operation and version: a cheap pre-check.
    pub fn may_match(&self, group: &str, resource: &str, sub: &str) -> bool {
        any_or(&self.api_groups, group)
            && self.resources.iter().any(|entry| {
                let (res, s) = entry.split_once('/').unwrap_or((entry, ""));
                (res == "*" || res == resource) && (s == "*" || s == sub)
            })
    }

    /// Whether the rule names `operation` (or `*`).
    pub fn covers(&self, operation: Operation) -> bool {
        any_or(&self.operations, operation.as_str())
    }
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A `metav1.LabelSelector` (`matchLabels` and `matchExpressions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
    /// Set when the stored selector could not be understood: it then selects nothing.
    broken: bool,
}

impl Selector {
    /// Reads a stored selector; a missing or empty one selects everything.
    pub fn parse(v: Option<&Value>) -> Self {
        let mut selector = Self::default();
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return selector;
        };
        if let Some(labels) = v.get("matchLabels").and_then(Value::as_object) {
            for (k, val) in labels {
                match val.as_str() {
                    Some(val) => selector
                        .requirements
                        .push(Requirement::In(k.clone(), vec![val.to_owned()])),
                    None => selector.broken = true,
                }
            }
        }
        for expr in v
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = expr
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let values = strings(expr.get("values"));
            let requirement = match expr.get("operator").and_then(Value::as_str) {
                Some("In") if !values.is_empty() => Requirement::In(key, values),
                Some("NotIn") if !values.is_empty() => Requirement::NotIn(key, values),
                Some("Exists") => Requirement::Exists(key),
                Some("DoesNotExist") => Requirement::DoesNotExist(key),
                _ => {
                    selector.broken = true;
                    continue;
                }
            };
            selector.requirements.push(requirement);
        }
        selector
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && !self.broken
    }

    /// Whether labels `labels` (absent = none) satisfy every requirement.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        if self.broken {
            return false;
        }
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }

    /// The object selector rule: an empty selector matches; otherwise either object must match.
    pub fn matches_objects(&self, object: Option<&Value>, old: Option<&Value>) -> bool {
        if self.is_empty() {
            return true;
        }
        [object, old]
            .into_iter()
            .flatten()
            .any(|o| self.matches(o.pointer("/metadata/labels").and_then(Value::as_object)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods(operation: Operation, sub: &'static str) -> Addressed<'static> {
        Addressed {
            operation,
            group: "",
            version: "v1",
            resource: "pods",
            sub,
            namespaced: true,
        }
    }

    fn rule(v: Value) -> Rule {
        Rule::parse(&v)
    }

    #[test]
    fn resources_match_with_wildcards_and_subresources_like_the_real_matcher() {
        let r = |res: &str| {
            rule(
                json!({ "operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": [res] }),
            )
        };
        assert!(r("pods").matches(&pods(Operation::Create, "")));
        assert!(!r("pods").matches(&pods(Operation::Update, "status")));
        assert!(r("pods/status").matches(&pods(Operation::Update, "status")));
        assert!(r("*/status").matches(&pods(Operation::Update, "status")));
        assert!(r("pods/*").matches(&pods(Operation::Update, "status")));
        // As upstream: `x/*` also covers the main resource.
        assert!(r("pods/*").matches(&pods(Operation::Create, "")));
        assert!(r("*").matches(&pods(Operation::Create, "")));
        assert!(!r("*").matches(&pods(Operation::Update, "status")));
        assert!(r("*/*").matches(&pods(Operation::Update, "status")));
        assert!(!r("configmaps").matches(&pods(Operation::Create, "")));
    }

    #[test]
    fn operations_groups_versions_and_scope_must_all_match() {
        let base = json!({ "operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"] });
        assert!(rule(base.clone()).matches(&pods(Operation::Create, "")));
        assert!(!rule(base.clone()).matches(&pods(Operation::Delete, "")));
        let mut other_group = base.clone();
        other_group["apiGroups"] = json!(["apps"]);
        assert!(!rule(other_group).matches(&pods(Operation::Create, "")));
        let mut other_version = base.clone();
        other_version["apiVersions"] = json!(["v2"]);
        assert!(!rule(other_version).matches(&pods(Operation::Create, "")));
        let mut cluster = base.clone();
        cluster["scope"] = json!("Cluster");
        assert!(!rule(cluster).matches(&pods(Operation::Create, "")));
        let mut namespaced = base;
        namespaced["scope"] = json!("Namespaced");
        assert!(rule(namespaced).matches(&pods(Operation::Create, "")));
    }

    #[test]
    fn selectors_combine_match_labels_and_expressions() {
        let s = Selector::parse(Some(&json!({
            "matchLabels": { "team": "a" },
            "matchExpressions": [
                { "key": "env", "operator": "In", "values": ["prod", "stage"] },
                { "key": "skip", "operator": "DoesNotExist" },
            ],
        })));
        let labels = |v: Value| v.as_object().cloned();
        assert!(s.matches(labels(json!({ "team": "a", "env": "prod" })).as_ref()));
        assert!(!s.matches(labels(json!({ "team": "a", "env": "dev" })).as_ref()));
        assert!(!s.matches(labels(json!({ "team": "a", "env": "prod", "skip": "1" })).as_ref()));
        assert!(!s.matches(None));
    }

    #[test]
    fn empty_selectors_match_everything_and_broken_ones_nothing() {
        assert!(Selector::parse(Some(&json!({}))).matches_objects(None, None));
        assert!(Selector::parse(None).is_empty());
        let broken = Selector::parse(Some(
            &json!({ "matchExpressions": [{ "key": "a", "operator": "Near" }] }),
        ));
        assert!(!broken.matches_objects(Some(&json!({})), None));
    }

    #[test]
    fn object_selectors_match_the_new_or_the_old_object() {
        let s = Selector::parse(Some(&json!({ "matchLabels": { "watch": "yes" } })));
        let with = json!({ "metadata": { "labels": { "watch": "yes" } } });
        let without = json!({ "metadata": {} });
        assert!(s.matches_objects(Some(&without), Some(&with)));
        assert!(s.matches_objects(Some(&with), None));
        assert!(!s.matches_objects(Some(&without), None));
        assert!(!s.matches_objects(None, None));
    }
}
