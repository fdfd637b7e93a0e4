//! Turns rendered templates into the release manifest: split, drop empty, sort by kind, headers.

mod head;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

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
    // Go's `\s` is ASCII `[\t\n\f\r ]`; the `regex` crate's is Unicode, so spell it out.
    static SEP: LazyLock<Result<Regex, regex::Error>> =
        LazyLock::new(|| Regex::new(r"(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*"));
    let Ok(sep) = SEP.as_ref() else {
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

/// Regular manifests and hooks (`helm.sh/hook`), each in file order.
pub type Collected = (Vec<RenderedManifest>, Vec<RenderedManifest>);

/// Documents split into regular manifests and hooks (`helm.sh/hook`), each in file order.
/// Documents seen before on this thread are not parsed again (their heads are memoized by text).
pub fn collect(
    rendered: &BTreeMap<String, String>,
    style: ManifestSplit,
) -> Result<Collected, ManifestError> {
    collect_with(rendered, style, true)
}

/// [`collect`], parsing every document afresh (what a first render costs).
pub fn collect_fresh(
    rendered: &BTreeMap<String, String>,
    style: ManifestSplit,
) -> Result<Collected, ManifestError> {
    collect_with(rendered, style, false)
}

fn collect_with(
    rendered: &BTreeMap<String, String>,
    style: ManifestSplit,
    memo: bool,
) -> Result<Collected, ManifestError> {
    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    for (path, content) in rendered {
        let base = path.rsplit('/').next().unwrap_or(path);
        if path.ends_with("NOTES.txt") || base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_with(content, style) {
            let head = if memo {
                head::read(&doc)
            } else {
                head::parse(&doc)
            };
            let head = head.map_err(|message| ManifestError {
                source_path: path.clone(),
                message,
            })?;
            let item = RenderedManifest {
                source: path.clone(),
                content: doc,
                kind: head.kind,
            };
            if head.is_hook {
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
    let size: usize = manifests
        .iter()
        .map(|m| m.source.len() + m.content.len() + 16)
        .sum();
    let mut out = String::with_capacity(size);
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
    fn separators_swallow_only_go_whitespace() {
        // U+00A0 is not `\s` in Go's RE2 syntax: it stays in the first document.
        let docs = split_manifests("a: 1\u{a0}\n---\nb: 2");
        assert_eq!(docs, vec!["a: 1\u{a0}".to_string(), "b: 2".to_string()]);
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
