//! `cargo xtask bench <name>`: runs one benchmark binary of the `benchmarks` crate in release mode.
//!
//! Each benchmark prints its own figures; `docs/BENCHMARKS.md` records them with the command.

use anyhow::bail;

use crate::{cmd, oracle};

/// The benchmarks that exist, with what they measure.
const BENCHES: &[(&str, &str)] = &[
    (
        "apiserver",
        "embedded API server: writes/s, watch fan-out delay, memory per stored byte",
    ),
    (
        "engine",
        "hook engine: run overhead vs bare spawn, event combining, queue operations",
    ),
    (
        "kube",
        "shell-operator on 10,000 ConfigMaps: RSS, start to Synchronization, event latency, jaq vs jq",
    ),
    (
        "webhook",
        "admission round trip (direct and through the embedded API server) minus the hook's own run",
    ),
    (
        "render",
        "helm-render vs the Helm oracle on the example modules: time per render, peak memory",
    ),
];

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Which benchmark to run; `list` prints them.
    pub name: String,
    /// Extra arguments handed to the benchmark binary.
    #[arg(last = true)]
    pub args: Vec<String>,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.name == "list" {
        for (name, what) in BENCHES {
            println!("{name:12} {what}");
        }
        return Ok(());
    }
    if !BENCHES.iter().any(|(name, _)| *name == args.name) {
        let known: Vec<&str> = BENCHES.iter().map(|(name, _)| *name).collect();
        bail!(
            "unknown benchmark {:?}; known: {}",
            args.name,
            known.join(", ")
        );
    }
    let mut run = cmd::cargo();
    run.args(["run", "--release", "--quiet", "-p", "benchmarks", "--bin"])
        .arg(&args.name)
        .arg("--")
        .args(&args.args);
    if args.name == "render"
        && let Some(python) = oracle::ensure()?
    {
        run.env("HELM_ORACLE_PYTHON", python);
    }
    if args.name == "kube" {
        run.env("SHELL_OPERATOR_BIN", build_shell_operator()?);
    }
    cmd::run(&mut run)
}

/// Builds the release `shell-operator` binary and returns its path.
fn build_shell_operator() -> anyhow::Result<std::path::PathBuf> {
    let mut build = cmd::cargo();
    build.args(["build", "--release", "--quiet", "-p", "shell-operator"]);
    cmd::run(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| cmd::root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        cmd::root().join(target)
    };
    Ok(target.join("release").join("shell-operator"))
}
