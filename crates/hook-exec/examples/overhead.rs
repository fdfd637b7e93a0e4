//! Compares `run_hook` on a no-op hook with a bare spawn of the same executable.
//! `cargo run --release -p hook-exec --example overhead -- [runs]`

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use hook_exec::{HookRunSpec, run_hook};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let hook = dir.path().join("noop.sh");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n")?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp)?;
    let mut spec = HookRunSpec::new(hook.clone(), tmp, "noop.sh");
    if std::env::args().nth(2).as_deref() == Some("no-outputs") {
        spec.output_files.clear();
    }
    let cancel = CancellationToken::new();
    let mut bare = Duration::ZERO;
    let mut full = Duration::ZERO;
    for _ in 0..runs {
        let t = Instant::now();
        tokio::process::Command::new(&hook)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .output()
            .await?;
        bare += t.elapsed();
        let t = Instant::now();
        run_hook(&spec, &cancel).await?;
        full += t.elapsed();
    }
    println!(
        "bare spawn {:?}/run, run_hook {:?}/run, ratio {:.2}",
        bare / runs,
        full / runs,
        full.as_secs_f64() / bare.as_secs_f64()
    );
    Ok(())
}
