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
//!
//! # Which Helm
//!
//! The target is Helm v4's output: the test oracle is Helm v4 linked from `helm-python-sdk`,
//! and the corpus under `tests/charts/` is compared with it byte for byte (goldens committed).
//! Helm's v4 overview says `apiVersion: v2` charts render unchanged; the rendering differences
//! from v3 we know of are:
//! - manifest splitting: v4 trims only the leading whitespace of each document, v3 trims both
//!   ends ([`ManifestSplit`] reproduces either; v4 is the default);
//! - `.Chart` fields are the Go struct's capitalised names in v4 (`APIVersion`, `Maintainers`;
//!   reported upstream as helm/helm#31344), which shows in `toYaml .Chart`;
//! - the Sprig version follows the Helm release, not the major: the v4 oracle links Sprig 3.3,
//!   where `durationRound` writes months as `mo` and `duration`/`durationRound` read only int64
//!   and strings (older v3 releases link older Sprig).
//!
//! # Functions
//!
//! Go's builtins, every function of Sprig v3's map except `env`/`expandenv` (removed by Helm),
//! and Helm's own (`include`, `tpl`, `required`, `fail`, `lookup`, `toYaml`, `toYamlPretty`,
//! `mustToYaml`, `fromYaml`, `fromYamlArray`, `toJson`, `mustToJson`, `fromJson`,
//! `fromJsonArray`, `toToml`, `mustToToml`, `fromToml`). `randSeededNumeric` is not in the Sprig
//! Helm links, so it is not defined here either. Known differences:
//! - Sprig's crypto functions (`genPrivateKey`, `genCA`, `genSelfSignedCert`, `genSignedCert`
//!   and the `…WithKey` forms, `buildCustomCert`, `bcrypt`, `htpasswd`, `encryptAES`,
//!   `randBytes`) are random by nature: keys, certificate fields and PEM block types follow
//!   Go's, and the tests check their structure rather than bytes. Certificates are signed with
//!   RSA (2048 bits and up), P-256 or Ed25519 keys; other EC curves given to a `…WithKey`
//!   function are refused. DSA keys can be generated (`genPrivateKey "dsa"`) but, as in Go,
//!   cannot sign certificates.
//! - Our values do not tell a Go `int` from an `int64`: `typeOf`/`kindOf` say `int` where Helm
//!   may say `int64` (TOML and `--set` integers), and `duration`/`durationRound` take template
//!   integer literals as int64 where Sprig reads them as 0.
//! - `date`, `htmlDate` and `toDate` use UTC for Go's `Local`.
//! - `b64dec` (and other string results) of bytes that are not UTF-8 replace them with U+FFFD,
//!   where a Go string keeps the raw bytes.

mod cache;
pub mod chart;
pub mod codec;
pub mod engine;
mod fast_hash;
pub mod format;
pub mod funcs;
pub mod manifest;
mod memo;
pub mod render;
pub mod value;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use chart::ChartError;
pub use manifest::{ManifestSplit, RenderedManifest};

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
    /// Read integer JSON numbers in `values` as Go `int64` rather than `float64`. Helm's
    /// `--set` parser types integers as int64 (`{{ 1000000 }}` prints `1000000`), while values
    /// files decode to float64 (`1e+06`); set this when `values` holds `--set` integers and
    /// file numbers as JSON floats (as `codec::parse_yaml(..).to_json()` writes them).
    pub set_integers_as_int64: bool,
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
            set_integers_as_int64: false,
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
///
/// [`Renderer::render`] runs on a reused render thread with a 256 MiB stack (templates may
/// recurse deeply; see the crate's `worker` module) and, unless built with
/// [`HelmRenderer::uncached`], keeps on that thread what it loaded and parsed:
/// - the loaded chart, by directory: the next render re-reads nothing, it only stats the
///   directories and files the chart came from to see that they are unchanged;
/// - parsed templates and `tpl` strings, by name and text;
/// - each rendered document's kind and hook annotation, by text (Helm parses every document
///   as YAML; an unchanged document is not parsed again).
///
/// Values are coalesced, every template is executed, and documents are split, sorted and
/// joined on every render; the output is the same with or without the caches.
#[derive(Debug, Clone)]
pub struct HelmRenderer {
    funcs: Arc<funcs::Funcs>,
    cache: bool,
}

impl Default for HelmRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl HelmRenderer {
    /// A renderer with Helm's function set that caches loaded charts and parsed templates.
    pub fn new() -> Self {
        HelmRenderer {
            funcs: funcs::Funcs::shared(),
            cache: true,
        }
    }

    /// A renderer that keeps nothing between renders: it reads and loads the chart, parses
    /// every template and every rendered document afresh each time (what the first render
    /// of a chart costs).
    pub fn uncached() -> Self {
        HelmRenderer {
            cache: false,
            ..Self::new()
        }
    }

    /// Renders an already loaded chart on the calling thread (whose stack must be big enough
    /// for the templates' recursion); parsed templates and document heads are cached on this
    /// thread unless the renderer is [`HelmRenderer::uncached`].
    pub fn render_chart(
        &self,
        chart: &chart::Chart,
        opts: &RenderOptions,
    ) -> Result<RenderedRelease, RenderError> {
        if self.cache {
            cache::with(|c| render_loaded(chart, opts, &self.funcs, Some(&mut c.parsed)))
        } else {
            render_loaded(chart, opts, &self.funcs, None)
        }
    }
}

fn render_loaded(
    chart: &chart::Chart,
    opts: &RenderOptions,
    funcs: &funcs::Funcs,
    parse_cache: Option<&mut engine::ParseCache>,
) -> Result<RenderedRelease, RenderError> {
    let cached = parse_cache.is_some();
    let rendered = render::render_templates_with(chart, opts, funcs, parse_cache)?;
    let notes_key = format!("{}/templates/NOTES.txt", chart.metadata.name);
    let notes = rendered.get(&notes_key).cloned();
    let (manifests, hooks) = if cached {
        manifest::collect(&rendered, opts.manifest_split)?
    } else {
        manifest::collect_fresh(&rendered, opts.manifest_split)?
    };
    Ok(RenderedRelease {
        manifest: manifest::manifest_text(&manifests),
        manifests,
        hooks,
        notes,
    })
}

impl Renderer for HelmRenderer {
    fn render(
        &self,
        chart_dir: &Path,
        opts: &RenderOptions,
    ) -> Result<RenderedRelease, RenderError> {
        let dir: PathBuf = chart_dir.to_path_buf();
        let opts = opts.clone();
        let funcs = self.funcs.clone();
        let cached = self.cache;
        worker::run(move || {
            if cached {
                cache::with(|c| {
                    let chart = c.charts.load(&dir)?;
                    render_loaded(&chart, &opts, &funcs, Some(&mut c.parsed))
                })
            } else {
                let chart = chart::load_dir(&dir)?;
                render_loaded(&chart, &opts, &funcs, None)
            }
        })
        .map_err(|e| RenderError::Thread(e.to_string()))?
    }
}
