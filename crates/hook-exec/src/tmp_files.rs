//! The per-run files under `--tmp-dir`: created fresh (mode 0600, unique names), exported through
//! env vars, read after the run and removed unless kept.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::ExecError;
use crate::output::OutputContents;
use crate::spec::{
    ADMISSION_RESPONSE_PATH, BINDING_CONTEXT_PATH, CONVERSION_RESPONSE_PATH, HookRunSpec,
    KUBERNETES_PATCH_PATH, METRICS_PATH, OutputFile, TmpFiles, VALIDATING_RESPONSE_PATH,
};

/// Largest output file read back into memory.
pub const MAX_OUTPUT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The files of one run.
#[derive(Debug)]
pub(crate) struct RunFiles {
    binding_context: Option<PathBuf>,
    outputs: Vec<(OutputFile, PathBuf)>,
    keep: TmpFiles,
    removed: bool,
}

/// A run whose future is dropped mid-way still removes its files (the binding context may hold
/// secrets). Only this abnormal path uses blocking `remove_file` calls, which are short.
impl Drop for RunFiles {
    fn drop(&mut self) {
        if self.removed || self.keep == TmpFiles::Keep {
            return;
        }
        for path in self.paths() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Upstream's `sanitize.BaseName`: `002-cool-hooks/monitor-namespaces.py` becomes
/// `002-cool-hooks-monitor-namespaces-py`.
pub fn safe_file_name(hook_name: &str) -> String {
    let mut out = String::with_capacity(hook_name.len());
    for c in hook_name.trim().chars() {
        let mapped = match c {
            '.' | '/' | '\\' | ':' | ' ' => '-',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => c,
            _ => continue,
        };
        if mapped == '-' && out.ends_with('-') {
            continue;
        }
        out.push(mapped);
    }
    out
}

impl RunFiles {
    /// Creates all files (in one blocking-pool job: one hand-off instead of one per file
    /// operation); on error the ones already created are removed.
    pub(crate) async fn create(spec: &HookRunSpec) -> Result<Self, ExecError> {
        let safe = safe_file_name(&spec.log.hook);
        let binding_context = spec.tmp_dir.join(format!(
            "hook-{safe}-binding-context-{}.json",
            uuid::Uuid::new_v4()
        ));
        let mut outputs = Vec::new();
        for kind in OutputFile::ALL {
            if !spec.output_files.contains(&kind) {
                continue;
            }
            let id = uuid::Uuid::new_v4();
            let name = match kind {
                OutputFile::Metrics => format!("hook-{safe}-metrics-{id}.json"),
                OutputFile::AdmissionResponse => {
                    format!("hook-{safe}-admission-response-{id}.json")
                }
                OutputFile::ConversionResponse => {
                    format!("hook-{safe}-conversion-response-{id}.json")
                }
                OutputFile::KubernetesPatch => format!("{safe}-object-patch-{id}"),
            };
            outputs.push((kind, spec.tmp_dir.join(name)));
        }
        let mut files = RunFiles {
            binding_context: Some(binding_context),
            outputs,
            keep: spec.tmp_files,
            removed: false,
        };
        let jobs: Vec<(PathBuf, Vec<u8>)> = files
            .paths()
            .enumerate()
            .map(|(i, p)| {
                let contents = if i == 0 {
                    spec.binding_context.clone()
                } else {
                    Vec::new()
                };
                (p.clone(), contents)
            })
            .collect();
        let result = blocking(move || {
            for (path, contents) in &jobs {
                create_file(path, contents)?;
            }
            Ok(())
        })
        .await;
        if let Err(e) = result {
            files.remove().await;
            return Err(e);
        }
        Ok(files)
    }

    /// The env vars pointing the hook at the files.
    pub(crate) fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env = Vec::new();
        if let Some(p) = &self.binding_context {
            env.push((BINDING_CONTEXT_PATH.into(), p.clone().into_os_string()));
        }
        for (kind, path) in &self.outputs {
            let names: &[&str] = match kind {
                OutputFile::Metrics => &[METRICS_PATH],
                OutputFile::KubernetesPatch => &[KUBERNETES_PATCH_PATH],
                OutputFile::AdmissionResponse => {
                    &[VALIDATING_RESPONSE_PATH, ADMISSION_RESPONSE_PATH]
                }
                OutputFile::ConversionResponse => &[CONVERSION_RESPONSE_PATH],
            };
            for name in names {
                env.push(((*name).into(), path.clone().into_os_string()));
            }
        }
        env
    }

    /// Reads the output files back, then removes all files unless kept: one blocking-pool job.
    pub(crate) async fn collect(mut self) -> Result<OutputContents, ExecError> {
        let outputs = self.outputs.clone();
        let remove: Vec<PathBuf> = match self.keep {
            TmpFiles::Keep => Vec::new(),
            TmpFiles::Remove => self.paths().cloned().collect(),
        };
        let result = blocking(move || {
            let mut out = OutputContents::default();
            let mut read = || -> Result<(), ExecError> {
                for (kind, path) in &outputs {
                    let data = Some(read_limited(path)?);
                    match kind {
                        OutputFile::Metrics => out.metrics = data,
                        OutputFile::KubernetesPatch => out.kubernetes_patch = data,
                        OutputFile::AdmissionResponse => out.admission_response = data,
                        OutputFile::ConversionResponse => out.conversion_response = data,
                    }
                }
                Ok(())
            };
            let read = read();
            remove_all(&remove);
            read.map(|()| out)
        })
        .await;
        self.removed = true;
        result
    }

    /// Removes the files unless asked to keep them.
    pub(crate) async fn finish(mut self) {
        match self.keep {
            TmpFiles::Keep => {}
            TmpFiles::Remove => self.remove().await,
        }
    }

    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.binding_context
            .iter()
            .chain(self.outputs.iter().map(|(_, p)| p))
    }

    async fn remove(&mut self) {
        self.removed = true;
        let paths: Vec<PathBuf> = self.paths().cloned().collect();
        let _ = blocking(move || {
            remove_all(&paths);
            Ok(())
        })
        .await;
    }
}

fn remove_all(paths: &[PathBuf]) {
    for path in paths {
        if let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove hook temporary file");
        }
    }
}

/// Runs short file-system work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ExecError> + Send + 'static,
) -> Result<T, ExecError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(ExecError::TmpFile {
            path: PathBuf::new(),
            source: std::io::Error::other(e),
        }),
    }
}

fn create_file(path: &Path, contents: &[u8]) -> Result<(), ExecError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let err = |source| ExecError::TmpFile {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    if !contents.is_empty() {
        file.write_all(contents).map_err(err)?;
    }
    Ok(())
}

fn read_limited(path: &Path) -> Result<Vec<u8>, ExecError> {
    use std::io::Read;
    let err = |source| ExecError::ReadOutput {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(err)?;
    let mut data = Vec::new();
    file.take(MAX_OUTPUT_FILE_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(err)?;
    if data.len() as u64 > MAX_OUTPUT_FILE_BYTES {
        return Err(ExecError::OutputTooLarge {
            path: path.to_path_buf(),
            limit: MAX_OUTPUT_FILE_BYTES,
        });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_match_upstream_examples() {
        assert_eq!(
            safe_file_name("002-cool-hooks/monitor-namespaces.py"),
            "002-cool-hooks-monitor-namespaces-py"
        );
        assert_eq!(safe_file_name("a b/c..d$"), "a-b-c-d");
    }
}
