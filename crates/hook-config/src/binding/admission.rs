//! `kubernetesValidating` and `kubernetesMutating` bindings.

use std::collections::HashSet;

use crate::error::{Problems, index, join};
use crate::names::check_webhook_name;
use crate::raw::RawWebhookV1;
use crate::selector::{LabelSelector, label_selector};

use super::non_empty;

/// `failurePolicy` (default `Fail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// `Ignore`
    Ignore,
    /// `Fail`
    #[default]
    Fail,
}

impl FailurePolicy {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Ignore => "Ignore",
            FailurePolicy::Fail => "Fail",
        }
    }
}

/// `sideEffects` (default `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SideEffects {
    /// `None`
    #[default]
    None,
    /// `NoneOnDryRun`
    NoneOnDryRun,
}

impl SideEffects {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SideEffects::None => "None",
            SideEffects::NoneOnDryRun => "NoneOnDryRun",
        }
    }
}

/// One `rules[]` item (a `RuleWithOperations`), passed through to the webhook configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRule {
    /// `apiGroups`
    pub api_groups: Vec<String>,
    /// `apiVersions`
    pub api_versions: Vec<String>,
    /// `resources`
    pub resources: Vec<String>,
    /// `operations` (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`, `*`)
    pub operations: Vec<String>,
    /// `scope` (`Cluster`, `Namespaced`, `*`)
    pub scope: Option<String>,
}

/// One `matchConditions[]` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchCondition {
    /// `name`
    pub name: String,
    /// `expression` (CEL)
    pub expression: String,
}

/// A validated admission binding (validating or mutating: the config shape is the same).
#[derive(Debug, Clone, PartialEq)]
pub struct AdmissionBinding {
    /// The webhook name (an FQDN with 3+ segments for validating bindings).
    pub name: String,
    /// Group, used only to add snapshots.
    pub group: Option<String>,
    /// Included snapshot names (after the group merge).
    pub include_snapshots_from: Vec<String>,
    /// Rules.
    pub rules: Vec<WebhookRule>,
    /// Default `Fail`.
    pub failure_policy: FailurePolicy,
    /// Default `None`.
    pub side_effects: SideEffects,
    /// Default 10.
    pub timeout_seconds: i64,
    /// CEL match conditions.
    pub match_conditions: Vec<MatchCondition>,
    /// `labelSelector`, becomes `objectSelector`.
    pub object_selector: Option<LabelSelector>,
    /// `namespace.labelSelector`, becomes `namespaceSelector`.
    pub namespace_selector: Option<LabelSelector>,
}

/// A `kubernetesValidating` binding.
pub type ValidatingBinding = AdmissionBinding;
/// A `kubernetesMutating` binding.
pub type MutatingBinding = AdmissionBinding;

/// Which list an admission binding came from (only validating ones get the k8s checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdmissionKind {
    Validating,
    Mutating,
}

/// upstream `SafeURLString`: `-` before capitals, lowercase, `[^a-z0-9-/]` to `-`, runs of `-`
/// collapsed. `private-repo-policy.example.com` gives `private-repo-policy-example-com`.
pub fn safe_url_string(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/' {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        if !(c == '-' && collapsed.ends_with('-')) {
            collapsed.push(c);
        }
    }
    collapsed
}

fn check_list(list: &[String], what: &str, path: &str, problems: &mut Problems) {
    if list.len() > 1 && list.iter().any(|v| v == "*") {
        problems.push(
            path,
            format!("is invalid: if '*' is present, must not specify other {what}"),
        );
    }
    for (i, value) in list.iter().enumerate() {
        if value.is_empty() && what != "API groups" {
            problems.push(index(path, i), "is required: must be non-empty");
        }
    }
}

