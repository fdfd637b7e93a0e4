//! Helm's Secrets storage driver (`pkg/storage/driver/secrets.go`): one Secret
//! `sh.helm.release.v1.<name>.v<N>` of type `helm.sh/release.v1` per revision, labelled `name`,
//! `owner=helm`, `status`, `version` and `modifiedAt` plus the release labels, its `release` key
//! holding base64(gzip(JSON)).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use base64::Engine as _;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, PostParams};

use crate::error::{DecodeError, ReleaseError};
use crate::release::Release;

/// The Secret type Helm stores releases under.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// The Secret data key.
const DATA_KEY: &str = "release";
/// The owner label's value.
const OWNER: &str = "helm";
/// Labels the driver sets itself; the rest of a Secret's labels are release labels.
const SYSTEM_LABELS: &[&str] = &[
    "name",
    "owner",
    "status",
    "version",
    "createdAt",
    "modifiedAt",
];

/// `sh.helm.release.v1.<name>.v<version>`.
pub fn secret_name(release: &str, version: u64) -> String {
    format!("sh.helm.release.v1.{release}.v{version}")
}

/// base64(gzip(JSON)), as Helm's `encodeRelease`.
pub fn encode(release: &Release) -> Result<Vec<u8>, DecodeError> {
    let json = serde_json::to_vec(release.json()).map_err(DecodeError::Json)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json).map_err(DecodeError::Gzip)?;
    let zipped = gz.finish().map_err(DecodeError::Gzip)?;
    Ok(base64::engine::general_purpose::STANDARD
        .encode(zipped)
        .into_bytes())
}

/// Helm's `decodeRelease`: base64, then gunzip when the gzip magic is there, then JSON.
pub fn decode(data: &[u8]) -> Result<serde_json::Value, DecodeError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim_ascii())
        .map_err(DecodeError::Base64)?;
    let json = if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(DecodeError::Gzip)?;
        out
    } else {
        bytes
    };
    serde_json::from_slice(&json).map_err(DecodeError::Json)
}

/// The Secret storing `release`.
pub fn to_secret(release: &Release) -> Result<Secret, DecodeError> {
    let mut labels = release.labels.clone();
    labels.insert("name".into(), release.name().to_owned());
    labels.insert("owner".into(), OWNER.into());
    labels.insert("status".into(), release.status().as_str().to_owned());
    labels.insert("version".into(), release.version().to_string());
    labels.insert(
        "modifiedAt".into(),
        chrono::Utc::now().timestamp().to_string(),
    );
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(release.name(), release.version())),
            labels: Some(labels),
            resource_version: release.resource_version.clone(),
            ..ObjectMeta::default()
        },
        type_: Some(SECRET_TYPE.into()),
        data: Some([(DATA_KEY.to_owned(), ByteString(encode(release)?))].into()),
        ..Secret::default()
    })
}

/// The release a Secret stores.
pub fn from_secret(secret: &Secret) -> Result<Release, DecodeError> {
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get(DATA_KEY))
        .ok_or(DecodeError::NoData)?;
    let labels: BTreeMap<String, String> = secret
        .metadata
        .labels
        .iter()
        .flatten()
        .filter(|(k, _)| !SYSTEM_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut release = Release::from_json(decode(&data.0)?, labels);
    release.resource_version = secret.metadata.resource_version.clone();
    Ok(release)
}

/// The release Secrets of one namespace.
#[derive(Clone)]
pub struct SecretStore {
    api: Api<Secret>,
    namespace: String,
}

impl SecretStore {
    /// The store in `namespace`.
    pub fn new(client: kube::Client, namespace: &str) -> SecretStore {
        SecretStore {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_owned(),
        }
    }

    /// Every revision of `release`, oldest first.
    pub async fn history(&self, release: &str) -> Result<Vec<Release>, ReleaseError> {
        let params = ListParams::default().labels(&format!("owner={OWNER},name={release}"));
        let list = self
            .api
            .list(&params)
            .await
            .map_err(|source| ReleaseError::ReadHistory {
                release: release.to_owned(),
                source,
            })?;
        let mut out = Vec::with_capacity(list.items.len());
        for secret in &list.items {
            let rel = from_secret(secret).map_err(|source| ReleaseError::Decode {
                secret: secret.metadata.name.clone().unwrap_or_default(),
                source,
            })?;
            out.push(rel);
        }
        out.sort_by_key(Release::version);
        Ok(out)
    }

