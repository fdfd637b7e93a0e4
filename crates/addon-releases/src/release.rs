//! Helm's release record (`pkg/release`): written in Helm v3's JSON shape (what upstream
//! addon-operator's helm3lib stores), read from any Helm version, with unknown fields kept.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};

use crate::chart::ChartRecord;

/// The release label holding the md5 of the manifest (upstream's `moduleChecksum`).
pub const CHECKSUM_LABEL: &str = "moduleChecksum";
/// The release value the old helm3 binary client wrote the checksum to (`--set`).
pub const CHECKSUM_VALUE: &str = "_addonOperatorModuleChecksum";
/// The release label of unmanaged (maintenance) modules.
pub const NO_RECONCILIATION_LABEL: &str = "maintenance.deckhouse.io/no-resource-reconciliation";

/// Go's zero `time.Time`, which Helm v3 writes for `info.deleted` of a live release.
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// A release's status (`release.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `unknown`, and any string this version does not know.
    Unknown,
    /// `deployed`.
    Deployed,
    /// `uninstalled`.
    Uninstalled,
    /// `superseded`.
    Superseded,
    /// `failed`.
    Failed,
    /// `uninstalling`.
    Uninstalling,
    /// `pending-install`.
    PendingInstall,
    /// `pending-upgrade`.
    PendingUpgrade,
    /// `pending-rollback`.
    PendingRollback,
}

impl Status {
    /// Helm's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// Reads Helm's spelling; anything else is [`Status::Unknown`].
    pub fn parse(text: &str) -> Status {
        match text {
            "deployed" => Status::Deployed,
            "uninstalled" => Status::Uninstalled,
            "superseded" => Status::Superseded,
            "failed" => Status::Failed,
            "uninstalling" => Status::Uninstalling,
            "pending-install" => Status::PendingInstall,
            "pending-upgrade" => Status::PendingUpgrade,
            "pending-rollback" => Status::PendingRollback,
            _ => Status::Unknown,
        }
    }

    /// An operation was interrupted in this revision (`IsPending`).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One revision of a release: Helm's JSON (kept whole, so a rewrite keeps fields of newer Helm
/// versions) and the release labels (stored on the Secret, not in the JSON).
///
/// `Debug` shows name, revision and status only: the JSON holds the module's values.
#[derive(Clone, PartialEq)]
pub struct Release {
    raw: Value,
    /// Release labels: the Secret's labels without Helm's own (`name`, `owner`, `status`,
    /// `version`, `createdAt`, `modifiedAt`).
    pub labels: BTreeMap<String, String>,
    /// The storage object's `resourceVersion`, for updates.
    pub(crate) resource_version: Option<String>,
}

impl fmt::Debug for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Release")
            .field("name", &self.name())
            .field("version", &self.version())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// What a new revision is made of.
#[derive(Clone)]
pub struct NewRevision<'a> {
    /// The release name.
    pub name: &'a str,
    /// The revision number (1 for an install).
    pub version: u64,
    /// The namespace.
    pub namespace: &'a str,
    /// The chart.
    pub chart: &'a ChartRecord,
    /// The supplied values (`config`).
    pub config: &'a Map<String, Value>,
    /// The release manifest.
    pub manifest: &'a str,
    /// NOTES.txt, rendered.
    pub notes: Option<&'a str>,
    /// `first_deployed` of revision 1 (now for an install).
    pub first_deployed: Option<&'a str>,
    /// Release labels.
    pub labels: BTreeMap<String, String>,
}

