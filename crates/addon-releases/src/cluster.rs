//! Manifest objects against the cluster: kinds resolved through discovery (cached per
//! group/version/kind), server-side apply with Helm's field manager, existence checks, deletes.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiResource, Scope};

use crate::objects::{ManifestObject, ObjectKey};

/// The field manager Helm's server-side apply uses.
pub const FIELD_MANAGER: &str = "helm";

/// A resolved object: where it lives and how to reach it.
#[derive(Clone)]
pub struct Target {
    /// Key with the effective namespace.
    pub key: ObjectKey,
    api: Api<DynamicObject>,
}

/// Talks to the cluster for the releases of one namespace.
pub struct Cluster {
    client: kube::Client,
    namespace: String,
    kinds: Mutex<HashMap<(String, String), (ApiResource, bool)>>,
}

impl Cluster {
    /// A client for releases in `namespace`.
    pub fn new(client: kube::Client, namespace: &str) -> Cluster {
        Cluster {
            client,
            namespace: namespace.to_owned(),
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// The API resource of the object's kind (discovery on first use), and the object's key
    /// with its effective namespace: a namespaced object without one goes to the release
    /// namespace, a cluster-scoped one has none.
    pub async fn resolve(&self, object: &ManifestObject) -> Result<Target, kube::Error> {
        let cache_key = (object.api_version().to_owned(), object.kind().to_owned());
        let cached = self
            .kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&cache_key)
            .cloned();
        let (resource, namespaced) = match cached {
            Some(found) => found,
            None => {
                let (group, version) = match object.api_version().rsplit_once('/') {
                    Some((g, v)) => (g, v),
                    None => ("", object.api_version()),
                };
                let gvk = GroupVersionKind::gvk(group, version, object.kind());
                let (resource, caps) = kube::discovery::pinned_kind(&self.client, &gvk).await?;
                let found = (resource, caps.scope == Scope::Namespaced);
                self.kinds
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(cache_key, found.clone());
                found
            }
        };
        let mut key = object.key(namespaced.then_some(self.namespace.as_str()));
        if !namespaced {
            key.namespace.clear();
        }
        let api = if namespaced {
            Api::namespaced_with(self.client.clone(), &key.namespace, &resource)
        } else {
            Api::all_with(self.client.clone(), &resource)
        };
        Ok(Target { key, api })
    }

    /// Server-side apply of `object` (field manager `helm`, forced: existing objects are
    /// adopted, as Helm's `TakeOwnership`).
    pub async fn apply(&self, target: &Target, object: &ManifestObject) -> Result<(), kube::Error> {
        let mut body = object.body.clone();
        if target.key.namespace.is_empty() {
            // A cluster-scoped object: a namespace in the chart would not match the request.
            if let Some(meta) = body.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                meta.remove("namespace");
            }
        } else {
            body["metadata"]["namespace"] = target.key.namespace.clone().into();
        }
        let params = PatchParams::apply(FIELD_MANAGER).force();
        target
            .api
            .patch(&target.key.name, &params, &Patch::Apply(body))
            .await?;
        Ok(())
    }

    /// Whether the object exists.
    pub async fn exists(&self, target: &Target) -> Result<bool, kube::Error> {
        Ok(target
            .api
            .get_metadata_opt(&target.key.name)
            .await?
            .is_some())
    }

    /// Deletes the object (background propagation); a missing one is not an error.
    pub async fn delete(&self, target: &Target) -> Result<(), kube::Error> {
        match target
            .api
            .delete(&target.key.name, &DeleteParams::background())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }
}