    /// The names of all releases in the namespace, sorted.
    pub async fn release_names(&self) -> Result<Vec<String>, ReleaseError> {
        let params = ListParams::default().labels(&format!("owner={OWNER}"));
        let list = self
            .api
            .list_metadata(&params)
            .await
            .map_err(|source| ReleaseError::List {
                namespace: self.namespace.clone(),
                source,
            })?;
        let mut names: Vec<String> = list
            .items
            .iter()
            .filter_map(|m| m.metadata.labels.as_ref()?.get("name").cloned())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Stores a new revision.
    pub async fn create(&self, release: &mut Release) -> Result<(), ReleaseError> {
        let mut secret = self.encoded(release)?;
        // Helm v3 labels a new Secret `createdAt` (v4 only `modifiedAt`).
        if let Some(labels) = secret.metadata.labels.as_mut() {
            labels.insert(
                "createdAt".into(),
                chrono::Utc::now().timestamp().to_string(),
            );
        }
        let created = self
            .api
            .create(&PostParams::default(), &secret)
            .await
            .map_err(|source| ReleaseError::WriteRelease {
                secret: secret_name(release.name(), release.version()),
                source,
            })?;
        release.resource_version = created.metadata.resource_version;
        Ok(())
    }

    /// Rewrites a stored revision.
    pub async fn update(&self, release: &mut Release) -> Result<(), ReleaseError> {
        let secret = self.encoded(release)?;
        let name = secret_name(release.name(), release.version());
        let updated = self
            .api
            .replace(&name, &PostParams::default(), &secret)
            .await
            .map_err(|source| ReleaseError::WriteRelease {
                secret: name.clone(),
                source,
            })?;
        release.resource_version = updated.metadata.resource_version;
        Ok(())
    }

    /// Deletes a stored revision; a missing one is not an error.
    pub async fn delete(&self, release: &str, version: u64) -> Result<(), ReleaseError> {
        let name = secret_name(release, version);
        match self.api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(source) => Err(ReleaseError::DeleteRelease {
                secret: name,
                source,
            }),
        }
    }

    fn encoded(&self, release: &Release) -> Result<Secret, ReleaseError> {
        to_secret(release).map_err(|source| ReleaseError::Encode {
            release: release.name().to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use serde_json::json;

    use super::*;

    #[test]
    fn encode_and_decode_round_trip_and_labels_are_split() {
        let raw = json!({"name": "m", "version": 3, "info": {"status": "deployed"}});
        let rel = Release::from_json(raw.clone(), [("moduleChecksum".into(), "c".into())].into());
        let secret = to_secret(&rel).unwrap();
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some("sh.helm.release.v1.m.v3")
        );
        assert_eq!(secret.type_.as_deref(), Some(SECRET_TYPE));
        let labels = secret.metadata.labels.clone().unwrap();
        assert_eq!(labels["owner"], "helm");
        assert_eq!(labels["status"], "deployed");
        assert_eq!(labels["version"], "3");
        assert_eq!(labels["moduleChecksum"], "c");
        let back = from_secret(&secret).unwrap();
        assert_eq!(back.json(), &raw);
        assert_eq!(
            back.labels,
            BTreeMap::from([("moduleChecksum".into(), "c".into())])
        );
    }

    #[test]
    fn decode_reads_uncompressed_json_too() {
        let data = base64::engine::general_purpose::STANDARD.encode(br#"{"name":"x"}"#);
        assert_eq!(decode(data.as_bytes()).unwrap(), json!({"name": "x"}));
    }

    #[test]
    fn decode_errors_name_the_step() {
        assert!(matches!(decode(b"!!"), Err(DecodeError::Base64(_))));
        let not_json = base64::engine::general_purpose::STANDARD.encode(b"nope");
        assert!(matches!(
            decode(not_json.as_bytes()),
            Err(DecodeError::Json(_))
        ));
    }
}