/// The string at a JSON pointer, empty when absent or not a string.
pub(crate) fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Now, as Go's `time.Time` marshals (RFC 3339 with nanoseconds).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl Release {
    /// A new revision in `status`, deployed now.
    pub fn new(rev: &NewRevision<'_>, status: Status, description: &str) -> Release {
        let now = now();
        let mut info = json!({
            "first_deployed": rev.first_deployed.unwrap_or(&now),
            "last_deployed": now,
            "deleted": GO_ZERO_TIME,
            "description": description,
            "status": status.as_str(),
        });
        if let (Some(notes), Some(info)) = (rev.notes, info.as_object_mut()) {
            info.insert("notes".into(), Value::String(notes.to_owned()));
        }
        let raw = json!({
            "name": rev.name,
            "info": info,
            "chart": rev.chart,
            "config": rev.config,
            "manifest": rev.manifest,
            "version": rev.version,
            "namespace": rev.namespace,
        });
        Release {
            raw,
            labels: rev.labels.clone(),
            resource_version: None,
        }
    }

    /// A release decoded from storage.
    pub fn from_json(raw: Value, labels: BTreeMap<String, String>) -> Release {
        Release {
            raw,
            labels,
            resource_version: None,
        }
    }

    /// Helm's JSON of this revision.
    pub fn json(&self) -> &Value {
        &self.raw
    }

    fn str_at(&self, pointer: &str) -> &str {
        str_at(&self.raw, pointer)
    }

    /// `name`.
    pub fn name(&self) -> &str {
        self.str_at("/name")
    }

    /// `version`, the revision number.
    pub fn version(&self) -> u64 {
        self.raw
            .get("version")
            .and_then(Value::as_u64)
            .unwrap_or_default()
    }

    /// `namespace`.
    pub fn namespace(&self) -> &str {
        self.str_at("/namespace")
    }

    /// `info.status`.
    pub fn status(&self) -> Status {
        Status::parse(self.str_at("/info/status"))
    }

    /// `info.description`.
    pub fn description(&self) -> &str {
        self.str_at("/info/description")
    }

    /// `info.first_deployed`, as stored.
    pub fn first_deployed(&self) -> Option<&str> {
        self.raw
            .pointer("/info/first_deployed")
            .and_then(Value::as_str)
    }

    /// `manifest`.
    pub fn manifest(&self) -> &str {
        self.str_at("/manifest")
    }

    /// `chart.metadata.name`.
    pub fn chart_name(&self) -> &str {
        self.str_at("/chart/metadata/name")
    }

    /// `chart.metadata.version`.
    pub fn chart_version(&self) -> &str {
        self.str_at("/chart/metadata/version")
    }

    /// The recorded manifest checksum: the `moduleChecksum` label, else the
    /// `_addonOperatorModuleChecksum` value older addon-operators set.
    pub fn checksum(&self) -> Option<&str> {
        self.labels
            .get(CHECKSUM_LABEL)
            .map(String::as_str)
            .filter(|c| !c.is_empty())
            .or_else(|| {
                self.raw
                    .pointer(&format!("/config/{CHECKSUM_VALUE}"))
                    .and_then(Value::as_str)
            })
    }

    /// Sets `info.status` and `info.description` (and `last_deployed` unless uninstalling).
    pub fn set_status(&mut self, status: Status, description: &str) {
        if !self.raw.get("info").is_some_and(Value::is_object) {
            self.raw["info"] = json!({});
        }
        let info = &mut self.raw["info"];
        info["status"] = Value::String(status.as_str().to_owned());
        info["description"] = Value::String(description.to_owned());
        if status == Status::Uninstalling {
            info["deleted"] = Value::String(now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> ChartRecord {
        ChartRecord::synthesized("m")
    }

    fn revision<'a>(chart: &'a ChartRecord, config: &'a Map<String, Value>) -> NewRevision<'a> {
        NewRevision {
            name: "m",
            version: 2,
            namespace: "ns",
            chart,
            config,
            manifest: "---\n# Source: m/templates/a.yaml\nkind: ConfigMap\n",
            notes: None,
            first_deployed: Some("2020-01-01T00:00:00Z"),
            labels: [(CHECKSUM_LABEL.to_owned(), "abc".to_owned())].into(),
        }
    }

    #[test]
    fn a_new_revision_has_helm_v3_fields() {
        let chart = chart();
        let config = Map::new();
        let rel = Release::new(&revision(&chart, &config), Status::PendingUpgrade, "x");
        let raw = rel.json();
        assert_eq!(raw["name"], "m");
        assert_eq!(raw["version"], 2);
        assert_eq!(raw["namespace"], "ns");
        assert_eq!(raw["info"]["status"], "pending-upgrade");
        assert_eq!(raw["info"]["first_deployed"], "2020-01-01T00:00:00Z");
        assert_eq!(raw["info"]["deleted"], GO_ZERO_TIME);
        assert_eq!(raw["chart"]["metadata"]["version"], "0.2.0");
        assert_eq!(rel.status(), Status::PendingUpgrade);
        assert_eq!(rel.checksum(), Some("abc"));
    }

    #[test]
    fn the_checksum_falls_back_to_the_old_release_value() {
        let rel = Release::from_json(
            json!({"config": {CHECKSUM_VALUE: "d41d8cd98f00b204e9800998ecf8427e"}}),
            BTreeMap::new(),
        );
        assert_eq!(rel.checksum(), Some("d41d8cd98f00b204e9800998ecf8427e"));
    }

    #[test]
    fn debug_output_leaves_out_values_and_manifest() {
        let chart = chart();
        let config = [("password".to_owned(), json!("hunter2"))]
            .into_iter()
            .collect();
        let rel = Release::new(&revision(&chart, &config), Status::Deployed, "x");
        let shown = format!("{rel:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Deployed"), "{shown}");
    }

    #[test]
    fn set_status_keeps_unknown_fields() {
        let mut rel = Release::from_json(
            json!({"name": "m", "apply_method": "ssa", "info": {"status": "deployed"}}),
            BTreeMap::new(),
        );
        rel.set_status(Status::Superseded, "Superseded");
        assert_eq!(rel.json()["apply_method"], "ssa");
        assert_eq!(rel.status(), Status::Superseded);
    }

    #[test]
    fn unknown_status_strings_read_as_unknown() {
        assert_eq!(Status::parse("rolling"), Status::Unknown);
        assert!(Status::parse("pending-install").is_pending());
        assert!(!Status::Deployed.is_pending());
    }
}
