//! The helm step of a module (upstream's helm3lib client): decide whether the release needs an
//! upgrade, install or upgrade it, uninstall it, list the releases of the namespace.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::chart::ChartRecord;
use crate::cluster::{Cluster, Target};
use crate::error::ReleaseError;
use crate::objects::{self, ManifestObject, ObjectKey};
use crate::release::{CHECKSUM_LABEL, NO_RECONCILIATION_LABEL, NewRevision, Release, Status};
use crate::storage::SecretStore;

/// The label every rendered object carries (upstream's post-renderer).
pub const HERITAGE_LABEL: &str = "heritage";
/// Its value unless the extra labels say otherwise.
pub const HERITAGE: &str = "addon-operator";
/// Default `HELM_HISTORY_MAX`.
pub const DEFAULT_HISTORY_MAX: usize = 10;

/// Helm's ownership metadata, set on every applied object.
const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// How releases are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasesConfig {
    /// The namespace of the release Secrets and of namespaced objects without a namespace.
    pub namespace: String,
    /// Revisions kept per release (`HELM_HISTORY_MAX`); 0 keeps all.
    pub history_max: usize,
    /// Labels put on every rendered object (`ADDON_OPERATOR_CRD_EXTRA_LABELS`), over
    /// `heritage: addon-operator`.
    pub extra_labels: BTreeMap<String, String>,
}

impl ReleasesConfig {
    /// Releases in `namespace` with upstream's defaults.
    pub fn new(namespace: &str) -> ReleasesConfig {
        ReleasesConfig {
            namespace: namespace.to_owned(),
            history_max: DEFAULT_HISTORY_MAX,
            extra_labels: BTreeMap::new(),
        }
    }

    fn object_labels(&self) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::from([(HERITAGE_LABEL.to_owned(), HERITAGE.to_owned())]);
        labels.extend(self.extra_labels.clone());
        labels
    }
}

/// What a module's release should be now.
#[derive(Clone)]
pub struct Desired {
    /// The release name (the module name).
    pub name: String,
    /// The chart.
    pub chart: ChartRecord,
    /// The values the chart was rendered with (the release `config`).
    pub values: Map<String, Value>,
    /// The rendered manifest, Helm hooks left out.
    pub manifest: String,
    /// Rendered NOTES.txt.
    pub notes: Option<String>,
}

/// Why the release is upgraded (upstream's `shouldRunHelmUpgrade`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeReason {
    /// No release yet.
    NoRelease,
    /// The last revision is not `deployed`.
    Status(Status),
    /// The manifest checksum differs from the recorded one.
    Checksum,
    /// A manifest object is not in the cluster.
    Absent(ObjectKey),
}

/// What the helm step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new revision was deployed.
    Deployed {
        /// Its number.
        version: u64,
        /// Why.
        reason: UpgradeReason,
    },
    /// Nothing changed; the release stays at this revision.
    Unchanged {
        /// The current revision.
        version: u64,
    },
}

/// How long the parts of [`Releases::run_timed`] took (upstream's `helm_operation_seconds`
/// operations `check-upgrade` and `upgrade`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTimings {
    /// Reading the history and deciding whether to upgrade; zero when the step failed before.
    pub check_upgrade: Duration,
    /// Writing the revision and applying the objects; `None` when there was no upgrade.
    pub upgrade: Option<Duration>,
}

/// What [`Releases::health`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Deployed, every object there.
    Healthy,
    /// No release.
    NoRelease,
    /// The last revision has another status.
    NotDeployed(Status),
    /// These objects of the manifest are not in the cluster.
    Absent(Vec<ObjectKey>),
}

/// The releases of one namespace.
pub struct Releases {
    config: ReleasesConfig,
    store: SecretStore,
    cluster: Cluster,
}

