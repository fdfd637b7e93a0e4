//! Finding modules in the `--modules-dir` paths: `NNN-name` directories one level deep (hidden
//! ones and `lib` skipped), their static values, `<key>Enabled` flags and schemas, and the
//! `global:` static values of each path's `values.yaml`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::name::{BadModuleName, validate_module_name, values_key};
use crate::schema::{SchemaError, Schemas};
use crate::values::{YamlError, merge, parse_yaml, read_if_exists, section};

/// The file name of static values, both in a modules path and in a module.
pub const VALUES_FILE: &str = "values.yaml";
/// Directories of a modules path that are never modules.
const SKIPPED_DIRS: &[&str] = &["lib"];

/// Why a modules path or one module could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A `--modules-dir` path does not exist.
    #[error("path '{}' does not exist", .0.display())]
    MissingPath(PathBuf),
    /// A directory could not be listed or a file read.
    #[error("read {}", path.display())]
    Read {
        /// The directory or file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A `values.yaml` is not YAML.
    #[error("parse {}: {error}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The cause (in the message, so not a `source`).
        error: YamlError,
    },
    /// A `values.yaml` holds something other than a map.
    #[error("parse {}: values must be a map", .0.display())]
    NotAMap(PathBuf),
    /// A `<key>Enabled` flag in a `values.yaml` is not a boolean.
    #[error("{}: '{key}' should be a boolean", path.display())]
    EnabledFlag {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
    /// The module directory's name is not a valid module name.
    #[error("module directory {}", path.display())]
    Name {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: BadModuleName,
    },
    /// The numeric prefix does not fit upstream's 31 bits.
    #[error("module directory {}: order '{order}' is not a number below 2^31", path.display())]
    Order {
        /// The directory.
        path: PathBuf,
        /// The prefix.
        order: String,
    },
    /// An `openapi/` schema is unusable.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// What was found in the module directories.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Modules sorted by `(order, name)`.
    pub modules: Vec<ModuleDef>,
    /// Merged `global:` sections of the paths' `values.yaml`, in path order.
    pub global_static: Map<String, Value>,
    /// Problems that make the module set unusable (upstream fails startup on them); the
    /// modules without problems are still listed in `modules`.
    pub errors: Vec<DiscoveryError>,
}

/// One module as found on disk.
#[derive(Debug, Clone)]
pub struct ModuleDef {
    /// Kebab-case name (`echo-server`), the Helm release name.
    pub name: String,
    /// The numeric prefix, or the unnumbered order.
    pub order: u32,
    /// The module directory (a symlink's target).
    pub path: PathBuf,
    /// camelCase key of values, ConfigMap section and flags.
    pub values_key: String,
    /// The module's section of the path's `values.yaml`, then of its own `values.yaml`.
    pub static_values: Map<String, Value>,
    /// `<key>Enabled` from the path's `values.yaml`, then the module's (the later wins).
    pub static_enabled: Option<bool>,
    /// `openapi/` schemas.
    pub schemas: Schemas,
    /// Whether the module has a chart (`Chart.yaml` or `templates/`).
    pub is_helm: bool,
    /// Whether an `enabled` script exists.
    pub has_enabled_script: bool,
    /// Whether a `hooks/` directory exists.
    pub has_hooks: bool,
}

