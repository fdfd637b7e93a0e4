//! The strategic merge of lists: merge by key, sets of scalars, `$patch` list items,
//! `$deleteFromPrimitiveList`, and the element order rules of `$setElementOrder`.
//!
//! Follows `mergeSlice`, `mergePatchIntoOriginal` and `normalizeElementOrder` of
//! k8s.io/apimachinery `pkg/util/strategicpatch`, including their ordering quirks (without
//! `$setElementOrder`, items new in the patch come before the server-only items).

use serde_json::Value;

use super::ListStrategy;
use super::directive::{
    PATCH, bad, bad_arg_type, go_format, no_merge_key, remove_directives, scalar_eq,
};
use super::merge::Merger;
use crate::PatchError;

/// Merges a list whose strategy is merge (`merge_key` `None` for sets of scalars).
pub(super) fn merge_list(
    merger: &mut Merger<'_>,
    original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: Option<&str>,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let of_maps = element_kind(&original, &patch)?.is_object();
    if !of_maps {
        if is_delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.iter().any(|d| scalar_eq(d, v)))
                .collect());
        }
        let mut merged = original.clone();
        for v in &patch {
            if !merged.iter().any(|m| scalar_eq(m, v)) {
                merged.push(v.clone());
            }
        }
        let (in_patch, server_only) = partition_scalars(merged, &patch);
        return Ok(normalize_order(
            in_patch,
            server_only,
            &patch,
            &original,
            None,
        ));
    }
    let Some(key) = merge_key else {
        return Err(bad("cannot merge lists without merge key for type map"));
    };
    let (original, patch) = apply_list_directives(original, patch, key)?;
    let mut merged = original.clone();
    for item in &patch {
        let value = item.get(key).ok_or_else(|| no_merge_key(item, key))?;
        match find_by_key(&merged, key, value)? {
            Some(i) => {
                let (Some(Value::Object(o)), Value::Object(p)) = (merged.get_mut(i), item) else {
                    continue;
                };
                let o = std::mem::take(o);
                let m = merger.merge_map(o, p.clone())?;
                if let Some(slot) = merged.get_mut(i) {
                    *slot = Value::Object(m);
                }
            }
            None => {
                if let Some(v) = remove_directives(item.clone()) {
                    merged.push(v);
                }
            }
        }
    }
    let (in_patch, server_only) = partition_maps(merged, &patch, key)?;
    for v in patch.iter().chain(&original) {
        v.get(key).ok_or_else(|| no_merge_key(v, key))?;
    }
    Ok(normalize_order(
        in_patch,
        server_only,
        &patch,
        &original,
        Some(key),
    ))
}

/// Merges the list `field` of a map under its `$setElementOrder` directive
/// (`mergePatchIntoOriginal`); `None` when neither the original nor the patch has the list.
pub(super) fn merge_with_order(
    merger: &mut Merger<'_>,
    field: &str,
    original: Option<Value>,
    patch: Option<Value>,
    order: Value,
) -> Result<Option<Vec<Value>>, PatchError> {
    let Value::Array(order) = order else {
        return Err(bad_arg_type("[]interface{}", &order));
    };
    let original = match original {
        None => None,
        Some(Value::Array(items)) => Some(items),
        Some(other) => return Err(bad_arg_type("[]interface{}", &other)),
    };
    let patch = match patch {
        None => None,
        Some(Value::Array(items)) => Some(items),
        Some(other) => return Err(bad_arg_type("[]interface{}", &other)),
    };
    let merge_key = match merger.strategy(field) {
        ListStrategy::MergeByKey(key) => Some(key),
        ListStrategy::Set | ListStrategy::Atomic => None,
    };
    let key = merge_key.as_deref();
    if let Some(patch) = &patch {
        validate_order(patch, &order, key)?;
    }
    let original_items = original.clone().unwrap_or_default();
    let merged = match (original, patch) {
        (None, None) => return Ok(None),
        (Some(o), None) => o,
        (None, Some(p)) => p.into_iter().filter_map(remove_directives).collect(),
        (Some(o), Some(p)) => merger.merge_list_field(field, o, p, false)?,
    };
    let (in_order, server_only) = match key {
        Some(key) if merged.iter().all(Value::is_object) => partition_maps(merged, &order, key)?,
        _ => partition_scalars(merged, &order),
    };
    Ok(Some(normalize_order(
        in_order,
        server_only,
        &order,
        &original_items,
        key,
    )))
}

/// The JSON type shared by every item of both lists (`sliceElementType`).
fn element_kind<'v>(original: &'v [Value], patch: &'v [Value]) -> Result<&'v Value, PatchError> {
    let mut items = original.iter().chain(patch);
    let Some(first) = items.next() else {
        return Err(bad("no elements in any of the given slices"));
    };
    if first.is_array() {
        return Err(bad("lists of lists are not supported"));
    }
    if items.any(|v| std::mem::discriminant(v) != std::mem::discriminant(first)) {
        return Err(bad(format!(
            "list element types are not identical: [{} {}]",
            go_format(&Value::Array(original.to_vec())),
            go_format(&Value::Array(patch.to_vec()))
        )));
    }
    Ok(first)
}