impl Releases {
    /// Releases in `config.namespace` through `client`.
    pub fn new(client: kube::Client, config: ReleasesConfig) -> Releases {
        Releases {
            store: SecretStore::new(client.clone(), &config.namespace),
            cluster: Cluster::new(client, &config.namespace),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReleasesConfig {
        &self.config
    }

    /// Every revision of `name`, oldest first.
    pub async fn history(&self, name: &str) -> Result<Vec<Release>, ReleaseError> {
        self.store.history(name).await
    }

    /// The names of the releases in the namespace, sorted.
    pub async fn list(&self) -> Result<Vec<String>, ReleaseError> {
        self.store.release_names().await
    }

    /// Brings the release to `desired`: pending revisions are dropped, then it is upgraded if
    /// it does not exist, is not `deployed`, has another checksum or misses an object.
    pub async fn run(&self, desired: &Desired) -> Result<Outcome, ReleaseError> {
        self.run_timed(desired).await.0
    }

    /// [`Releases::run`], and how long its check and its upgrade took, whatever the result.
    pub async fn run_timed(
        &self,
        desired: &Desired,
    ) -> (Result<Outcome, ReleaseError>, RunTimings) {
        let mut upgrade_started = None;
        let started = Instant::now();
        let result = self.run_inner(desired, &mut upgrade_started).await;
        let upgrade = upgrade_started.map(|at: Instant| at.elapsed());
        let check_upgrade = match upgrade_started {
            Some(at) => at.duration_since(started),
            None => started.elapsed(),
        };
        (
            result,
            RunTimings {
                check_upgrade,
                upgrade,
            },
        )
    }

    async fn run_inner(
        &self,
        desired: &Desired,
        upgrade_started: &mut Option<Instant>,
    ) -> Result<Outcome, ReleaseError> {
        let name = desired.name.as_str();
        let manifest_error = |source| ReleaseError::Manifest {
            release: name.to_owned(),
            source,
        };
        let mut rendered = objects::parse(&desired.manifest).map_err(manifest_error)?;
        let labels = self.config.object_labels();
        for object in &mut rendered {
            object.set_labels(&labels);
        }
        let manifest = objects::write(&rendered).map_err(manifest_error)?;
        let checksum = objects::checksum(&manifest);

        let mut history = self.store.history(name).await?;
        self.drop_pending(&mut history).await?;
        let targets = self.resolve_all(&rendered).await;
        let reason = match history.last() {
            None => Some(UpgradeReason::NoRelease),
            Some(last) if last.status() != Status::Deployed => {
                Some(UpgradeReason::Status(last.status()))
            }
            Some(last) if last.checksum() != Some(checksum.as_str()) => {
                Some(UpgradeReason::Checksum)
            }
            Some(_) => self.first_absent(name, &rendered, &targets).await?,
        };
        let Some(reason) = reason else {
            let version = history.last().map(Release::version).unwrap_or_default();
            return Ok(Outcome::Unchanged { version });
        };
        *upgrade_started = Some(Instant::now());
        let targets = targets
            .into_iter()
            .zip(&rendered)
            .map(|(t, o)| t.map_err(|source| resolve_error(name, o, source)))
            .collect::<Result<Vec<_>, _>>()?;
        let version = history.last().map_or(1, |r| r.version() + 1);
        tracing::info!(release = name, version, ?reason, "upgrading release");
        let labels = BTreeMap::from([
            (CHECKSUM_LABEL.to_owned(), checksum),
            (NO_RECONCILIATION_LABEL.to_owned(), "false".to_owned()),
        ]);
        let revision = NewRevision {
            name,
            version,
            namespace: &self.config.namespace,
            chart: &desired.chart,
            config: &desired.values,
            manifest: &manifest,
            notes: desired.notes.as_deref(),
            first_deployed: history.last().and_then(Release::first_deployed),
            labels,
        };
        let (pending, done) = if history.is_empty() {
            (Status::PendingInstall, "Install complete")
        } else {
            (Status::PendingUpgrade, "Upgrade complete")
        };
        let mut release = Release::new(&revision, pending, "Preparing upgrade");
        self.cap_history(name, &history).await?;
        self.store.create(&mut release).await?;
        if let Err(e) = self.deploy(name, &rendered, &targets, &history).await {
            release.set_status(Status::Failed, &error_text(&e));
            if let Err(write) = self.store.update(&mut release).await {
                tracing::warn!(release = name, error = %error_report::Report(&write), "could not mark the failed revision");
            }
            return Err(e);
        }
        release.set_status(Status::Deployed, done);
        self.store.update(&mut release).await?;
        for old in history
            .iter_mut()
            .filter(|r| r.status() == Status::Deployed)
        {
            old.set_status(Status::Superseded, "Superseded");
            self.store.update(old).await?;
        }
        Ok(Outcome::Deployed { version, reason })
    }

    /// Uninstalls `name`: deletes the objects of its manifests (unless kept by
    /// `helm.sh/resource-policy: keep`), in reverse install order, then every revision.
    /// `false` when there was no release.
    pub async fn uninstall(&self, name: &str) -> Result<bool, ReleaseError> {
        let mut history = self.store.history(name).await?;
        let Some(last) = history.last_mut() else {
            return Ok(false);
        };
        last.set_status(
            Status::Uninstalling,
            "Deletion in progress (or silently failed)",
        );
        self.store.update(last).await?;
        let mut old = self.previous_objects(name, &history)?;
        old.retain(|o| !o.keep());
        objects::sort_for_install(&mut old);
        self.delete_objects(name, old.iter().rev(), &BTreeSet::new())
            .await?;
        for rel in &history {
            self.store.delete(name, rel.version()).await?;
        }
        tracing::info!(release = name, "release uninstalled");
        Ok(true)
    }

    /// What the resources monitor checks: the last revision is `deployed` and every object of
    /// its manifest exists.
    pub async fn health(&self, name: &str) -> Result<Health, ReleaseError> {
        let history = self.store.history(name).await?;
        let Some(last) = history.last() else {
            return Ok(Health::NoRelease);
        };
        if last.status() != Status::Deployed {
            return Ok(Health::NotDeployed(last.status()));
        }
        let objects = objects::parse(last.manifest()).map_err(|source| ReleaseError::Manifest {
            release: name.to_owned(),
            source,
        })?;
        let mut absent = Vec::new();
        for object in &objects {
            match self.cluster.resolve(object).await {
                Ok(target) => {
                    if !self.exists(name, &target).await? {
                        absent.push(target.key);
                    }
                }
                Err(e) if kind_missing(&e) => absent.push(object.key(None)),
                Err(e) => return Err(resolve_error(name, object, e)),
            }
        }
        Ok(if absent.is_empty() {
            Health::Healthy
        } else {
            Health::Absent(absent)
        })
    }

    async fn drop_pending(&self, history: &mut Vec<Release>) -> Result<(), ReleaseError> {
        for rel in history.iter().filter(|r| r.status().is_pending()) {
            tracing::warn!(
                release = rel.name(),
                version = rel.version(),
                status = %rel.status(),
                "deleting the storage Secret of a pending revision"
            );
            self.store.delete(rel.name(), rel.version()).await?;
        }
        history.retain(|r| !r.status().is_pending());
        Ok(())
    }

    async fn resolve_all(&self, rendered: &[ManifestObject]) -> Vec<Result<Target, kube::Error>> {
        let mut out = Vec::with_capacity(rendered.len());
        for object in rendered {
            out.push(self.cluster.resolve(object).await);
        }
        out
    }

    async fn first_absent(
        &self,
        name: &str,
        rendered: &[ManifestObject],
        targets: &[Result<Target, kube::Error>],
    ) -> Result<Option<UpgradeReason>, ReleaseError> {
        for (object, target) in rendered.iter().zip(targets) {
            match target {
                Ok(target) => {
                    if !self.exists(name, target).await? {
                        return Ok(Some(UpgradeReason::Absent(target.key.clone())));
                    }
                }
                // A kind the cluster does not know: the object cannot exist.
                Err(_) => return Ok(Some(UpgradeReason::Absent(object.key(None)))),
            }
        }
        Ok(None)
    }

    async fn exists(&self, name: &str, target: &Target) -> Result<bool, ReleaseError> {
        self.cluster
            .exists(target)
            .await
            .map_err(|source| ReleaseError::Get {
                release: name.to_owned(),
                object: target.key.to_string(),
                source,
            })
    }

    /// Applies `rendered` in install order, then deletes the objects of earlier revisions that
    /// are no longer rendered, in reverse order.
    async fn deploy(
        &self,
        name: &str,
        rendered: &[ManifestObject],
        targets: &[Target],
        history: &[Release],
    ) -> Result<(), ReleaseError> {
        let ownership_annotations = BTreeMap::from([
            (RELEASE_NAME_ANNOTATION.to_owned(), name.to_owned()),
            (
                RELEASE_NAMESPACE_ANNOTATION.to_owned(),
                self.config.namespace.clone(),
            ),
        ]);
        let ownership_labels = BTreeMap::from([(MANAGED_BY_LABEL.to_owned(), "Helm".to_owned())]);
        let mut order: Vec<usize> = (0..rendered.len()).collect();
        order.sort_by_key(|&i| objects::install_key(rendered[i].kind()));
        for i in order {
            let (object, target) = (&rendered[i], &targets[i]);
            let mut object = object.clone();
            object.set_labels(&ownership_labels);
            object.set_annotations(&ownership_annotations);
            self.cluster
                .apply(target, &object)
                .await
                .map_err(|source| ReleaseError::Apply {
                    release: name.to_owned(),
                    object: target.key.to_string(),
                    source,
                })?;
        }
        let keep: BTreeSet<ObjectKey> = targets.iter().map(|t| t.key.clone()).collect();
        let mut old = self.previous_objects(name, history)?;
        old.retain(|o| !o.keep());
        objects::sort_for_install(&mut old);
        self.delete_objects(name, old.iter().rev(), &keep).await
    }

    /// The objects of the last deployed revision and of the last revision (which may have
    /// failed half way), without duplicates.
    fn previous_objects(
        &self,
        name: &str,
        history: &[Release],
    ) -> Result<Vec<ManifestObject>, ReleaseError> {
        let deployed = history.iter().rev().find(|r| {
            matches!(
                r.status(),
                Status::Deployed | Status::Superseded | Status::Uninstalling
            )
        });
        let mut out: Vec<ManifestObject> = Vec::new();
        let mut seen = BTreeSet::new();
        for rel in deployed.into_iter().chain(history.last()) {
            let parsed =
                objects::parse(rel.manifest()).map_err(|source| ReleaseError::Manifest {
                    release: name.to_owned(),
                    source,
                })?;
            for object in parsed {
                if seen.insert(object.key(None)) {
                    out.push(object);
                }
            }
        }
        Ok(out)
    }

    async fn delete_objects(
        &self,
        name: &str,
        objects: impl Iterator<Item = &ManifestObject>,
        except: &BTreeSet<ObjectKey>,
    ) -> Result<(), ReleaseError> {
        for object in objects {
            let target = match self.cluster.resolve(object).await {
                Ok(target) => target,
                // The kind is gone from the cluster, and so is the object.
                Err(e) if kind_missing(&e) => continue,
                Err(e) => return Err(resolve_error(name, object, e)),
            };
            if except.contains(&target.key) {
                continue;
            }
            self.cluster
                .delete(&target)
                .await
                .map_err(|source| ReleaseError::Delete {
                    release: name.to_owned(),
                    object: target.key.to_string(),
                    source,
                })?;
            tracing::info!(release = name, object = %target.key, "object deleted");
        }
        Ok(())
    }

    /// Helm's `removeLeastRecent` before a new revision: deletes the oldest revisions so that,
    /// with the new one, at most `history_max` remain; the last deployed one is never deleted
    /// (failing upgrades must not grow the history, nor push out what is running).
    async fn cap_history(&self, name: &str, history: &[Release]) -> Result<(), ReleaseError> {
        let max = self.config.history_max;
        if max == 0 {
            return Ok(());
        }
        let deployed = history
            .iter()
            .rev()
            .find(|r| r.status() == Status::Deployed)
            .map(Release::version);
        let mut total = history.len() + 1;
        for rel in history {
            if total <= max {
                break;
            }
            if Some(rel.version()) == deployed {
                continue;
            }
            self.store.delete(name, rel.version()).await?;
            total -= 1;
        }
        Ok(())
    }
}

fn resolve_error(name: &str, object: &ManifestObject, source: kube::Error) -> ReleaseError {
    ReleaseError::Resolve {
        release: name.to_owned(),
        object: format!(
            "{}/{} {}",
            object.api_version(),
            object.kind(),
            object.name()
        ),
        source,
    }
}

/// Discovery says the group/version or the kind does not exist.
fn kind_missing(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(status) => status.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

/// The error and its causes in one line, for the release description.
fn error_text(e: &ReleaseError) -> String {
    error_report::Report(e).to_string()
}