/// Splits `MODULES_DIR`: paths joined with `:` (upstream) or `,`; empty parts are dropped.
pub fn split_paths(text: &str) -> Vec<PathBuf> {
    text.split([':', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Reads every path; later paths cannot override a module name found earlier.
pub fn discover(paths: &[PathBuf], unnumbered_order: u32) -> Discovery {
    let mut found = Discovery::default();
    let mut names = BTreeSet::new();
    for dir in paths {
        if !dir.exists() {
            found.errors.push(DiscoveryError::MissingPath(dir.clone()));
            continue;
        }
        let common = match read_values_file(&dir.join(VALUES_FILE)) {
            Ok(v) => v.unwrap_or_default(),
            Err(e) => {
                found.errors.push(e);
                Map::new()
            }
        };
        if let Some(Value::Object(global)) = common.get("global") {
            merge(&mut found.global_static, global);
        }
        let entries = match module_dirs(dir) {
            Ok(entries) => entries,
            Err(e) => {
                found.errors.push(e);
                continue;
            }
        };
        for (dir_name, path) in entries {
            match load_module(&dir_name, path, &common, dir, unnumbered_order) {
                Ok(module) => {
                    if names.insert(module.name.clone()) {
                        found.modules.push(module);
                    } else {
                        tracing::warn!(
                            module = module.name,
                            path = %module.path.display(),
                            "module is not registered, because it has a duplicate"
                        );
                    }
                }
                Err(e) => found.errors.push(e),
            }
        }
    }
    found
        .modules
        .sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
    found
}

/// Subdirectories (or symlinks to them) of a modules path, by name.
fn module_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, DiscoveryError> {
    let read_err = |source| DiscoveryError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_str()) {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                let target = std::fs::canonicalize(&path).unwrap_or(path);
                out.push((name, target));
            }
            Ok(_) => {
                if name != VALUES_FILE {
                    tracing::warn!(path = %path.display(), "Ignore dir while searching for modules");
                }
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "skip broken module symlink");
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `^(([0-9]+)-)?(.+)$`: the order prefix and the name.
fn split_dir_name<'a>(
    dir_name: &'a str,
    path: &Path,
) -> Result<(Option<u32>, &'a str), DiscoveryError> {
    if let Some((prefix, rest)) = dir_name.split_once('-')
        && !prefix.is_empty()
        && !rest.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_digit())
    {
        let order = prefix
            .parse::<u32>()
            .ok()
            .filter(|o| *o <= i32::MAX as u32)
            .ok_or_else(|| DiscoveryError::Order {
                path: path.to_owned(),
                order: prefix.to_owned(),
            })?;
        return Ok((Some(order), rest));
    }
    Ok((None, dir_name))
}

fn load_module(
    dir_name: &str,
    path: PathBuf,
    common: &Map<String, Value>,
    modules_path: &Path,
    unnumbered_order: u32,
) -> Result<ModuleDef, DiscoveryError> {
    let (order, name) = split_dir_name(dir_name, &modules_path.join(dir_name))?;
    validate_module_name(name).map_err(|source| DiscoveryError::Name {
        path: modules_path.join(dir_name),
        source,
    })?;
    let key = values_key(name);
    let enabled_key = format!("{key}Enabled");
    let common_path = modules_path.join(VALUES_FILE);
    let mut static_values = section(&Value::Object(common.clone()), &key).unwrap_or_default();
    let mut static_enabled = enabled_flag(common, &enabled_key, &common_path)?;
    let own_path = path.join(VALUES_FILE);
    if let Some(own) = read_values_file(&own_path)? {
        if let Some(Value::Object(values)) = own.get(&key) {
            merge(&mut static_values, values);
        }
        if let Some(flag) = enabled_flag(&own, &enabled_key, &own_path)? {
            static_enabled = Some(flag);
        }
    }
    let schemas = Schemas::load(&path.join("openapi"))?;
    let enabled_script = path.join("enabled");
    Ok(ModuleDef {
        name: name.to_owned(),
        order: order.unwrap_or(unnumbered_order),
        values_key: key,
        static_values,
        static_enabled,
        schemas,
        is_helm: path.join("Chart.yaml").is_file() || path.join("templates").is_dir(),
        has_enabled_script: enabled_script.is_file(),
        has_hooks: path.join("hooks").is_dir(),
        path,
    })
}

fn enabled_flag(
    doc: &Map<String, Value>,
    key: &str,
    path: &Path,
) -> Result<Option<bool>, DiscoveryError> {
    match doc.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(DiscoveryError::EnabledFlag {
            path: path.to_owned(),
            key: key.to_owned(),
        }),
    }
}

