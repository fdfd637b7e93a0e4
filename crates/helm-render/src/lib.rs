//! Helm-compatible chart rendering: Go text/template, Sprig and Helm functions
//!
//! [`HelmRenderer`] renders a chart directory the way `helm template` does and returns
//! the release manifest Helm would store (kind-sorted documents with `# Source:` headers).
//!
//! ```no_run
//! use helm_render::{HelmRenderer, RenderOptions, Renderer};
//! let opts = RenderOptions { release_name: "demo".into(), ..RenderOptions::default() };
//! let release = HelmRenderer::new().render(std::path::Path::new("modules/echo"), &opts);
//! ```

pub mod chart;
pub mod codec;
pub mod engine;
pub mod format;
pub mod funcs;
pub mod manifest;
pub mod render;
pub mod value;

use std::path::{Path, PathBuf};

pub use chart::ChartError;
pub use manifest::{ManifestSplit, RenderedManifest};

/// Stack for the render thread: `include` may recurse 1000 levels deep as in Helm.
const RENDER_STACK_BYTES: usize = 256 << 20;

/// Inputs of one render besides the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// `.Release.Name`.
    pub release_name: String,
    /// `.Release.Namespace`.
    pub namespace: String,
    /// Supplied values (like `-f`/`--set`), coalesced over the chart's values.yaml.
    pub values: serde_json::Value,
    /// `.Capabilities.KubeVersion`, e.g. `v1.36.0`.
    pub kube_version: String,
    /// Extra group/versions for `.Capabilities.APIVersions.Has`, beyond the built-in ones.
    pub api_versions: Vec<String>,
    /// Render as an upgrade (`.Release.IsUpgrade`) rather than an install.
    pub is_upgrade: bool,
    /// `.Release.Revision`.
    pub revision: i64,
    /// Which Helm major's document trimming to reproduce in the manifest text.
    pub manifest_split: ManifestSplit,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            values: serde_json::Value::Object(Default::default()),
            kube_version: "v1.36.0".into(),
            api_versions: Vec::new(),
            is_upgrade: false,
            revision: 1,
            manifest_split: ManifestSplit::default(),
        }
    }
}

/// The result of rendering a chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderedRelease {
    /// The manifest text `helm template` prints (without hooks); the release checksum input.
    pub manifest: String,
    /// The documents of `manifest`, in order.
    pub manifests: Vec<RenderedManifest>,
    /// Documents annotated `helm.sh/hook`, which Helm keeps out of the manifest.
    pub hooks: Vec<RenderedManifest>,
    /// NOTES.txt of the top chart, when present.
    pub notes: Option<String>,
}

/// Why a render failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RenderError {
    /// The chart could not be loaded or its dependencies are inconsistent.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// Supplied values are not a map.
    #[error("values: {0}")]
    Values(String),
    /// A template does not parse (syntax, unknown function).
    #[error("parse error at ({template}:{line}:{col}): {message}")]
    Parse {
        /// Top chart name.
        chart: String,
        /// Template file.
        template: String,
        /// 1-based line.
        line: usize,
        /// 0-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// Executing a template failed (`fail`, `required`, a bad call, recursion).
    #[error("execution error at ({template}:{line}:{col}): {message}")]
    Template {
        /// Top chart name.
        chart: String,
        /// Template file where rendering stopped.
        template: String,
        /// 1-based line.
        line: usize,
        /// 0-based column.
        col: usize,
        /// The innermost message.
        message: String,
        /// Go's full error chain, with every nested template position.
        detail: String,
    },
    /// A rendered document is not valid YAML.
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    /// The render thread could not run.
    #[error("render thread: {0}")]
    Thread(String),
}

/// Renders a module's chart into manifests; the addon-operator picks an implementation per module.
pub trait Renderer {
    /// Renders the chart in `chart_dir`.
    fn render(
        &self,
        chart_dir: &Path,
        opts: &RenderOptions,
    ) -> Result<RenderedRelease, RenderError>;
}

/// The Helm-compatible renderer.
#[derive(Debug, Clone, Default)]
pub struct HelmRenderer {
    funcs: funcs::Funcs,
}

impl HelmRenderer {
    /// A renderer with Helm's function set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renders an already loaded chart (on the calling thread).
    pub fn render_chart(
        &self,
        chart: &chart::Chart,
        opts: &RenderOptions,
    ) -> Result<RenderedRelease, RenderError> {
        let rendered = render::render_templates(chart, opts, &self.funcs)?;
        let notes_key = format!("{}/templates/NOTES.txt", chart.metadata.name);
        let notes = rendered.get(&notes_key).cloned();
        let (manifests, hooks) = manifest::collect(&rendered, opts.manifest_split)?;
        Ok(RenderedRelease {
            manifest: manifest::manifest_text(&manifests),
            manifests,
            hooks,
            notes,
        })
    }
}

impl Renderer for HelmRenderer {
    fn render(
        &self,
        chart_dir: &Path,
        opts: &RenderOptions,
    ) -> Result<RenderedRelease, RenderError> {
        let dir: PathBuf = chart_dir.to_path_buf();
        let opts = opts.clone();
        let this = self.clone();
        let handle = std::thread::Builder::new()
            .name("helm-render".into())
            .stack_size(RENDER_STACK_BYTES)
            .spawn(move || {
                let chart = chart::load_dir(&dir)?;
                this.render_chart(&chart, &opts)
            })
            .map_err(|e| RenderError::Thread(e.to_string()))?;
        handle
            .join()
            .map_err(|_| RenderError::Thread("render thread panicked".into()))?
    }
}
