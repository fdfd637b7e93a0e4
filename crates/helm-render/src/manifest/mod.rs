//! Turns rendered templates into the release manifest: split, drop empty, sort by kind, headers.

use std::collections::BTreeMap;

use regex::Regex;

use crate::codec::parse_yaml;
use crate::value::Value;

/// Helm's `InstallOrder`.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// One document of the release, with the template it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedManifest {
    /// Template path, e.g. `mychart/templates/deployment.yaml`.
    pub source: String,
    /// The YAML document, trimmed.
    pub content: String,
    /// Its `kind` (empty when absent).
    pub kind: String,
}

/// A document is not valid YAML.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("YAML parse error on {source_path}: error converting YAML to JSON: {message}")]
pub struct ManifestError {
    /// The template that produced the document.
    pub source_path: String,
    /// The YAML error.
    pub message: String,
}

/// How documents are cut out of a rendered file; the two Helm majors differ in trimming,
/// which changes the manifest text (and so the release checksum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ManifestSplit {
    /// Helm v4 (the test oracle): leading whitespace trimmed, trailing kept.
    #[default]
    HelmV4,
    /// Helm v3 (what Go addon-operator links): every document fully trimmed.
    HelmV3,
}

/// Splits a rendered file into documents as Helm v4's `SplitManifests` does: separators
/// swallow surrounding whitespace, blank documents are dropped, leading whitespace is trimmed.
pub fn split_manifests(big: &str) -> Vec<String> {
    split_with(big, ManifestSplit::HelmV4)
}

/// Splits a rendered file into documents in the given Helm major's way.
pub fn split_with(big: &str, style: ManifestSplit) -> Vec<String> {
    let Ok(sep) = Regex::new(r"(?:^|\s*\n)---\s*") else {
        return vec![big.trim().to_string()];
    };
    let input = match style {
        ManifestSplit::HelmV4 => big,
        ManifestSplit::HelmV3 => big.trim(),
    };
    sep.split(input)
        .filter(|d| !d.trim().is_empty())
        .map(|d| match style {
            ManifestSplit::HelmV4 => d.trim_start().to_string(),
            ManifestSplit::HelmV3 => d.trim().to_string(),
        })
        .collect()
}

fn order(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Sorts documents stably by install order; unknown kinds last, alphabetically.
pub fn sort_by_kind(manifests: &mut [RenderedManifest]) {
    manifests.sort_by(|a, b| match (order(&a.kind), order(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

/// Documents split into regular manifests and hooks (`helm.sh/hook`), each in file order.
pub fn collect(
    rendered: &BTreeMap<String, String>,
    style: ManifestSplit,
) -> Result<(Vec<RenderedManifest>, Vec<RenderedManifest>), ManifestError> {
    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    for (path, content) in rendered {
        let base = path.rsplit('/').next().unwrap_or(path);
        if path.ends_with("NOTES.txt") || base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_with(content, style) {
            let head = parse_yaml(&doc).map_err(|e| ManifestError {
                source_path: path.clone(),
                message: e.to_string(),
            })?;
            let head = match head {
                Value::Map(_) | Value::Nil => head,
                _ => {
                    return Err(ManifestError {
                        source_path: path.clone(),
                        message: "error unmarshaling JSON: document is not a mapping".into(),
                    });
                }
            };
            let m = head.as_map().unwrap_or_default();
            let kind = m
                .get("kind")
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            let is_hook = m
                .get("metadata")
                .and_then(Value::as_map)
                .and_then(|md| md.get("annotations").and_then(Value::as_map))
                .is_some_and(|a| a.contains_key("helm.sh/hook"));
            let item = RenderedManifest {
                source: path.clone(),
                content: doc,
                kind,
            };
            if is_hook {
                hooks.push(item)
            } else {
                generic.push(item)
            }
        }
    }
    sort_by_kind(&mut generic);
    sort_by_kind(&mut hooks);
    Ok((generic, hooks))
}

/// The release manifest text: `---\n# Source: <path>\n<doc>\n` per document.
pub fn manifest_text(manifests: &[RenderedManifest]) -> String {
    let mut out = String::new();
    for m in manifests {
        out.push_str("---\n# Source: ");
        out.push_str(&m.source);
        out.push('\n');
        out.push_str(&m.content);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_drops_empty_documents_and_trims() {
        let docs = split_manifests("---\na: 1\n---\n\n  b: 2\n\n");
        assert_eq!(docs, vec!["a: 1".to_string(), "b: 2\n\n".to_string()]);
    }

    #[test]
    fn helm_three_trims_documents_and_helm_four_keeps_trailing_text() {
        let text = "\n  a: 1\n\n";
        assert_eq!(
            split_with(text, ManifestSplit::HelmV3),
            vec!["a: 1".to_string()]
        );
        assert_eq!(
            split_with(text, ManifestSplit::HelmV4),
            vec!["a: 1\n\n".to_string()]
        );
    }

    #[test]
    fn namespaces_sort_before_deployments_and_unknown_kinds_go_last() {
        let mk = |k: &str| RenderedManifest {
            source: "s".into(),
            content: String::new(),
            kind: k.into(),
        };
        let mut v = vec![mk("Zeta"), mk("Deployment"), mk("Alpha"), mk("Namespace")];
        sort_by_kind(&mut v);
        let kinds: Vec<&str> = v.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, vec!["Namespace", "Deployment", "Alpha", "Zeta"]);
    }
}