/// A `values.yaml` as a map; `None` when the file does not exist.
pub fn read_values_file(path: &Path) -> Result<Option<Map<String, Value>>, DiscoveryError> {
    let read = read_if_exists(path).map_err(|source| DiscoveryError::Read {
        path: path.to_owned(),
        source,
    })?;
    let Some(text) = read else {
        return Ok(None);
    };
    match parse_yaml(&text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(Value::Null) => Ok(Some(Map::new())),
        Ok(_) => Err(DiscoveryError::NotAMap(path.to_owned())),
        Err(error) => Err(DiscoveryError::Yaml {
            path: path.to_owned(),
            error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::write;
    use serde_json::json;

    #[test]
    fn modules_are_ordered_by_prefix_then_name_and_lib_and_hidden_dirs_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(&root.join("002-b/Chart.yaml"), "name: b\n");
        write(&root.join("001-a/templates/x.yaml"), "");
        write(&root.join("foo/hooks/h"), "");
        write(&root.join("lib/helm_lib/Chart.yaml"), "name: lib\n");
        write(&root.join(".git/config"), "");
        write(&root.join("README.md"), "");
        let found = discover(&[root.to_owned()], 1);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let names: Vec<(&str, u32)> = found
            .modules
            .iter()
            .map(|m| (m.name.as_str(), m.order))
            .collect();
        assert_eq!(names, vec![("a", 1), ("foo", 1), ("b", 2)]);
        assert!(found.modules[0].is_helm && !found.modules[1].is_helm);
        assert!(found.modules[1].has_hooks);
    }

    #[test]
    fn the_example_repository_has_its_two_modules_and_lib_is_not_a_module() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../modules");
        let found = discover(&[root], 1);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let names: Vec<(&str, u32, bool)> = found
            .modules
            .iter()
            .map(|m| (m.name.as_str(), m.order, m.has_enabled_script))
            .collect();
        assert_eq!(
            names,
            vec![("echo-server", 10, true), ("cron-reporter", 20, true)]
        );
        assert!(found.modules[0].schemas.config.is_some());
        assert_eq!(found.global_static["clusterName"], json!("demo"));
    }

    #[test]
    fn static_values_come_from_the_path_then_the_module_and_flags_must_be_booleans() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(
            &root.join("values.yaml"),
            "global: {a: 1}\nechoServer: {p: 1, q: 1}\nechoServerEnabled: true\n",
        );
        write(
            &root.join("010-echo-server/values.yaml"),
            "echoServer: {q: 2}\nechoServerEnabled: false\nother: {z: 1}\n",
        );
        let found = discover(&[root.to_owned()], 1);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(Value::Object(found.global_static), json!({"a": 1}));
        let m = &found.modules[0];
        assert_eq!(
            (m.name.as_str(), m.values_key.as_str()),
            ("echo-server", "echoServer")
        );
        assert_eq!(
            Value::Object(m.static_values.clone()),
            json!({"p": 1, "q": 2})
        );
        assert_eq!(m.static_enabled, Some(false));

        write(&root.join("values.yaml"), "echoServerEnabled: \"yes\"\n");
        let found = discover(&[root.to_owned()], 1);
        assert!(matches!(
            found.errors.as_slice(),
            [DiscoveryError::EnabledFlag { .. }]
        ));
    }

    #[test]
    fn bad_names_and_bad_yaml_are_reported_by_path_and_other_modules_still_load() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        write(&root.join("001-module_one/Chart.yaml"), "name: x\n");
        write(&root.join("002-broken/values.yaml"), "broken: [\n");
        write(&root.join("003-good/Chart.yaml"), "name: good\n");
        let found = discover(&[root.to_owned()], 1);
        let names: Vec<&str> = found.modules.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["good"]);
        let messages: Vec<String> = found
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{e}: {:?}",
                    std::error::Error::source(e).map(ToString::to_string)
                )
            })
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("001-module_one") && messages[0].contains("module-one"));
        assert!(
            messages[1].contains("002-broken/values.yaml"),
            "{messages:?}"
        );
    }

    #[test]
    fn several_paths_are_read_in_order_and_the_first_module_of_a_name_wins() {
        let d = tempfile::tempdir().unwrap();
        let (one, two) = (d.path().join("one"), d.path().join("two"));
        write(&one.join("001-a/Chart.yaml"), "name: a\n");
        write(&two.join("005-a/Chart.yaml"), "name: a\n");
        write(&two.join("002-b/Chart.yaml"), "name: b\n");
        let found = discover(
            &split_paths(&format!("{}:{}", one.display(), two.display())),
            1,
        );
        let names: Vec<(&str, u32)> = found
            .modules
            .iter()
            .map(|m| (m.name.as_str(), m.order))
            .collect();
        assert_eq!(names, vec![("a", 1), ("b", 2)]);
        let missing = discover(&[d.path().join("nope")], 1);
        assert!(matches!(
            missing.errors.as_slice(),
            [DiscoveryError::MissingPath(_)]
        ));
    }
}
