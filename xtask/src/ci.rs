//! `cargo xtask ci`: the one command CI runs (through `.ci/run`) and the README names.

use crate::{cmd, oracle};

#[derive(clap::Args)]
pub struct CiArgs {
    /// Skip `cargo fmt --check` and clippy (quick local test runs only; CI never passes this).
    #[arg(long)]
    pub tests_only: bool,
}

pub fn run(args: &CiArgs) -> anyhow::Result<()> {
    let oracle = oracle::ensure()?;
    if !args.tests_only {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--check"]))?;
        cmd::run(cmd::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    let mut nextest = cmd::cargo();
    nextest.args([
        "nextest",
        "run",
        "--workspace",
        "--no-fail-fast",
        "--failure-output",
        "final",
    ]);
    if let Some(python) = &oracle {
        nextest.env("HELM_ORACLE_PYTHON", python);
    }
    cmd::run(&mut nextest)?;
    cmd::run(cmd::cargo().args(["test", "--workspace", "--doc"]))?;
    Ok(())
}