fn check_resources(resources: &[String], path: &str, problems: &mut Problems) {
    let mut seen = HashSet::new();
    let has_all = resources.iter().any(|r| r == "*");
    let has_all_sub = resources.iter().any(|r| r == "*/*");
    for (i, resource) in resources.iter().enumerate() {
        let at = index(path, i);
        if resource.is_empty() {
            problems.push(&at, "is required: must be non-empty");
            continue;
        }
        if !seen.insert(resource.as_str()) {
            problems.push(&at, format!("Duplicate value: {resource:?}"));
        }
        if has_all_sub && resource != "*/*" {
            problems.push(
                &at,
                "is invalid: if '*/*' is present, must not specify other resources",
            );
        }
        if has_all && resource != "*" && !resource.contains('/') {
            problems.push(
                &at,
                "is invalid: if '*' is present, must not specify other resources without subresources",
            );
        }
    }
}

fn check_rules(rules: &[WebhookRule], path: &str, problems: &mut Problems) {
    for (i, rule) in rules.iter().enumerate() {
        let at = index(&join(path, "rules"), i);
        check_list(
            &rule.api_groups,
            "API groups",
            &join(&at, "apiGroups"),
            problems,
        );
        check_list(
            &rule.api_versions,
            "API versions",
            &join(&at, "apiVersions"),
            problems,
        );
        check_list(
            &rule.operations,
            "operations",
            &join(&at, "operations"),
            problems,
        );
        check_resources(&rule.resources, &join(&at, "resources"), problems);
    }
}

pub(crate) fn from_raw(
    raw: &RawWebhookV1,
    kind: AdmissionKind,
    path: &str,
    problems: &mut Problems,
) -> AdmissionBinding {
    let rules: Vec<WebhookRule> = raw
        .rules
        .iter()
        .flatten()
        .map(|rule| WebhookRule {
            api_groups: rule.api_groups.clone(),
            api_versions: rule.api_versions.clone(),
            resources: rule.resources.clone(),
            operations: rule.operations.clone(),
            scope: rule.scope.clone(),
        })
        .collect();
    let timeout_seconds = raw.timeout_seconds.unwrap_or(10);
    if kind == AdmissionKind::Validating {
        if let Err(reason) = check_webhook_name(&raw.name) {
            problems.push(
                join(path, "name"),
                format!("Invalid value: {:?}: {reason}", raw.name),
            );
        }
        if !(1..=30).contains(&timeout_seconds) {
            problems.push(
                join(path, "timeoutSeconds"),
                format!(
                    "Invalid value: {timeout_seconds}: the timeout value must be between 1 and 30 seconds"
                ),
            );
        }
        check_rules(&rules, path, problems);
    }
    AdmissionBinding {
        name: raw.name.clone(),
        group: non_empty(raw.group.as_ref()),
        include_snapshots_from: raw.include_snapshots_from.clone().unwrap_or_default(),
        rules,
        failure_policy: match raw.failure_policy.as_deref() {
            Some("Ignore") => FailurePolicy::Ignore,
            _ => FailurePolicy::Fail,
        },
        side_effects: match raw.side_effects.as_deref() {
            Some("NoneOnDryRun") => SideEffects::NoneOnDryRun,
            _ => SideEffects::None,
        },
        timeout_seconds,
        match_conditions: raw
            .match_conditions
            .iter()
            .flatten()
            .map(|c| MatchCondition {
                name: c.name.clone(),
                expression: c.expression.clone(),
            })
            .collect(),
        object_selector: raw
            .label_selector
            .as_ref()
            .map(|s| label_selector(s, &join(path, "labelSelector"), problems)),
        namespace_selector: raw.namespace.as_ref().map(|ns| {
            label_selector(
                &ns.label_selector,
                &join(&join(path, "namespace"), "labelSelector"),
                problems,
            )
        }),
    }
}

/// Validating names must be unique within a hook.
pub(crate) fn check_unique_names(
    bindings: &[AdmissionBinding],
    list: &str,
    problems: &mut Problems,
) {
    let mut seen = HashSet::new();
    for (i, binding) in bindings.iter().enumerate() {
        if !seen.insert(binding.name.as_str()) {
            problems.push(
                join(&index(list, i), "name"),
                format!("Duplicate value: {:?}", binding.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_url_string_follows_upstream_examples() {
        assert_eq!(
            safe_url_string("private-repo-policy.example.com"),
            "private-repo-policy-example-com"
        );
        assert_eq!(safe_url_string("importantHook"), "important-hook");
        assert_eq!(safe_url_string("a..b__c"), "a-b-c");
    }
}
