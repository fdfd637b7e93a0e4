//! The objects of a release manifest: parsed from the `---\n# Source: ...` text Helm stores,
//! labelled by the post-renderer, written back, and ordered as Helm installs them.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// Annotation that keeps an object when the release no longer renders it or is uninstalled.
pub const RESOURCE_POLICY: &str = "helm.sh/resource-policy";

/// One object of a manifest.
#[derive(Clone, PartialEq)]
pub struct ManifestObject {
    /// The template it came from (`# Source:`), empty when absent.
    pub source: String,
    /// The object.
    pub body: Value,
}

impl fmt::Debug for ManifestObject {
    // The body may be a Secret: show the name only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManifestObject({})", self.key(None))
    }
}

/// Where an object lives: group, kind, namespace, name (Helm matches objects across
/// revisions by these, whatever the version).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// API group (empty for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace as written in the manifest (empty when absent).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl fmt::Display for ObjectKey {
    /// `<ns>/<Kind>/<name>`, upstream's `resource` label of absent objects.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

/// A manifest document is not an object.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not YAML.
    #[error("document from '{source_path}' is not YAML")]
    Yaml {
        /// Its `# Source:`.
        source_path: String,
        /// The cause.
        #[source]
        source: serde_norway::Error,
    },
    /// No `apiVersion`, `kind` or `metadata.name`.
    #[error("document from '{source_path}' has no apiVersion, kind or metadata.name")]
    NotAnObject {
        /// Its `# Source:`.
        source_path: String,
    },
    /// Could not be written back as YAML.
    #[error("write object {object} as YAML")]
    Write {
        /// The object.
        object: String,
        /// The cause.
        #[source]
        source: serde_norway::Error,
    },
}

impl ManifestObject {
    fn str_at(&self, pointer: &str) -> &str {
        crate::release::str_at(&self.body, pointer)
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.str_at("/apiVersion")
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        self.str_at("/kind")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.str_at("/metadata/name")
    }

    /// `metadata.namespace`, `None` when absent or empty.
    pub fn namespace(&self) -> Option<&str> {
        Some(self.str_at("/metadata/namespace")).filter(|ns| !ns.is_empty())
    }

    /// The key, with `default_ns` for an object without a namespace (pass the release
    /// namespace for namespaced kinds, `None` for cluster-scoped ones).
    pub fn key(&self, default_ns: Option<&str>) -> ObjectKey {
        let group = self
            .api_version()
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or_default();
        ObjectKey {
            group: group.to_owned(),
            kind: self.kind().to_owned(),
            namespace: self
                .namespace()
                .or(default_ns)
                .unwrap_or_default()
                .to_owned(),
            name: self.name().to_owned(),
        }
    }

    /// `helm.sh/resource-policy: keep`.
    pub fn keep(&self) -> bool {
        self.body
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(RESOURCE_POLICY))
            .and_then(Value::as_str)
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("keep"))
    }

    /// Sets `labels` on the object, overwriting labels of the same key.
    pub fn set_labels(&mut self, labels: &BTreeMap<String, String>) {
        set_map_entries(&mut self.body, "labels", labels);
    }

    /// Sets `annotations` on the object, overwriting annotations of the same key.
    pub fn set_annotations(&mut self, annotations: &BTreeMap<String, String>) {
        set_map_entries(&mut self.body, "annotations", annotations);
    }
}

fn set_map_entries(body: &mut Value, field: &str, entries: &BTreeMap<String, String>) {
    if entries.is_empty() {
        return;
    }
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    let metadata = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let map = metadata
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !map.is_object() {
        *map = Value::Object(Map::new());
    }
    if let Some(map) = map.as_object_mut() {
        for (k, v) in entries {
            map.insert(k.clone(), Value::String(v.clone()));
        }
    }
}

