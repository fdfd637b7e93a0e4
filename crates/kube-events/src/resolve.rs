//! Resolving a binding's `kind`/`apiVersion` to an API resource through discovery.
//!
//! Kinds are matched case-insensitively against Kind, plural, singular and short names (`DaemonSet`,
//! `daemonsets`, `ds`). Without an apiVersion the core group comes first, then every group at its preferred
//! version, in the order the API server lists them. Discovery is read afresh on each call, so a CRD installed
//! after a failed attempt is found by the next one.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIResource, APIResourceList};
use kube::Client;
use kube::core::ApiResource;

use crate::Error;

/// A resolved resource: what to build a dynamic `Api` from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedKind {
    /// Group, version, kind and plural.
    pub resource: ApiResource,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
}

/// Resolves kinds through the API server's discovery documents.
#[derive(Clone)]
pub struct KindResolver {
    client: Client,
}

impl KindResolver {
    /// A resolver using `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Finds the resource for `kind`, in `api_version` when given.
    pub async fn resolve(
        &self,
        api_version: Option<&str>,
        kind: &str,
    ) -> Result<ResolvedKind, Error> {
        let not_found = || Error::KindNotFound {
            kind: kind.to_owned(),
            api_version: api_version.unwrap_or_default().to_owned(),
        };
        match api_version.filter(|v| !v.is_empty()) {
            Some(gv) => {
                let list = self.resources_of(gv).await?;
                match list {
                    Some(list) => find_in(&list, kind).ok_or_else(not_found),
                    None => Err(not_found()),
                }
            }
            None => {
                let core = self
                    .client
                    .list_core_api_versions()
                    .await
                    .map_err(|source| Error::Discovery {
                        what: "/api".into(),
                        source,
                    })?;
                for version in &core.versions {
                    if let Some(list) = self.resources_of(version).await?
                        && let Some(found) = find_in(&list, kind)
                    {
                        return Ok(found);
                    }
                }
                let groups =
                    self.client
                        .list_api_groups()
                        .await
                        .map_err(|source| Error::Discovery {
                            what: "/apis".into(),
                            source,
                        })?;
                for group in &groups.groups {
                    let Some(preferred) = group
                        .preferred_version
                        .as_ref()
                        .or_else(|| group.versions.first())
                    else {
                        continue;
                    };
                    if let Some(list) = self.resources_of(&preferred.group_version).await?
                        && let Some(found) = find_in(&list, kind)
                    {
                        return Ok(found);
                    }
                }
                Err(not_found())
            }
        }
    }

    /// The resource list of one group version, `None` when the group version does not exist.
    async fn resources_of(&self, group_version: &str) -> Result<Option<APIResourceList>, Error> {
        let parts: Vec<&str> = group_version.split('/').collect();
        let result = match parts.as_slice() {
            [version] if !version.is_empty() => self.client.list_core_api_resources(version).await,
            [group, version] if !group.is_empty() && !version.is_empty() => {
                self.client.list_api_group_resources(group_version).await
            }
            _ => return Err(Error::InvalidApiVersion(group_version.to_owned())),
        };
        match result {
            Ok(list) => Ok(Some(list)),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
            Err(source) => Err(Error::Discovery {
                what: group_version.to_owned(),
                source,
            }),
        }
    }
}

/// The resource of `list` that `kind` names, skipping subresources.
fn find_in(list: &APIResourceList, kind: &str) -> Option<ResolvedKind> {
    let found = list
        .resources
        .iter()
        .filter(|r| !r.name.contains('/'))
        .find(|r| names_match(r, kind))?;
    let (group, version) = match list.group_version.split_once('/') {
        Some((g, v)) => (g.to_owned(), v.to_owned()),
        None => (String::new(), list.group_version.clone()),
    };
    Some(ResolvedKind {
        resource: ApiResource {
            group,
            version,
            api_version: list.group_version.clone(),
            kind: found.kind.clone(),
            plural: found.name.clone(),
        },
        namespaced: found.namespaced,
    })
}

fn names_match(r: &APIResource, kind: &str) -> bool {
    r.kind.eq_ignore_ascii_case(kind)
        || r.name.eq_ignore_ascii_case(kind)
        || r.singular_name.eq_ignore_ascii_case(kind)
        || r.short_names
            .iter()
            .flatten()
            .any(|s| s.eq_ignore_ascii_case(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> APIResourceList {
        APIResourceList {
            group_version: "apps/v1".into(),
            resources: vec![
                APIResource {
                    name: "daemonsets".into(),
                    singular_name: "daemonset".into(),
                    kind: "DaemonSet".into(),
                    namespaced: true,
                    short_names: Some(vec!["ds".into()]),
                    verbs: vec!["list".into(), "watch".into()],
                    ..APIResource::default()
                },
                APIResource {
                    name: "daemonsets/status".into(),
                    kind: "DaemonSet".into(),
                    namespaced: true,
                    ..APIResource::default()
                },
            ],
        }
    }

    #[test]
    fn kind_plural_singular_and_short_names_all_resolve_case_insensitively() {
        for name in ["DaemonSet", "daemonset", "DAEMONSETS", "ds", "Ds"] {
            let found = find_in(&list(), name);
            let found = found.map(|f| {
                (
                    f.resource.plural,
                    f.resource.group,
                    f.resource.version,
                    f.namespaced,
                )
            });
            assert_eq!(
                found,
                Some(("daemonsets".into(), "apps".into(), "v1".into(), true)),
                "{name}"
            );
        }
    }

    #[test]
    fn subresources_and_unknown_names_do_not_resolve() {
        assert!(find_in(&list(), "daemonsets/status").is_none());
        assert!(find_in(&list(), "deployment").is_none());
    }
}
