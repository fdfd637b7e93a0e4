//! A stored object: its serialized JSON, parsed again on read, and the few fields the server
//! looks at without parsing it (selectors, garbage collection, optimistic concurrency).

use bytes::Bytes;
use serde_json::Value;

use crate::selectors::{FieldSelector, LabelSelector};

/// One object as the store keeps it. Watch events, list and get responses are written from
/// [`Stored::json`] directly; writes parse it with [`Stored::value`].
#[derive(Debug)]
pub struct Stored {
    json: Bytes,
    api_version: Box<str>,
    kind: Box<str>,
    uid: Box<str>,
    resource_version: u64,
    labels: Box<[(Box<str>, Box<str>)]>,
    owners: Box<[Box<str>]>,
    finalizers: Box<[Box<str>]>,
    deleting: bool,
}

fn boxed(v: &Value) -> Box<str> {
    v.as_str().unwrap_or_default().into()
}

impl Stored {
    /// Serializes `obj` and indexes its metadata.
    pub fn new(obj: &Value) -> Self {
        // Serializing a `Value` into a `Vec` cannot fail.
        let mut json = serde_json::to_vec(obj).unwrap_or_default();
        // A `Vec` whose length is its capacity becomes `Bytes` without another allocation.
        json.shrink_to_fit();
        let meta = &obj["metadata"];
        let labels = meta["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str().into(), v.as_str()?.into())))
                    .collect()
            })
            .unwrap_or_default();
        let strings = |field: &str, pick: fn(&Value) -> Option<&str>| -> Box<[Box<str>]> {
            meta[field]
                .as_array()
                .map(|a| a.iter().filter_map(pick).map(Box::from).collect())
                .unwrap_or_default()
        };
        Self {
            json: Bytes::from(json),
            api_version: boxed(&obj["apiVersion"]),
            kind: boxed(&obj["kind"]),
            uid: boxed(&meta["uid"]),
            resource_version: meta["resourceVersion"]
                .as_str()
                .and_then(|rv| rv.parse().ok())
                .unwrap_or_default(),
            labels,
            owners: strings("ownerReferences", |r| r["uid"].as_str()),
            finalizers: strings("finalizers", Value::as_str),
            deleting: !meta["deletionTimestamp"].is_null(),
        }
    }

    /// The object as JSON.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// The object parsed.
    pub fn value(&self) -> Value {
        // The bytes were serialized from a `Value` by `new`, so they parse.
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// `metadata.resourceVersion`.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// One label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// The uids in `metadata.ownerReferences`.
    pub fn owners(&self) -> &[Box<str>] {
        &self.owners
    }

    /// `metadata.finalizers`.
    pub fn finalizers(&self) -> &[Box<str>] {
        &self.finalizers
    }

    /// Whether `metadata.deletionTimestamp` is set.
    pub fn deleting(&self) -> bool {
        self.deleting
    }

    /// Whether the object, stored under `namespace`/`name`, is selected by both selectors;
    /// parsed only for field selectors on fields other than the name and namespace.
    pub fn matches(
        &self,
        namespace: &str,
        name: &str,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> bool {
        if !labels.matches_with(|k| self.label(k)) {
            return false;
        }
        match fields.matches_name(namespace, name) {
            Some(selected) => selected,
            None => fields.matches(&self.value()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "a", "namespace": "ns", "uid": "u-1", "resourceVersion": "42",
                "labels": { "app": "web" },
                "finalizers": ["x/y"],
                "ownerReferences": [{ "uid": "owner-1" }],
                "deletionTimestamp": "2026-01-01T00:00:00Z",
            },
            "data": { "k": "v" },
        })
    }

    #[test]
    fn the_index_reads_metadata_without_parsing_again() {
        let s = Stored::new(&sample());
        assert_eq!(s.api_version(), "v1");
        assert_eq!(s.kind(), "ConfigMap");
        assert_eq!(s.uid(), "u-1");
        assert_eq!(s.resource_version(), 42);
        assert_eq!(s.label("app"), Some("web"));
        assert_eq!(s.label("missing"), None);
        assert_eq!(&*s.owners()[0], "owner-1");
        assert_eq!(&*s.finalizers()[0], "x/y");
        assert!(s.deleting());
    }

    #[test]
    fn stored_bytes_parse_back_to_the_same_object_in_the_same_order() {
        let obj = sample();
        let s = Stored::new(&obj);
        assert_eq!(s.value(), obj);
        assert_eq!(s.json().as_ref(), serde_json::to_vec(&obj).unwrap());
    }

    #[test]
    fn selectors_match_from_the_index_and_parse_for_other_fields() {
        let s = Stored::new(&sample());
        let l = |t: &str| LabelSelector::parse(t).unwrap();
        let f = |t: &str| FieldSelector::parse(t).unwrap();
        assert!(s.matches("ns", "a", &l("app=web"), &f("metadata.name=a")));
        assert!(!s.matches("ns", "a", &l("app=db"), &f("")));
        assert!(!s.matches("ns", "a", &l(""), &f("metadata.namespace=other")));
        assert!(s.matches("ns", "a", &l(""), &f("data.k=v")));
        assert!(!s.matches("ns", "a", &l(""), &f("data.k!=v")));
    }
}
