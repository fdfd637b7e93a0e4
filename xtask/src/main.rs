//! Project automation: `cargo xtask ci`, `cargo xtask bench <name>`, `cargo xtask demo`.

mod bench;
mod ci;
mod cmd;
mod demo;
mod oracle;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "xtask",
    about = "Project automation for the shell-operator/addon-operator workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run exactly what CI runs: set-up, formatting, lints and the whole test suite.
    Ci(ci::CiArgs),
    /// Run a benchmark and print its figures.
    Bench(bench::BenchArgs),
    /// The main job on the embedded default: no cluster needed.
    Demo(demo::DemoArgs),
    /// Install the test-only tools a fresh machine lacks (the Helm oracle).
    Setup,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Ci(args) => ci::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Setup => oracle::ensure().map(|_| ()),
    }
}
