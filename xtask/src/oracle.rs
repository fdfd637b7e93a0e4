//! The Helm oracle (`helm-python-sdk` from PyPI) that rendering tests compare against.
//!
//! It is installed into `target/helm-oracle` on first use. Outside CI a failed install only warns:
//! the committed golden files still check the renderer. In CI (`CI=true`) it is an error.

use std::path::PathBuf;
use std::process::Command;

use anyhow::bail;

use crate::cmd;

const PACKAGE: &str = "helm-python-sdk==0.2.2";

/// Make sure the oracle venv exists; returns its python, or `None` where it could not be installed outside CI.
pub fn ensure() -> anyhow::Result<Option<PathBuf>> {
    let venv = cmd::root().join("target").join("helm-oracle");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".installed");
    if marker.exists() {
        return Ok(Some(python));
    }
    let result = install(&venv, &python).and_then(|()| {
        std::fs::write(&marker, PACKAGE)?;
        Ok(())
    });
    match result {
        Ok(()) => Ok(Some(python)),
        Err(err) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            bail!("installing the Helm oracle failed: {err:#}")
        }
        Err(err) => {
            eprintln!("warning: Helm oracle not installed ({err:#}); golden files still apply");
            Ok(None)
        }
    }
}

fn install(venv: &std::path::Path, python: &std::path::Path) -> anyhow::Result<()> {
    cmd::run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    cmd::run(Command::new(python).args(["-m", "pip", "install", "--quiet", PACKAGE]))?;
    Ok(())
}
