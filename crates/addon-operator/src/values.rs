//! Supplied values of a render: `-f` files merged in order, then `--set` pairs (Helm's
//! `values.Options.MergeValues`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::strvals::{self, StrvalsError};

/// Why the supplied values could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    /// A values file could not be read.
    #[error("read values file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A values file is not YAML.
    #[error("failed to parse {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The YAML error.
        message: String,
    },
    /// A values file holds a list or scalar at the top.
    #[error("failed to parse {path}: values must be a map")]
    NotAMap {
        /// The file.
        path: PathBuf,
    },
    /// A `--set` argument does not parse.
    #[error("failed parsing --set data {arg:?}")]
    Set {
        /// The argument.
        arg: String,
        /// What is wrong.
        #[source]
        source: StrvalsError,
    },
}

/// Parses values YAML the way Helm does (numbers become float64); empty text is an empty map.
pub fn parse_values_yaml(text: &str, path: &Path) -> Result<Map<String, Value>, ValuesError> {
    let parsed = helm_render::codec::parse_yaml(text).map_err(|e| ValuesError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    match parsed.to_json() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(ValuesError::NotAMap {
            path: path.to_path_buf(),
        }),
    }
}

/// Reads the files in order and applies the `--set` arguments on top.
pub fn supplied_values(files: &[PathBuf], sets: &[String]) -> Result<Value, ValuesError> {
    let mut base = Map::new();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| ValuesError::Read {
            path: path.clone(),
            source,
        })?;
        // Helm's `mergeMaps` has the rules of addon-operator's values merge.
        addon_modules::values::merge(&mut base, &parse_values_yaml(&text, path)?);
    }
    for arg in sets {
        strvals::parse_into(arg, &mut base).map_err(|source| ValuesError::Set {
            arg: arg.clone(),
            source,
        })?;
    }
    Ok(Value::Object(base))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_merge_in_order_and_set_wins() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "x: 1\nm:\n  p: a\n  q: a\n").unwrap();
        std::fs::write(&b, "m:\n  q: b\n").unwrap();
        let v = supplied_values(&[a, b], &["m.p=set".into()]).unwrap();
        assert_eq!(v, json!({"x": 1.0, "m": {"p": "set", "q": "b"}}));
        assert!(v["x"].is_f64(), "file numbers are float64 as in Helm");
    }

    #[test]
    fn an_empty_file_is_no_values_and_a_list_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("e.yaml");
        let list = dir.path().join("l.yaml");
        std::fs::write(&empty, "# nothing\n").unwrap();
        std::fs::write(&list, "- 1\n").unwrap();
        assert_eq!(supplied_values(&[empty], &[]).unwrap(), json!({}));
        assert!(matches!(
            supplied_values(&[list], &[]),
            Err(ValuesError::NotAMap { .. })
        ));
    }
}
