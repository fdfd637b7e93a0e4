//! Loads a chart from a directory (following symlinks, honouring .helmignore) or a `.tgz`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::fingerprint::{Fingerprint, Recorder};
use super::walk::{ChartTree, Visitor};
use super::{Chart, ChartError, ChartFile, Metadata};
use crate::codec::parse_yaml;
use crate::value::Value;

/// Loads the chart at `dir`. Without Chart.yaml, the chart is named after the module (the
/// directory without its `NNN-` prefix) with version 0.2.0, as addon-operator does for modules.
pub fn load_dir(dir: &Path) -> Result<Chart, ChartError> {
    load_dir_recording(dir, None)
}

/// [`load_dir`], with the [`Fingerprint`] that tells later whether the directory changed;
/// changes younger than `racy_window` ([`super::RACY_WINDOW`] normally) make it untrusted.
pub fn load_dir_fingerprinted(
    dir: &Path,
    racy_window: Duration,
) -> Result<(Chart, Fingerprint), ChartError> {
    let mut recorder = Recorder::new(dir, racy_window);
    let chart = load_dir_recording(dir, Some(&mut recorder))?;
    Ok((chart, recorder.finish()))
}

/// Reads every file the walk yields, telling `recorder` what it lists and reads.
struct Reader<'r> {
    files: Vec<ChartFile>,
    recorder: Option<&'r mut Recorder>,
}

impl Visitor for Reader<'_> {
    fn dir(&mut self, full: &Path) {
        if let Some(r) = self.recorder.as_deref_mut() {
            r.dir(full);
        }
    }

    fn file(
        &mut self,
        path: String,
        full: &Path,
        meta: &std::fs::Metadata,
    ) -> Result<(), ChartError> {
        if let Some(r) = self.recorder.as_deref_mut() {
            r.file(full, meta);
        }
        let mut data = std::fs::read(full).map_err(|e| ChartError::Io {
            path: full.display().to_string(),
            message: e.to_string(),
        })?;
        if data.starts_with(&[0xef, 0xbb, 0xbf]) {
            data.drain(..3);
        }
        self.files.push(ChartFile {
            name: path,
            data: data.into(),
        });
        Ok(())
    }
}

fn load_dir_recording(dir: &Path, recorder: Option<&mut Recorder>) -> Result<Chart, ChartError> {
    let tree = ChartTree::open(dir)?;
    let mut reader = Reader {
        files: Vec::new(),
        recorder,
    };
    tree.walk(&mut reader)?;
    let files = reader.files;
    let fallback = if tree.has_chart_yaml() {
        None
    } else {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|p| {
                p.file_name()
                    .map(|n| module_name(&n.to_string_lossy()).to_owned())
            })
            .unwrap_or_else(|| "chart".into());
        Some(name)
    };
    load_files(files, fallback.as_deref(), &dir.display().to_string())
}

/// addon-operator's module name of a directory: without its `NNN-` order prefix
/// (`010-echo-server` → `echo-server`).
fn module_name(dir_name: &str) -> &str {
    match dir_name.split_once('-') {
        Some((order, rest))
            if !order.is_empty()
                && !rest.is_empty()
                && order.bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => dir_name,
    }
}

/// Loads a chart archive (`.tgz`): the first path component is the chart folder.
pub fn load_archive(bytes: &[u8], origin: &str) -> Result<Chart, ChartError> {
    let err = |message: String| ChartError::Archive {
        archive: origin.to_string(),
        message,
    };
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut tar = tar::Archive::new(gz);
    let mut files = Vec::new();
    for entry in tar.entries().map_err(|e| err(e.to_string()))? {
        let mut entry = entry.map_err(|e| err(e.to_string()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| err(e.to_string()))?
            .to_string_lossy()
            .replace('\\', "/");
        if path == "pax_global_header" {
            continue;
        }
        let Some((_, name)) = path.split_once('/') else {
            continue;
        };
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| err(e.to_string()))?;
        if data.starts_with(&[0xef, 0xbb, 0xbf]) {
            data.drain(..3);
        }
        files.push(ChartFile {
            name: name.to_string(),
            data: data.into(),
        });
    }
    if files.is_empty() {
        return Err(err("no files in chart archive".into()));
    }
    load_files(files, None, origin)
}

/// Sorts loaded files into metadata, values, templates, files and subcharts, like Helm's `LoadFiles`.
pub fn load_files(
    files: Vec<ChartFile>,
    fallback_name: Option<&str>,
    origin: &str,
) -> Result<Chart, ChartError> {
    let mut meta: Option<Metadata> = None;
    let mut values = Value::map(Default::default());
    let mut templates = Vec::new();
    let mut plain = Vec::new();
    let mut subcharts: BTreeMap<String, Vec<ChartFile>> = BTreeMap::new();
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" => {
                let text = String::from_utf8_lossy(&f.data);
                let v = parse_yaml(&text).map_err(|e| ChartError::Yaml {
                    file: format!("{origin}/Chart.yaml"),
                    message: e.to_string(),
                })?;
                meta = Some(Metadata::from_value(&v));
            }
            "values.yaml" => {
                let text = String::from_utf8_lossy(&f.data);
                values = match parse_yaml(&text) {
                    Ok(Value::Nil) => Value::map(Default::default()),
                    Ok(v @ Value::Map(_)) => v,
                    Ok(_) => {
                        return Err(ChartError::Yaml {
                            file: format!("{origin}/values.yaml"),
                            message: "values must be a map".into(),
                        });
                    }
                    Err(e) => {
                        return Err(ChartError::Yaml {
                            file: format!("{origin}/values.yaml"),
                            message: e.to_string(),
                        });
                    }
                };
            }
            "Chart.lock" | "requirements.yaml" | "requirements.lock" | "values.schema.json" => {}
            n if n.starts_with("templates/") => templates.push(f),
            n if n.starts_with("charts/") && !n.ends_with(".prov") => {
                let rest = &n["charts/".len()..];
                let (cname, inner) = rest.split_once('/').unwrap_or((rest, ""));
                subcharts
                    .entry(cname.to_string())
                    .or_default()
                    .push(ChartFile {
                        name: if inner.is_empty() {
                            cname.to_string()
                        } else {
                            inner.to_string()
                        },
                        data: f.data,
                    });
            }
            _ => plain.push(f),
        }
    }
    let meta = match (meta, fallback_name) {
        (Some(m), _) => m,
        (None, Some(name)) => Metadata::synthesized(name),
        (None, None) => {
            return Err(ChartError::MissingChartYaml {
                chart: origin.to_string(),
            });
        }
    };
    let mut dependencies = Vec::new();
    for (cname, files) in subcharts {
        let sub_origin = format!("{origin}/charts/{cname}");
        if cname.ends_with(".tgz") || cname.ends_with(".tar.gz") {
            let Some(f) = files.into_iter().next() else {
                continue;
            };
            dependencies.push(load_archive(&f.data, &sub_origin)?);
        } else {
            dependencies.push(load_files(files, None, &sub_origin)?);
        }
    }
    dependencies.sort_by(|a: &Chart, b: &Chart| a.metadata.name.cmp(&b.metadata.name));
    Ok(Chart {
        metadata: meta,
        values,
        templates,
        files: plain,
        dependencies,
    })
}
