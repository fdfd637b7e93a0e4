//! Running child commands from the workspace root with echoing and clear failures.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The cargo the xtask was started with.
pub fn cargo() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root());
    cmd
}

/// Run a command to completion, echoing it first; a non-zero exit is an error.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {}", render(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", render(cmd)))?;
    if !status.success() {
        bail!("{} failed: {status}", render(cmd));
    }
    Ok(())
}

/// A printable form of a command line.
pub fn render(cmd: &Command) -> String {
    let mut out = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    out
}