/// Handles `$patch: delete|replace` items of a keyed patch list (`mergeSliceWithSpecialElements`);
/// returns the original to merge into and the patch items without directives.
fn apply_list_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::new();
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(PATCH) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let value = item.get(key).ok_or_else(|| no_merge_key(&item, key))?;
                while let Some(i) = find_by_key(&original, key, value)? {
                    original.remove(i);
                }
            }
            Some("replace") => replace = true,
            Some("merge") => return Err(bad("merging lists cannot yet be specified in the patch")),
            _ => {
                let map = item.as_object().cloned().unwrap_or_default();
                return Err(super::directive::bad_patch_type(directive, &map));
            }
        }
    }
    if replace {
        return Ok((plain, Vec::new()));
    }
    Ok((original, plain))
}

/// The index of the first item whose `key` equals `value` (`findMapInSliceBasedOnKeyValue`).
fn find_by_key(items: &[Value], key: &str, value: &Value) -> Result<Option<usize>, PatchError> {
    for (i, item) in items.iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(bad(format!("value for key {i} is not a map.")));
        };
        if map.get(key).is_some_and(|v| scalar_eq(v, value)) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Checks the patch list's items appear in the `$setElementOrder` list in the same relative order
/// (`validatePatchWithSetOrderList`).
fn validate_order(patch: &[Value], order: &[Value], key: Option<&str>) -> Result<(), PatchError> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let kept: Vec<&Value> = match key {
        Some(_) => patch
            .iter()
            .filter(|v| v.get(PATCH).and_then(Value::as_str) != Some("delete"))
            .collect(),
        None => patch.iter().collect(),
    };
    let (mut p, mut o) = (0, 0);
    while let (Some(item), Some(ordered)) = (kept.get(p), order.get(o)) {
        if item.get(PATCH).is_some() {
            p += 1;
            continue;
        }
        if same_item(item, ordered, key)? {
            p += 1;
        }
        o += 1;
    }
    if p < kept.len() {
        return Err(bad(format!(
            "the order in patch list:\n{}\n doesn't match $setElementOrder list:\n{}",
            go_format(&Value::Array(patch.to_vec())),
            go_format(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

/// `mergeKeyValueEqual`.
fn same_item(a: &Value, b: &Value, key: Option<&str>) -> Result<bool, PatchError> {
    let Some(key) = key else {
        return Ok(scalar_eq(a, b));
    };
    let left = a.get(key).ok_or_else(|| no_merge_key(a, key))?;
    let right = b.get(key).ok_or_else(|| no_merge_key(b, key))?;
    Ok(scalar_eq(left, right))
}

/// Splits scalars into those present in `by` and the others, keeping their order.
fn partition_scalars(items: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    items
        .into_iter()
        .partition(|v| by.iter().any(|b| scalar_eq(b, v)))
}

/// Splits maps into those whose key is present in `by` and the others, keeping their order.
fn partition_maps(
    items: Vec<Value>,
    by: &[Value],
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::new();
    let mut others = Vec::new();
    for item in items {
        let value = item.get(key).ok_or_else(|| no_merge_key(&item, key))?;
        if find_by_key(by, key, value)?.is_some() {
            present.push(item);
        } else {
            others.push(item);
        }
    }
    Ok((present, others))
}

/// Position of `item` in `list`, by merge key for maps (`index`).
fn position(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = |v: &Value| match key {
        Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
        None => v.clone(),
    };
    let wanted = id(item);
    list.iter().position(|v| scalar_eq(&id(v), &wanted))
}

/// Sorts `items` by their position in `order` (`normalizeSliceOrder`); `$patch: delete` items go last.
fn sort_by_order(items: Vec<Value>, order: &[Value], key: Option<&str>) -> Vec<Value> {
    let (mut kept, deleted): (Vec<Value>, Vec<Value>) = match key {
        Some(_) => items
            .into_iter()
            .partition(|v| v.get(PATCH).and_then(Value::as_str) != Some("delete")),
        None => (items, Vec::new()),
    };
    kept.sort_by_key(|v| position(order, v, key).unwrap_or(usize::MAX));
    kept.extend(deleted);
    kept
}

/// `normalizeElementOrder`: patch items in patch order, server-only items in server order, then
/// interleaved by the server order where both are known.
fn normalize_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let right = sort_by_order(patch_items, patch_order, key);
    let left = sort_by_order(server_only, server_order, key);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                match (
                    position(server_order, l, key),
                    position(server_order, r, key),
                ) {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                }
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}
