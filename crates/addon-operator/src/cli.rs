//! Command line of the `addon-operator` binary (clap subcommands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// `addon-operator [COMMAND]`.
#[derive(Debug, Parser)]
#[command(
    name = "addon-operator",
    version,
    about = "Runs Deckhouse-style modules: Helm charts with hooks"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; `start` and `module ...` join this enum when the engine lands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart or module directory and print the manifest like `helm template`.
    Render(RenderArgs),
    /// Print `addon-operator <version>`.
    Version,
}

/// Arguments of `addon-operator render`.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The chart (module) directory.
    pub chart_dir: PathBuf,
    /// Values files, merged in order (later files win).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Values in Helm's `--set` syntax (`a.b=1,c[0]=x`), applied after the files.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Release name (`.Release.Name`).
    #[arg(long, default_value = "release-name")]
    pub name: String,
    /// Release namespace (`.Release.Namespace`).
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Kubernetes version for `.Capabilities.KubeVersion`, like `1.30` or `v1.30.2`.
    #[arg(long = "kube-version", value_name = "X.Y")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions.Has` (repeatable).
    #[arg(long = "api-versions", short = 'a', value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// Render as an upgrade instead of an install.
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_collects_repeated_values_and_set_flags() {
        let cli = Cli::try_parse_from([
            "addon-operator",
            "render",
            "dir",
            "-f",
            "a.yaml",
            "--values",
            "b.yaml",
            "--set",
            "x=1",
            "--set",
            "y=2",
            "--name",
            "r",
            "--namespace",
            "ns",
            "--kube-version",
            "1.30",
        ])
        .unwrap();
        let Command::Render(args) = cli.command else {
            panic!("not render")
        };
        assert_eq!(
            args.values,
            vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]
        );
        assert_eq!(args.set, vec!["x=1", "y=2"]);
        assert_eq!((args.name.as_str(), args.namespace.as_str()), ("r", "ns"));
        assert_eq!(args.kube_version.as_deref(), Some("1.30"));
    }

    #[test]
    fn a_missing_chart_dir_is_a_usage_error() {
        assert!(Cli::try_parse_from(["addon-operator", "render"]).is_err());
    }
}
