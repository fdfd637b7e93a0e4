//! `addon-operator render`: build the render options from the command line and print what
//! `helm template` prints.

use helm_render::{HelmRenderer, RenderError, RenderOptions, RenderedRelease, Renderer};

use crate::cli::RenderArgs;
use crate::values::{ValuesError, supplied_values};

/// Why `render` failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderCmdError {
    /// The supplied values are invalid.
    #[error(transparent)]
    Values(#[from] ValuesError),
    /// `--kube-version` is not a version.
    #[error("invalid kube version {0:?}: expected X.Y or vX.Y.Z")]
    KubeVersion(String),
    /// The chart does not render.
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Helm's `--kube-version` accepts `1.30`, `v1.30` and `1.30.2`; `.Capabilities` shows `v1.30.0`.
pub fn normalize_kube_version(text: &str) -> Result<String, RenderCmdError> {
    let bad = || RenderCmdError::KubeVersion(text.to_string());
    let bare = text.strip_prefix('v').unwrap_or(text);
    let parts: Vec<&str> = bare.split('.').collect();
    if !(1..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let num = |i: usize| -> Result<u64, RenderCmdError> {
        parts.get(i).map_or(Ok(0), |p| p.parse().map_err(|_| bad()))
    };
    Ok(format!("v{}.{}.{}", num(0)?, num(1)?, num(2)?))
}

/// The render options for the arguments.
pub fn options(args: &RenderArgs) -> Result<RenderOptions, RenderCmdError> {
    let mut opts = RenderOptions {
        release_name: args.name.clone(),
        namespace: args.namespace.clone(),
        values: supplied_values(&args.values, &args.set)?,
        api_versions: args.api_versions.clone(),
        is_upgrade: args.is_upgrade,
        // `--set` integers are int64 in Helm; `-f` file numbers arrive here as JSON floats.
        set_integers_as_int64: true,
        ..RenderOptions::default()
    };
    if let Some(v) = &args.kube_version {
        opts.kube_version = normalize_kube_version(v)?;
    }
    Ok(opts)
}

/// `helm template`'s output: the manifest, then each hook with its `# Source:` header.
pub fn template_text(release: &RenderedRelease) -> String {
    let mut out = String::new();
    let manifest = release.manifest.trim();
    if !manifest.is_empty() {
        out.push_str(manifest);
        out.push('\n');
    }
    for hook in &release.hooks {
        out.push_str(&format!(
            "---\n# Source: {}\n{}\n",
            hook.source, hook.content
        ));
    }
    out
}

/// Runs `render` and returns the text to print.
pub fn run(args: &RenderArgs) -> Result<String, RenderCmdError> {
    let opts = options(args)?;
    let release = HelmRenderer::new().render(&args.chart_dir, &opts)?;
    Ok(template_text(&release))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_are_completed_to_three_parts() {
        assert_eq!(normalize_kube_version("1.30").unwrap(), "v1.30.0");
        assert_eq!(normalize_kube_version("v1.29.4").unwrap(), "v1.29.4");
        assert_eq!(normalize_kube_version("1").unwrap(), "v1.0.0");
        assert!(normalize_kube_version("1.x").is_err());
        assert!(normalize_kube_version("").is_err());
        assert!(normalize_kube_version("1.2.3.4").is_err());
    }
}
