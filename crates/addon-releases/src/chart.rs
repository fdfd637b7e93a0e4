//! The chart as a Helm release keeps it (`chart.Chart`'s JSON): `Chart.yaml` as `metadata`,
//! `values.yaml` as `values`, the files under `templates/`. A module without `Chart.yaml` is
//! the chart `<module>` version `0.2.0`, as upstream addon-operator makes it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// `Chart.yaml` keys Helm's `chart.Metadata` has, in its field order.
const METADATA_KEYS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// `chart.Metadata` fields that are Go strings: a YAML number or boolean there (`version: 1.0`)
/// is kept as its text, or Helm could not decode the release.
const STRING_KEYS: &[&str] = &[
    "name",
    "home",
    "version",
    "description",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "kubeVersion",
    "type",
];

/// The version upstream gives a module chart without `Chart.yaml`.
pub const SYNTHESIZED_VERSION: &str = "0.2.0";

/// Why a chart could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// A file could not be read.
    #[error("read '{}'", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `Chart.yaml` or `values.yaml` is not YAML.
    #[error("parse '{}'", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_norway::Error,
    },
}

/// One chart file (`chart.File`): `data` is base64 in JSON, as Go writes `[]byte`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartFile {
    /// Path relative to the chart, e.g. `templates/a.yaml`.
    pub name: String,
    /// Contents.
    #[serde(serialize_with = "base64_bytes")]
    pub data: Vec<u8>,
}

fn base64_bytes<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
}

/// A chart as stored in a release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartRecord {
    /// `Chart.yaml`, with Helm's keys only.
    pub metadata: Map<String, Value>,
    /// `Chart.lock` (not kept).
    pub lock: Option<Value>,
    /// `templates/**`.
    pub templates: Vec<ChartFile>,
    /// `values.yaml`.
    pub values: Map<String, Value>,
    /// `values.schema.json` (not kept).
    pub schema: Option<Value>,
    /// Other files (not kept: a module directory holds hooks and schemas Helm never reads).
    pub files: Option<Vec<ChartFile>>,
}

impl ChartRecord {
    /// The chart upstream makes for a module without `Chart.yaml`.
    pub fn synthesized(module: &str) -> ChartRecord {
        let mut metadata = Map::new();
        metadata.insert("name".into(), Value::String(module.to_owned()));
        metadata.insert("version".into(), SYNTHESIZED_VERSION.into());
        metadata.insert("apiVersion".into(), "v2".into());
        ChartRecord {
            metadata,
            lock: None,
            templates: Vec::new(),
            values: Map::new(),
            schema: None,
            files: None,
        }
    }

    /// Reads the chart of the module `module` in `dir`.
    pub fn load(dir: &Path, module: &str) -> Result<ChartRecord, ChartError> {
        let mut chart = ChartRecord::synthesized(module);
        if let Some(yaml) = read_yaml(&dir.join("Chart.yaml"))? {
            chart.metadata = METADATA_KEYS
                .iter()
                .filter_map(|k| yaml.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Value::Number(_) | Value::Bool(_) if STRING_KEYS.contains(&k.as_str()) => {
                        let text = v.to_string();
                        (k, Value::String(text))
                    }
                    v => (k, v),
                })
                .collect();
        }
        if let Some(values) = read_yaml(&dir.join("values.yaml"))? {
            chart.values = values;
        }
        let templates = dir.join("templates");
        if templates.is_dir() {
            collect_files(dir, &templates, &mut chart.templates)?;
            chart.templates.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(chart)
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `metadata.version`.
    pub fn version(&self) -> &str {
        self.metadata
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// A YAML map file; `None` when the file does not exist or is empty.
fn read_yaml(path: &Path) -> Result<Option<Map<String, Value>>, ChartError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ChartError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let value: Value = serde_norway::from_str(&text).map_err(|source| ChartError::Parse {
        path: path.to_owned(),
        source,
    })?;
    Ok(match value {
        Value::Object(map) => Some(map),
        _ => None,
    })
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<ChartFile>) -> Result<(), ChartError> {
    let read_err = |source| ChartError::Read {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
            continue;
        }
        let data = std::fs::read(&path).map_err(|source| ChartError::Read {
            path: path.clone(),
            source,
        })?;
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        out.push(ChartFile { name, data });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use super::*;

    #[test]
    fn a_module_without_chart_yaml_is_chart_module_0_2_0() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("templates/sub")).unwrap();
        std::fs::write(d.path().join("templates/sub/a.yaml"), "kind: X\n").unwrap();
        let chart = ChartRecord::load(d.path(), "echo").unwrap();
        assert_eq!((chart.name(), chart.version()), ("echo", "0.2.0"));
        assert_eq!(chart.templates[0].name, "templates/sub/a.yaml");
        let json = serde_json::to_value(&chart).unwrap();
        assert_eq!(json["templates"][0]["data"], "a2luZDogWAo=");
        assert_eq!(json["metadata"]["apiVersion"], "v2");
    }

    #[test]
    fn chart_yaml_keys_helm_does_not_know_are_dropped() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("Chart.yaml"),
            "name: x\nversion: 1.2.3\nfoo: bar\nappVersion: 1.10\n",
        )
        .unwrap();
        std::fs::write(d.path().join("values.yaml"), "a: 1\n").unwrap();
        let chart = ChartRecord::load(d.path(), "y").unwrap();
        assert_eq!(
            Value::Object(chart.metadata),
            serde_json::json!({"name": "x", "version": "1.2.3", "appVersion": "1.1"})
        );
        assert_eq!(chart.values["a"], 1);
    }
}
