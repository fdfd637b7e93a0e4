//! Helm releases of addon-operator modules, storage-compatible with Helm v3 and v4.
//!
//! [`Releases::run`] is upstream addon-operator's helm step (helm3lib): it labels the rendered
//! objects (`heritage: addon-operator` and the extra labels), takes the manifest checksum, and
//! upgrades the release when it does not exist, its last revision is not `deployed`, the
//! recorded checksum (label `moduleChecksum`, else the old `_addonOperatorModuleChecksum`
//! value) differs, or a manifest object is absent; otherwise it leaves it alone. An upgrade
//! writes a `pending-*` revision, server-side applies the objects in Helm's install order
//! (field manager `helm`, forced, so existing objects are adopted) with Helm's ownership
//! metadata, deletes the objects of the previous revision that are no longer rendered (in
//! reverse order, honouring `helm.sh/resource-policy: keep`), marks the revision `deployed`
//! (or `failed`) and the previous one `superseded`, and caps the history.
//!
//! Revisions are Secrets `sh.helm.release.v1.<name>.v<N>` as Helm's Secrets driver writes them,
//! so `helm list`, `helm history`, `helm get manifest` and `helm uninstall` work on them, and
//! releases Helm (or the Go addon-operator) wrote are read and upgraded.
//!
//! ```no_run
//! # async fn demo(client: kube::Client, desired: addon_releases::Desired) -> Result<(), addon_releases::ReleaseError> {
//! use addon_releases::{Releases, ReleasesConfig};
//! let releases = Releases::new(client, ReleasesConfig::new("d8-system"));
//! let outcome = releases.run(&desired).await?;
//! releases.uninstall(&desired.name).await?;
//! # drop(outcome); Ok(()) }
//! ```
//!
//! Not done: Helm hooks (`helm.sh/hook` documents are not part of the manifest and are not
//! run), `--wait`, the ConfigMap and SQL storage drivers, rollbacks.

pub mod chart;
pub mod cluster;
pub mod error;
pub mod objects;
pub mod release;
pub mod releases;
pub mod storage;

pub use chart::{ChartError, ChartRecord};
pub use error::{DecodeError, ReleaseError};
pub use objects::ObjectKey;
pub use release::{Release, Status};
pub use releases::{Desired, Health, Outcome, Releases, ReleasesConfig, RunTimings, UpgradeReason};
