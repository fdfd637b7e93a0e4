//! Compacting stored values patches (upstream's `CompactPatches`): the last operation per path
//! wins, an operation on `P` drops the stored operations on `P/...`, and the result is sorted by
//! path so that parents are added before their children on replay.

use std::collections::BTreeMap;

use super::PatchOperation;

/// Folds `new` into the already stored `existing` operations.
pub fn compact(existing: &[PatchOperation], new: &[PatchOperation]) -> Vec<PatchOperation> {
    let mut tree: BTreeMap<String, Vec<PatchOperation>> = BTreeMap::new();
    for op in existing {
        tree.entry(op.path.clone()).or_default().push(op.clone());
    }
    for op in new {
        let prefix = format!("{}/", op.path);
        tree.retain(|path, _| !path.starts_with(&prefix));
        tree.insert(op.path.clone(), vec![op.clone()]);
    }
    // Byte order of the paths, as Go's sort.Strings.
    tree.into_values().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn add(path: &str, value: serde_json::Value) -> PatchOperation {
        PatchOperation::add(path, value)
    }

    fn remove(path: &str) -> PatchOperation {
        PatchOperation::remove(path)
    }

    #[test]
    fn remove_then_add_is_add() {
        assert_eq!(
            compact(&[remove("/test_key")], &[add("/test_key", json!("v"))]),
            vec![add("/test_key", json!("v"))]
        );
    }

    #[test]
    fn add_then_remove_is_remove() {
        assert_eq!(
            compact(&[add("/test_key", json!("v"))], &[remove("/test_key")]),
            vec![remove("/test_key")]
        );
    }

    #[test]
    fn removing_an_object_drops_the_operations_on_its_children() {
        let stored = compact(
            &[],
            &[
                add("/test_obj", json!({})),
                add("/test_obj/key1", json!("v")),
            ],
        );
        assert_eq!(
            compact(&stored, &[remove("/test_obj")]),
            vec![remove("/test_obj")]
        );
        // The same within one batch.
        assert_eq!(
            compact(
                &[],
                &[
                    add("/test_obj", json!({})),
                    add("/test_obj/key1", json!("v")),
                    remove("/test_obj"),
                ]
            ),
            vec![remove("/test_obj")]
        );
    }

    #[test]
    fn adding_a_parent_again_drops_stale_children_but_not_siblings_with_a_common_prefix() {
        let stored = compact(
            &[],
            &[
                add("/obj/settings", json!({"parent_1": {}})),
                add("/obj/settings/parent_1/field1", json!("foo")),
                add("/obj/settings2", json!(1)),
            ],
        );
        assert_eq!(
            compact(&stored, &[add("/obj/settings", json!({}))]),
            vec![
                add("/obj/settings", json!({})),
                add("/obj/settings2", json!(1))
            ]
        );
    }

    #[test]
    fn the_result_is_sorted_by_path() {
        assert_eq!(
            compact(
                &[add("/m/b", json!(1))],
                &[add("/m/a/x", json!(2)), add("/m/a", json!({}))]
            ),
            vec![add("/m/a", json!({})), add("/m/b", json!(1))]
        );
        assert_eq!(
            compact(&[], &[add("/m/b", json!(1)), add("/m/a", json!(2))]),
            vec![add("/m/a", json!(2)), add("/m/b", json!(1))]
        );
    }
}
