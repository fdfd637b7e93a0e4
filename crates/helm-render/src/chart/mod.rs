//! A loaded chart: metadata, values, templates, files and subcharts.

mod cache;
mod fingerprint;
mod glob;
mod ignore;
mod load;
mod values;
mod walk;

pub use cache::ChartCache;
pub use fingerprint::{Fingerprint, RACY_WINDOW, Recorder};
pub use glob::{glob_match, go_match};
pub use ignore::IgnoreRules;
pub use load::{load_archive, load_dir, load_dir_fingerprinted, load_files};
pub use values::{coalesce_values, process_dependencies};

use std::rc::Rc;

use crate::funcs::strval;
use crate::value::{Map, Value};

/// A file of a chart, with its chart-relative name.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// Path relative to the chart root, with `/`.
    pub name: String,
    /// Contents (shared: renders hand them to `.Files` without copying).
    pub data: Rc<[u8]>,
}

/// A dependency entry of Chart.yaml (the parts that decide whether a subchart renders).
#[derive(Debug, Clone, Default)]
pub struct Dependency {
    /// Chart name.
    pub name: String,
    /// Alias the subchart is rendered under.
    pub alias: Option<String>,
    /// Comma-separated value paths; the first that is a bool decides.
    pub condition: Option<String>,
}

/// Chart.yaml, kept as the map templates see under `.Chart`.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `type: library` charts render nothing themselves.
    pub is_library: bool,
    /// Dependency entries.
    pub dependencies: Vec<Dependency>,
    /// The capitalised map exposed as `.Chart`.
    pub fields: Map,
}

fn cap_list(v: Option<&Value>, keys: &[(&str, &str)]) -> Value {
    let Some(Value::List(l)) = v else {
        return Value::list(Vec::new());
    };
    Value::list(
        l.iter()
            .map(|item| {
                let src = item.as_map().unwrap_or_default();
                let mut m = Map::new();
                for (from, to) in keys {
                    m.insert(
                        (*to).to_string(),
                        src.get(*from).cloned().unwrap_or_else(|| Value::str("")),
                    );
                }
                Value::map(m)
            })
            .collect(),
    )
}

impl Metadata {
    /// Builds metadata from parsed Chart.yaml.
    pub fn from_value(v: &Value) -> Metadata {
        let src = v.as_map().unwrap_or_default();
        let s = |k: &str| match src.get(k) {
            Some(Value::Nil) | None => Value::str(""),
            Some(x) => Value::from(strval(x)),
        };
        let strings = |k: &str| match src.get(k) {
            Some(Value::List(l)) => Value::list(l.iter().map(|x| Value::from(strval(x))).collect()),
            _ => Value::list(Vec::new()),
        };
        let mut f = Map::new();
        for (from, to) in [
            ("name", "Name"),
            ("home", "Home"),
            ("version", "Version"),
            ("description", "Description"),
            ("icon", "Icon"),
            ("apiVersion", "APIVersion"),
            ("condition", "Condition"),
            ("tags", "Tags"),
            ("appVersion", "AppVersion"),
            ("kubeVersion", "KubeVersion"),
            ("type", "Type"),
        ] {
            f.insert(to.into(), s(from));
        }
        // Helm treats a Chart.yaml without apiVersion as v1.
        if f.get("APIVersion").and_then(Value::as_str) == Some("") {
            f.insert("APIVersion".into(), Value::str("v1"));
        }
        f.insert("Sources".into(), strings("sources"));
        f.insert("Keywords".into(), strings("keywords"));
        f.insert(
            "Deprecated".into(),
            Value::Bool(src.get("deprecated").is_some_and(Value::is_truthy)),
        );
        f.insert(
            "Annotations".into(),
            src.get("annotations")
                .cloned()
                .filter(|a| matches!(a, Value::Map(_)))
                .unwrap_or_else(|| Value::map(Map::new())),
        );
        f.insert(
            "Maintainers".into(),
            cap_list(
                src.get("maintainers"),
                &[("name", "Name"), ("email", "Email"), ("url", "URL")],
            ),
        );
        f.insert(
            "Dependencies".into(),
            cap_list(
                src.get("dependencies"),
                &[
                    ("name", "Name"),
                    ("version", "Version"),
                    ("repository", "Repository"),
                    ("condition", "Condition"),
                    ("alias", "Alias"),
                ],
            ),
        );
        let dependencies = match src.get("dependencies") {
            Some(Value::List(l)) => l
                .iter()
                .map(|d| {
                    let m = d.as_map().unwrap_or_default();
                    let get = |k: &str| m.get(k).map(strval).filter(|s| !s.is_empty());
                    Dependency {
                        name: get("name").unwrap_or_default(),
                        alias: get("alias"),
                        condition: get("condition"),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        Metadata {
            name: f.get("Name").map(strval).unwrap_or_default(),
            is_library: src.get("type").map(strval).as_deref() == Some("library"),
            dependencies,
            fields: f,
        }
    }

    /// What addon-operator assumes for a module without Chart.yaml.
    pub fn synthesized(name: &str) -> Metadata {
        let mut m = Map::new();
        m.insert("name".into(), Value::str(name));
        m.insert("version".into(), Value::str("0.2.0"));
        m.insert("apiVersion".into(), Value::str("v2"));
        Metadata::from_value(&Value::map(m))
    }
}

/// A loaded chart tree.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Chart.yaml.
    pub metadata: Metadata,
    /// values.yaml (a map).
    pub values: Value,
    /// Files under `templates/`.
    pub templates: Vec<ChartFile>,
    /// Other files, visible through `.Files`.
    pub files: Vec<ChartFile>,
    /// Subcharts from `charts/`, sorted by name.
    pub dependencies: Vec<Chart>,
}

/// Why a chart could not be loaded.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ChartError {
    /// No Chart.yaml where one is required (subcharts, archives).
    #[error("chart {chart}: Chart.yaml file is missing")]
    MissingChartYaml {
        /// Chart location.
        chart: String,
    },
    /// A file could not be read.
    #[error("reading {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// Chart.yaml or values.yaml is not valid YAML.
    #[error("{file}: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parse error.
        message: String,
    },
    /// A `.tgz` subchart could not be read.
    #[error("archive {archive}: {message}")]
    Archive {
        /// The archive.
        archive: String,
        /// What went wrong.
        message: String,
    },
    /// `.helmignore` is invalid.
    #[error("chart {chart}: .helmignore: {message}")]
    Ignore {
        /// Chart location.
        chart: String,
        /// What is wrong.
        message: String,
    },
    /// A dependency listed in Chart.yaml has no chart in `charts/`.
    #[error("chart {chart}: found in Chart.yaml, but missing in charts/ directory: {dependency}")]
    MissingDependency {
        /// Parent chart.
        chart: String,
        /// The missing dependency.
        dependency: String,
    },
    /// Supplied values do not fit the chart (a subchart key that is not a map).
    #[error("chart {chart}: {message}")]
    Values {
        /// Chart name.
        chart: String,
        /// What is wrong.
        message: String,
    },
}
