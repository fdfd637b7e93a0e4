//! A CRD schema as server-side apply merge knowledge: `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys` (with their defaults) and `x-kubernetes-map-type`.
//!
//! Only for server-side apply: custom resources still refuse strategic merge patch.

use k8s_patch::{ListStrategy, PatchMeta};
use serde_json::Value;

use crate::Schema;
use crate::schema::{ListType, Node};

impl Schema {
    /// The node at a field path whose list items are skipped (`["spec", "ports", "name"]`).
    fn node_at(&self, path: &[&str]) -> Option<&Node> {
        let mut node = &self.root;
        for name in path {
            if let Some(items) = node.items.as_deref() {
                node = items;
            }
            node = node.entry(name)?;
        }
        Some(node)
    }
}

impl PatchMeta for Schema {
    fn list_strategy(&self, path: &[&str]) -> ListStrategy {
        match self.node_at(path).map(|n| &n.list_type) {
            Some(ListType::Map(keys)) => match keys.first() {
                Some(key) => ListStrategy::MergeByKey(key.clone()),
                None => ListStrategy::Atomic,
            },
            Some(ListType::Set) => ListStrategy::Set,
            Some(ListType::Atomic) | None => ListStrategy::Atomic,
        }
    }

    fn list_map_keys(&self, path: &[&str]) -> Vec<(String, Option<Value>)> {
        let Some(node) = self.node_at(path) else {
            return Vec::new();
        };
        let ListType::Map(keys) = &node.list_type else {
            return Vec::new();
        };
        keys.iter()
            .map(|k| {
                let default = node
                    .items
                    .as_deref()
                    .and_then(|items| items.property(k))
                    .and_then(|p| p.default.clone());
                (k.clone(), default)
            })
            .collect()
    }

    fn map_is_atomic(&self, path: &[&str]) -> bool {
        self.node_at(path).is_some_and(|n| n.map_atomic)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Schema {
        let s = Schema::from_value(
            &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["port", "protocol"],
                    "items": {"type": "object", "properties": {
                        "port": {"type": "integer"},
                        "protocol": {"type": "string", "default": "TCP"},
                        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
                    }}},
                "args": {"type": "array", "items": {"type": "string"}},
                "selector": {"type": "object", "x-kubernetes-map-type": "atomic"}
            }}}}),
        );
        match s {
            Ok(s) => s,
            Err(e) => unreachable!("{e}"),
        }
    }

    #[test]
    fn list_types_become_merge_strategies() {
        let s = schema();
        assert_eq!(
            s.list_strategy(&["spec", "ports"]),
            ListStrategy::MergeByKey("port".into())
        );
        assert_eq!(
            s.list_strategy(&["spec", "ports", "tags"]),
            ListStrategy::Set
        );
        assert_eq!(s.list_strategy(&["spec", "args"]), ListStrategy::Atomic);
        assert_eq!(s.list_strategy(&["spec", "nothing"]), ListStrategy::Atomic);
    }

    #[test]
    fn list_map_keys_carry_their_defaults() {
        assert_eq!(
            schema().list_map_keys(&["spec", "ports"]),
            vec![
                ("port".to_owned(), None),
                ("protocol".to_owned(), Some(json!("TCP")))
            ]
        );
    }

    #[test]
    fn two_appliers_of_a_custom_resource_share_a_keyed_list() {
        let s = schema();
        let apply = |live: Option<&Value>, port: u16, manager: &str| {
            let applied = json!({"apiVersion": "example.com/v1", "kind": "Thing",
                "metadata": {"name": "t"}, "spec": {"ports": [{"port": port}]}});
            k8s_patch::server_side_apply(&k8s_patch::ApplyRequest {
                live,
                applied: &applied,
                manager,
                force: false,
                api_version: "example.com/v1",
                now: "2024-01-01T00:00:00Z",
                meta: Some(&s),
            })
        };
        let Ok(first) = apply(None, 80, "a") else {
            unreachable!("first apply")
        };
        let Ok(both) = apply(Some(&first), 443, "b") else {
            unreachable!("second apply")
        };
        assert_eq!(both["spec"]["ports"], json!([{"port": 80}, {"port": 443}]));
        assert_eq!(
            both["metadata"]["managedFields"][1]["fieldsV1"],
            json!({"f:spec": {"f:ports": {"k:{\"port\":443,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}})
        );
    }

    #[test]
    fn atomic_maps_are_reported() {
        assert!(schema().map_is_atomic(&["spec", "selector"]));
        assert!(!schema().map_is_atomic(&["spec"]));
    }
}
