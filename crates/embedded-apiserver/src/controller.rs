//! Background controllers: owner-reference garbage collection, namespace and CRD cleanup.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::api::commit::WriteCtx;
use crate::api::params::{DeleteOptions, Propagation};
use crate::api::write::{FOREGROUND, ORPHAN, delete_object};
use crate::crds::{self, CLEANUP_FINALIZER};
use crate::objects::{finalizers, now, set_finalizers};
use crate::resources::StorageKey;
use crate::store::{Store, Stored, Txn};

/// Upper bound of sweeps per wake-up, so a bug cannot spin forever.
const MAX_SWEEPS: usize = 64;

/// Runs until `shutdown`, sweeping whenever a write asks for it.
pub(crate) async fn run(store: Arc<Store>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = store.controller_wakeup.notified() => {}
        }
        for _ in 0..MAX_SWEEPS {
            if !store.write(sweep) {
                break;
            }
        }
    }
}

/// One object in the store.
struct Entry {
    key: StorageKey,
    namespace: String,
    name: String,
    obj: Arc<Stored>,
}

fn entries(txn: &Txn<'_>) -> Vec<Entry> {
    txn.state()
        .tables
        .iter()
        .flat_map(|(key, table)| {
            table.iter().map(move |((ns, name), obj)| Entry {
                key: key.clone(),
                namespace: ns.clone(),
                name: name.clone(),
                obj: obj.clone(),
            })
        })
        .collect()
}

fn delete(txn: &mut Txn<'_>, e: &Entry, propagation: Propagation) -> bool {
    let Some(rt) = txn.state().registry.storage_type(&e.key) else {
        // No longer served (its CRD is gone): drop it directly.
        return txn.remove(&e.key, &e.namespace, &e.name).is_some();
    };
    let ctx = WriteCtx {
        rt,
        namespace: e.namespace.clone(),
        dry_run: false,
        manager: "generic-garbage-collector".to_owned(),
        now: now(),
        fields: crate::api::commit::FieldOwnership::RecordUpdate,
    };
    let opts = DeleteOptions {
        propagation,
        ..DeleteOptions::default()
    };
    let before = txn.next_rv();
    delete_object(txn, &ctx, &e.name, &opts).is_ok() && txn.next_rv() != before
}

fn remove_finalizer(txn: &mut Txn<'_>, e: &Entry, finalizer: &str) {
    let mut obj = e.obj.value();
    let list: Vec<String> = finalizers(&obj)
        .into_iter()
        .filter(|f| f != finalizer)
        .collect();
    set_finalizers(&mut obj, &list);
    txn.put(&e.key, &e.namespace, &e.name, obj);
}

fn drop_owner(txn: &mut Txn<'_>, e: &Entry, uid: &str) {
    let mut obj = e.obj.value();
    if let Some(refs) = obj
        .get_mut("metadata")
        .and_then(|m| m.get_mut("ownerReferences"))
        .and_then(Value::as_array_mut)
    {
        refs.retain(|r| r["uid"].as_str() != Some(uid));
        if refs.is_empty()
            && let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.remove("ownerReferences");
        }
    }
    txn.put(&e.key, &e.namespace, &e.name, obj);
}

fn deleting(obj: &Stored) -> bool {
    obj.deleting()
}

fn is_owned_by(obj: &Stored, uid: &str) -> bool {
    obj.owners().iter().any(|o| &**o == uid)
}

fn has_finalizer(obj: &Stored, finalizer: &str) -> bool {
    obj.finalizers().iter().any(|f| &**f == finalizer)
}

fn is_namespace(key: &StorageKey) -> bool {
    key.group.is_empty() && key.plural == "namespaces"
}