/// Parses a release manifest into its objects, in manifest order; empty documents are skipped.
pub fn parse(manifest: &str) -> Result<Vec<ManifestObject>, ManifestError> {
    let mut out = Vec::new();
    for doc in helm_render::manifest::split_manifests(manifest) {
        let source = doc
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# Source: "))
            .unwrap_or_default()
            .trim()
            .to_owned();
        let body: Value =
            serde_norway::from_str(&doc).map_err(|source_err| ManifestError::Yaml {
                source_path: source.clone(),
                source: source_err,
            })?;
        if body.is_null() {
            continue;
        }
        let object = ManifestObject { source, body };
        if object.api_version().is_empty() || object.kind().is_empty() || object.name().is_empty() {
            return Err(ManifestError::NotAnObject {
                source_path: object.source,
            });
        }
        out.push(object);
    }
    Ok(out)
}

/// The manifest text of `objects`: `---\n# Source: <path>\n<yaml>` each, as Helm stores it.
pub fn write(objects: &[ManifestObject]) -> Result<String, ManifestError> {
    let mut out = String::new();
    for object in objects {
        let yaml =
            serde_norway::to_string(&object.body).map_err(|source| ManifestError::Write {
                object: object.key(None).to_string(),
                source,
            })?;
        out.push_str("---\n");
        if !object.source.is_empty() {
            out.push_str("# Source: ");
            out.push_str(&object.source);
            out.push('\n');
        }
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The sort key of a kind in Helm's install order: known kinds by rank, then unknown kinds
/// alphabetically.
pub fn install_key(kind: &str) -> (usize, &str) {
    let order = helm_render::manifest::INSTALL_ORDER;
    match order.iter().position(|k| *k == kind) {
        Some(rank) => (rank, ""),
        None => (order.len(), kind),
    }
}

/// Sorts objects stably in Helm's install order (unknown kinds last, by kind).
pub fn sort_for_install(objects: &mut [ManifestObject]) {
    objects.sort_by(|a, b| install_key(a.kind()).cmp(&install_key(b.kind())));
}

/// The md5 hex of a manifest (upstream's `moduleChecksum`).
pub fn checksum(manifest: &str) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(manifest.as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use super::*;

    const MANIFEST: &str = "---\n# Source: m/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\n\
        metadata:\n  name: d\n  labels:\n    heritage: legacy\n---\n# Source: m/templates/ns.yaml\n\
        apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  annotations:\n    \
        helm.sh/resource-policy: keep\n---\n# Source: m/templates/empty.yaml\n# nothing\n";

    #[test]
    fn parse_reads_objects_sources_and_keys() {
        let objects = parse(MANIFEST).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].source, "m/templates/d.yaml");
        assert_eq!(objects[0].key(Some("ns")).to_string(), "ns/Deployment/d");
        assert_eq!(objects[0].key(Some("ns")).group, "apps");
        assert!(objects[1].keep());
        assert!(!objects[0].keep());
    }

    #[test]
    fn labels_overwrite_heritage_and_survive_a_write_and_parse() {
        let mut objects = parse(MANIFEST).unwrap();
        let labels = [("heritage".to_owned(), "addon-operator".to_owned())].into();
        for o in &mut objects {
            o.set_labels(&labels);
        }
        let text = write(&objects).unwrap();
        let again = parse(&text).unwrap();
        assert_eq!(again, objects);
        assert_eq!(
            again[0].body["metadata"]["labels"]["heritage"],
            "addon-operator"
        );
        assert_eq!(
            again[1].body["metadata"]["labels"]["heritage"],
            "addon-operator"
        );
    }

    #[test]
    fn install_order_is_helms_with_unknown_kinds_last() {
        let mut objects = parse(MANIFEST).unwrap();
        objects.push(ManifestObject {
            source: String::new(),
            body: serde_json::json!({"apiVersion": "x/v1", "kind": "Alpha", "metadata": {"name": "a"}}),
        });
        sort_for_install(&mut objects);
        let kinds: Vec<_> = objects.iter().map(ManifestObject::kind).collect();
        assert_eq!(kinds, ["Namespace", "Deployment", "Alpha"]);
    }

    #[test]
    fn a_document_without_a_kind_is_an_error() {
        let err = parse("---\n# Source: m/t.yaml\nmetadata: {name: a}\n").unwrap_err();
        assert!(err.to_string().contains("m/t.yaml"), "{err}");
    }

    #[test]
    fn checksum_is_md5_hex() {
        assert_eq!(checksum(""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
