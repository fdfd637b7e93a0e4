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
    cmd::run(&mut run)
}