/// One pass over the store; returns whether anything changed.
pub(crate) fn sweep(txn: &mut Txn<'_>) -> bool {
    let all = entries(txn);
    let live: HashSet<&str> = all.iter().map(|e| e.obj.uid()).collect();
    let mut changed = false;
    for e in all.iter().filter(|e| deleting(&e.obj)) {
        let uid = e.obj.uid();
        let dependents: Vec<&Entry> = all.iter().filter(|d| is_owned_by(&d.obj, uid)).collect();
        if has_finalizer(&e.obj, ORPHAN) {
            for d in &dependents {
                drop_owner(txn, d, uid);
            }
            remove_finalizer(txn, e, ORPHAN);
            return true;
        }
        if has_finalizer(&e.obj, FOREGROUND) {
            if dependents.is_empty() {
                remove_finalizer(txn, e, FOREGROUND);
                return true;
            }
            for d in dependents.iter().filter(|d| !deleting(&d.obj)) {
                changed |= delete(txn, d, Propagation::Foreground);
            }
        }
        if is_namespace(&e.key) {
            let contents: Vec<&Entry> = all
                .iter()
                .filter(|o| o.namespace == e.name && !is_namespace(&o.key))
                .collect();
            if contents.is_empty() {
                let mut ns = e.obj.value();
                crate::objects::set_path(&mut ns, ".spec.finalizers", Value::Array(Vec::new()));
                txn.put(&e.key, &e.namespace, &e.name, ns);
                return true;
            }
            for o in contents.iter().filter(|o| !deleting(&o.obj)) {
                changed |= delete(txn, o, Propagation::Background);
            }
        }
        if crds::is_crd(&e.key) && has_finalizer(&e.obj, CLEANUP_FINALIZER) {
            let storage = crds::storage_of(&e.obj.value());
            let objects: Vec<&Entry> = all.iter().filter(|o| o.key == storage).collect();
            if objects.is_empty() {
                remove_finalizer(txn, e, CLEANUP_FINALIZER);
                return true;
            }
            for o in objects.iter().filter(|o| !deleting(&o.obj)) {
                changed |= delete(txn, o, Propagation::Background);
            }
        }
    }
    for e in &all {
        let owners = e.obj.owners();
        if !owners.is_empty() && !deleting(&e.obj) && owners.iter().all(|u| !live.contains(&**u)) {
            changed |= delete(txn, e, Propagation::Background);
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::commit;
    use crate::resources::Registry;
    use serde_json::json;

    fn ctx(plural: &str, group: &str, ns: &str) -> WriteCtx {
        let registry = Registry::builtin();
        let version = "v1";
        WriteCtx {
            rt: registry.get(group, version, plural).unwrap(),
            namespace: ns.to_owned(),
            dry_run: false,
            manager: "test".into(),
            now: now(),
            fields: crate::api::commit::FieldOwnership::RecordUpdate,
        }
    }

    fn settle(store: &Store) {
        for _ in 0..MAX_SWEEPS {
            if !store.write(sweep) {
                return;
            }
        }
        panic!("controller did not settle");
    }

    fn seeded() -> Store {
        let store = Store::new(1000);
        store.write(|t| {
            commit::create(
                t,
                &ctx("namespaces", "", ""),
                json!({ "metadata": { "name": "ns" } }),
            )
            .unwrap();
        });
        store
    }

    fn owned_by(owner: &Value, name: &str) -> Value {
        json!({ "metadata": { "name": name, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
        }] } })
    }

    fn exists(store: &Store, name: &str) -> bool {
        store.read(|s| {
            s.get(&StorageKey::new("", "configmaps"), "ns", name)
                .is_some()
        })
    }

    #[test]
    fn background_deletion_collects_dependents() {
        let store = seeded();
        let cm = ctx("configmaps", "", "ns");
        let owner = store
            .write(|t| commit::create(t, &cm, json!({ "metadata": { "name": "owner" } })).unwrap());
        store.write(|t| commit::create(t, &cm, owned_by(&owner, "child")).unwrap());
        store.write(|t| {
            delete_object(t, &cm, "owner", &DeleteOptions::default())
                .map(|_| ())
                .unwrap()
        });
        settle(&store);
        assert!(!exists(&store, "owner"));
        assert!(!exists(&store, "child"));
    }

    #[test]
    fn orphan_deletion_keeps_dependents_without_the_owner_reference() {
        let store = seeded();
        let cm = ctx("configmaps", "", "ns");
        let owner = store
            .write(|t| commit::create(t, &cm, json!({ "metadata": { "name": "owner" } })).unwrap());
        store.write(|t| commit::create(t, &cm, owned_by(&owner, "child")).unwrap());
        let opts = DeleteOptions {
            propagation: Propagation::Orphan,
            ..DeleteOptions::default()
        };
        store.write(|t| delete_object(t, &cm, "owner", &opts).map(|_| ()).unwrap());
        settle(&store);
        assert!(!exists(&store, "owner"));
        assert!(exists(&store, "child"));
        let child = store
            .read(|s| s.get(&StorageKey::new("", "configmaps"), "ns", "child"))
            .unwrap();
        assert!(child["metadata"].get("ownerReferences").is_none());
    }

    #[test]
    fn foreground_deletion_removes_dependents_before_the_owner() {
        let store = seeded();
        let cm = ctx("configmaps", "", "ns");
        let owner = store
            .write(|t| commit::create(t, &cm, json!({ "metadata": { "name": "owner" } })).unwrap());
        let mut child = owned_by(&owner, "child");
        child["metadata"]["finalizers"] = json!(["example.com/hold"]);
        store.write(|t| commit::create(t, &cm, child).unwrap());
        let opts = DeleteOptions {
            propagation: Propagation::Foreground,
            ..DeleteOptions::default()
        };
        store.write(|t| delete_object(t, &cm, "owner", &opts).map(|_| ()).unwrap());
        settle(&store);
        assert!(exists(&store, "owner"), "owner waits for the dependent");
        let held = store
            .read(|s| s.get(&StorageKey::new("", "configmaps"), "ns", "child"))
            .unwrap();
        assert!(!held["metadata"]["deletionTimestamp"].is_null());
        let mut released = (*held).clone();
        set_finalizers(&mut released, &[]);
        store.write(|t| {
            let old = t
                .get(&StorageKey::new("", "configmaps"), "ns", "child")
                .unwrap();
            commit::update(t, &cm, &old, released, commit::Part::Main).unwrap();
        });
        settle(&store);
        assert!(!exists(&store, "child"));
        assert!(!exists(&store, "owner"));
    }

    #[test]
    fn namespace_deletion_empties_then_removes_the_namespace() {
        let store = seeded();
        let cm = ctx("configmaps", "", "ns");
        store.write(|t| commit::create(t, &cm, json!({ "metadata": { "name": "a" } })).unwrap());
        let nsctx = ctx("namespaces", "", "");
        store.write(|t| {
            delete_object(t, &nsctx, "ns", &DeleteOptions::default())
                .map(|_| ())
                .unwrap()
        });
        settle(&store);
        assert!(!exists(&store, "a"));
        assert!(store.read(|s| {
            s.get(&StorageKey::new("", "namespaces"), "", "ns")
                .is_none()
        }));
    }
}
