//! `cargo xtask demo`: the main job on the embedded default, no cluster needed.
//!
//! Starts the embedded Kubernetes API server, shows `kubectl` working against it (discovery, apply,
//! strategic patch, watch-free reads), then stops it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::cmd;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Keep the API server running after the demo until Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
}

const DEMO_MANIFEST: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: default
  labels:
    app: demo
data:
  greeting: hello
"#;

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    cmd::run(cmd::cargo().args(["build", "--quiet", "-p", "embedded-apiserver"]))?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| cmd::root().join("target"));
    let dir = target.join("demo");
    std::fs::create_dir_all(&dir)?;
    let kubeconfig = dir.join("kubeconfig.yaml");
    let manifest = dir.join("configmap.yaml");
    std::fs::write(&manifest, DEMO_MANIFEST)?;

    let mut server = Command::new(target.join("debug").join("embedded-apiserver"))
        .args(["--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting embedded-apiserver")?;
    let stdout = server.stdout.take().context("embedded-apiserver stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(line) => {
                let line = line?;
                println!("{line}");
                if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http")) {
                    break url.to_string();
                }
            }
            None => bail!("embedded-apiserver exited before printing its URL"),
        }
    };
    println!(
        "embedded API server at {url}, kubeconfig {}",
        kubeconfig.display()
    );

    let steps: &[&[&str]] = &[
        &["version"],
        &["get", "namespaces"],
        &["apply", "-f", manifest.to_str().unwrap_or_default()],
        &[
            "patch",
            "configmap",
            "demo",
            "--type",
            "strategic",
            "-p",
            r#"{"data":{"patched":"yes"}}"#,
        ],
        &["get", "configmaps", "-l", "app=demo", "-o", "yaml"],
        &["delete", "configmap", "demo"],
    ];
    let result = steps.iter().try_for_each(|step| {
        cmd::run(
            Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .args(*step),
        )
    });

    if args.keep_running && result.is_ok() {
        println!("serving until Ctrl-C; KUBECONFIG={}", kubeconfig.display());
        let _ = server.wait();
        return Ok(());
    }
    cmd::run(Command::new("kill").args(["-TERM", &server.id().to_string()]))?;
    let status = server.wait()?;
    result?;
    if !status.success() {
        bail!("embedded-apiserver exited with {status} after SIGTERM");
    }
    println!("demo finished: embedded-apiserver stopped cleanly");
    Ok(())
}
