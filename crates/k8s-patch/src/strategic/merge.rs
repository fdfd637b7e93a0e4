//! The strategic merge of maps: `null` deletes, `$patch`, `$retainKeys`, `$setElementOrder` and
//! `$deleteFromPrimitiveList` handling, recursion into lists through [`super::list`].
//!
//! Follows `mergeMap` of k8s.io/apimachinery `pkg/util/strategicpatch` with the options the API
//! server uses (`MergeParallelList` and `IgnoreUnmatchedNulls`).

use serde_json::{Map, Value};

use super::directive::{
    DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER, bad, bad_patch_type,
    clean_map, directive_field, remove_directives,
};
use super::{ListStrategy, PatchMeta, list};
use crate::PatchError;

/// Applies a strategic merge patch to `original`.
///
/// Supports `$patch: delete|replace|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
/// `$setElementOrder/<field>`, and `null` deleting a key. Lists merge as `meta` says for their path.
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    meta: &dyn PatchMeta,
) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(bad("invalid JSON document"));
    };
    let original = match original {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let mut merger = Merger {
        meta,
        path: Vec::new(),
    };
    merger.merge_map(original, patch.clone()).map(Value::Object)
}

/// The merge state: the type's merge knowledge and the field path of the map being merged.
pub(super) struct Merger<'m> {
    meta: &'m dyn PatchMeta,
    path: Vec<String>,
}

impl Merger<'_> {
    /// The list strategy of field `key` of the map being merged.
    pub(super) fn strategy(&self, key: &str) -> ListStrategy {
        let mut path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        path.push(key);
        self.meta.list_strategy(&path)
    }

    /// Runs `f` with `key` pushed on the field path.
    pub(super) fn within<T>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(key.to_owned());
        let out = f(self);
        self.path.pop();
        out
    }

    pub(super) fn merge_map(
        &mut self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(PATCH) {
            return match directive.as_str() {
                Some("replace") => {
                    patch.remove(PATCH);
                    Ok(clean_map(patch))
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(bad_patch_type(directive, &patch)),
            };
        }
        retain_keys(&mut original, &mut patch)?;
        self.set_element_orders(&mut original, &mut patch)?;

        for (key, patch_value) in patch {
            let (field, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
                (
                    directive_field(&key, DELETE_FROM_PRIMITIVE_LIST)?.to_owned(),
                    true,
                )
            } else if key.starts_with('$') {
                // Unknown directives are not fields of any built-in type: the real server's typed
                // decoding drops them.
                continue;
            } else {
                (key, false)
            };
            if patch_value.is_null() {
                original.remove(&field);
                continue;
            }
            let Some(original_value) = original.get_mut(&field) else {
                if !is_delete_list && let Some(v) = remove_directives(patch_value) {
                    original.insert(field, v);
                }
                continue;
            };
            match (original_value, patch_value) {
                (Value::Object(o), Value::Object(p)) => {
                    let o = std::mem::take(o);
                    let merged = self.within(&field, |m| m.merge_map(o, p))?;
                    original.insert(field, Value::Object(merged));
                }
                (Value::Array(o), Value::Array(p)) => {
                    let o = std::mem::take(o);
                    let merged = self.merge_list_field(&field, o, p, is_delete_list)?;
                    original.insert(field, Value::Array(merged));
                }
                (o, p) if std::mem::discriminant(o) != std::mem::discriminant(&p) => {
                    if !is_delete_list {
                        match remove_directives(p) {
                            Some(v) => *o = v,
                            None => {
                                original.remove(&field);
                            }
                        }
                    }
                }
                (o, p) => *o = p,
            }
        }
        Ok(original)
    }

    /// Merges the list in field `field` as its strategy says (`mergeSliceHandler`).
    pub(super) fn merge_list_field(
        &mut self,
        field: &str,
        original: Vec<Value>,
        patch: Vec<Value>,
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        let merge_key = match self.strategy(field) {
            ListStrategy::Atomic => {
                return Ok(patch.into_iter().filter_map(remove_directives).collect());
            }
            ListStrategy::MergeByKey(key) => Some(key),
            ListStrategy::Set => None,
        };
        self.within(field, |m| {
            list::merge_list(m, original, patch, merge_key.as_deref(), is_delete_list)
        })
    }

    /// Processes every `$setElementOrder/<field>` of `patch` together with the field's patch list
    /// (`mergePatchIntoOriginal`), removing both from `patch`.
    fn set_element_orders(
        &mut self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
    ) -> Result<(), PatchError> {
        let keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for key in keys {
            let Some(order) = patch.remove(&key) else {
                continue;
            };
            let field = directive_field(&key, SET_ELEMENT_ORDER)?.to_owned();
            let patch_list = patch.remove(&field);
            let original_list = original.remove(&field);
            if let Some(merged) =
                list::merge_with_order(self, &field, original_list, patch_list, order)?
            {
                original.insert(field, Value::Array(merged));
            }
        }
        Ok(())
    }
}

/// `$retainKeys`: clears the keys of `original` not in the list, after checking the patch only sets
/// listed keys.
fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(bad("invalid patch format of retainKeys"));
    };
    let listed = |k: &str| retain.iter().any(|v| v.as_str() == Some(k));
    let unlisted = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !k.starts_with(SET_ELEMENT_ORDER)
            && !listed(k)
    });
    if unlisted {
        return Err(bad("invalid patch format of retainKeys"));
    }
    original.retain(|k, _| listed(k));
    Ok(())
}
