//! What server-side apply needs to know of a type's shape: how each list identifies its items and
//! which maps are atomic, from the type's [`PatchMeta`] (custom resources without one: every list
//! is atomic, every map granular).

use serde_json::Value;

use super::path::PathElement;
use crate::{ListStrategy, PatchMeta};

/// How the items of a list are identified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ListKind {
    /// The list is one value, owned and replaced as a whole.
    Atomic,
    /// An associative list: items identified by these keys (with defaults for omitted keys).
    Keyed(Vec<(String, Option<Value>)>),
    /// A set of scalars: items identified by their value.
    Set,
}

/// The schema knowledge of one object type.
#[derive(Clone, Copy)]
pub(crate) struct Shape<'m> {
    meta: Option<&'m dyn PatchMeta>,
}

impl<'m> Shape<'m> {
    pub(crate) fn new(meta: Option<&'m dyn PatchMeta>) -> Shape<'m> {
        Shape { meta }
    }

    pub(crate) fn list_kind(&self, path: &[&str]) -> ListKind {
        let Some(meta) = self.meta else {
            return ListKind::Atomic;
        };
        match meta.list_strategy(path) {
            ListStrategy::Atomic => ListKind::Atomic,
            ListStrategy::Set => ListKind::Set,
            ListStrategy::MergeByKey(key) => {
                let keys = meta.list_map_keys(path);
                if keys.is_empty() {
                    ListKind::Keyed(vec![(key, None)])
                } else {
                    ListKind::Keyed(keys)
                }
            }
        }
    }

    pub(crate) fn map_is_atomic(&self, path: &[&str]) -> bool {
        self.meta.is_some_and(|m| m.map_is_atomic(path))
    }
}

/// The path element of a granular list's item; `Err` with the real server's wording when the item
/// cannot be identified.
pub(crate) fn item_element(kind: &ListKind, item: &Value) -> Result<PathElement, String> {
    match kind {
        ListKind::Set => match item {
            Value::Object(_) | Value::Array(_) => {
                Err("expected a scalar in a set, got a compound value".into())
            }
            v => Ok(PathElement::Value(v.clone())),
        },
        ListKind::Keyed(keys) => {
            let Value::Object(map) = item else {
                return Err("associative list with keys has an element that is not a map".into());
            };
            let mut fields = Vec::with_capacity(keys.len());
            for (name, default) in keys {
                match map.get(name).filter(|v| !v.is_null()).or(default.as_ref()) {
                    Some(v) => fields.push((name.clone(), v.clone())),
                    None => {
                        return Err(format!(
                            "associative list with keys has an element that omits key field {name:?} (and doesn't have default value)"
                        ));
                    }
                }
            }
            Ok(PathElement::key(fields))
        }
        ListKind::Atomic => Err("atomic lists have no item identity".into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin_patch_meta;

    #[test]
    fn ports_items_use_the_protocol_default_when_it_is_omitted() {
        let shape = Shape::new(builtin_patch_meta("", "Pod"));
        let kind = shape.list_kind(&["spec", "containers", "ports"]);
        let pe = item_element(&kind, &json!({"containerPort": 80}));
        assert_eq!(
            pe.map(|p| p.encode()),
            Ok(r#"k:{"containerPort":80,"protocol":"TCP"}"#.into())
        );
    }

    #[test]
    fn an_item_without_its_key_cannot_be_identified() {
        let shape = Shape::new(builtin_patch_meta("", "Pod"));
        let kind = shape.list_kind(&["spec", "containers"]);
        let err = item_element(&kind, &json!({"image": "x"}));
        assert_eq!(
            err,
            Err(r#"associative list with keys has an element that omits key field "name" (and doesn't have default value)"#.into())
        );
    }

    #[test]
    fn custom_resources_without_meta_have_atomic_lists() {
        let shape = Shape::new(None);
        assert_eq!(shape.list_kind(&["spec", "items"]), ListKind::Atomic);
        assert!(!shape.map_is_atomic(&["spec"]));
    }
}
