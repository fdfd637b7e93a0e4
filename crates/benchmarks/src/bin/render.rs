//! `cargo xtask bench render`: median time per render of the project's own library-chart-based
//! modules (`modules/`) with helm-render against real Helm (helm-python-sdk) in the same run,
//! and the peak memory of both.
//!
//! helm-render is measured two ways, because it caches what it loaded and parsed:
//! - cold: `HelmRenderer::uncached()`, every render reads the chart directory, parses
//!   Chart.yaml/values.yaml, parses every template and every rendered document's YAML:
//!   the cost of the first render of a module;
//! - warm: `HelmRenderer::new()` rendering the same module again, as the operator does: the
//!   chart's directories and files are only stat'ed to check they are unchanged, templates
//!   come parsed from a memo keyed by their text, and so do the kind/hook heads of rendered
//!   documents whose text is unchanged; values coalescing, template execution, splitting,
//!   sorting and joining run in full.
//!
//! Both run on helm-render's reused render thread, so each render includes handing the job
//! to that thread and the result back. Helm (the oracle) has no such cache: each of its
//! renders loads and parses the chart.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use benchmarks::Summary;
use helm_render::{HelmRenderer, RenderOptions, RenderedRelease, Renderer};

const OUR_RUNS: usize = 500;
const ORACLE_RUNS: usize = 100;
const WARMUP: usize = 5;
const MODULES: &[(&str, &str)] = &[
    ("010-echo-server", "echo-server"),
    ("020-cron-reporter", "cron-reporter"),
];

/// Runs inside the oracle's Python: loads Helm once, renders N times and times each render
/// with `perf_counter_ns`, so interpreter and shared-library start-up are not counted.
const ORACLE_SCRIPT: &str = r#"
import json, os, resource, sys, time
os.environ.setdefault("KUBECONFIG", "/nonexistent")
import helm_python as helm
helm.disable_logging()
chart, runs, warmup, name, ns, values_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
with open(values_file) as f:
    vals = helm.values_from_yaml(f.read()) or {}
samples = []
manifest = ""
for i in range(runs + warmup):
    t = time.perf_counter_ns()
    with helm.Config(storage_driver="memory", namespace=ns) as cfg:
        rel = cfg.install(chart, name, vals, namespace=ns, dry_run="client")
    dt = time.perf_counter_ns() - t
    if i >= warmup:
        samples.append(dt)
    manifest = rel["manifest"]
print(json.dumps({"samples_ns": samples, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "manifest": manifest}))
"#;

struct OracleRun {
    summary: Summary,
    maxrss_kib: u64,
    manifest: String,
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let values_file = root.join("modules/values.yaml");
    let values = helm_render::codec::parse_yaml(&std::fs::read_to_string(&values_file)?)
        .map_err(|e| anyhow::anyhow!("modules/values.yaml: {e}"))?
        .to_json();
    let oracle = std::env::var("HELM_ORACLE_PYTHON").ok();
    println!("# bench render");
    println!(
        "modules/{{{}}} with the library chart modules/lib/helm_lib_example (charts/ symlink), values modules/values.yaml",
        MODULES
            .iter()
            .map(|(d, _)| *d)
            .collect::<Vec<_>>()
            .join(",")
    );
    println!(
        "helm-render, in process, {OUR_RUNS} runs after {WARMUP} warm-up each, on its render thread (hand-off included):\n  \
         cold = HelmRenderer::uncached().render: read chart dir + parse Chart.yaml/values.yaml + parse templates + render + parse every document's YAML + split/sort\n  \
         warm = HelmRenderer::new().render of the same module again: stat the chart's dirs/files (cache check) + render + split/sort; \
         templates and unchanged documents' YAML heads come from memos keyed by their text"
    );
    match &oracle {
        Some(py) => println!(
            "oracle: {py} (helm-python-sdk, Helm v4.2.3) Config(memory).install(dry_run=\"client\") \
             (load chart + render + split/sort), {ORACLE_RUNS} runs after {WARMUP} warm-up in ONE python \
             process, each timed inside Python with perf_counter_ns (start-up not counted)"
        ),
        None => println!(
            "oracle: SKIPPED, HELM_ORACLE_PYTHON is not set (point it at a python with helm-python-sdk==0.2.2, \
             e.g. target/helm-oracle/bin/python)"
        ),
    }
    let script_dir = tempfile::tempdir()?;
    let script = script_dir.path().join("oracle_bench.py");
    std::fs::write(&script, ORACLE_SCRIPT)?;
    let mut oracle_rss = 0u64;
    let mut first_render: Option<Duration> = None;
    for (dir, release) in MODULES {
        let chart = root.join("modules").join(dir);
        let opts = RenderOptions {
            release_name: (*release).to_string(),
            namespace: format!("d8-{release}"),
            values: values.clone(),
            ..RenderOptions::default()
        };
        if first_render.is_none() {
            // The very first render in the process: starts the render thread, builds the
            // function table, loads and parses; nothing cached yet.
            let start = Instant::now();
            HelmRenderer::new().render(&chart, &opts)?;
            first_render = Some(start.elapsed());
        }
        let (cold, cold_manifest) = measure(&HelmRenderer::uncached(), &chart, &opts)?;
        let (warm, manifest) = measure(&HelmRenderer::new(), &chart, &opts)?;
        anyhow::ensure!(
            cold_manifest == manifest,
            "{dir}: cached and uncached renders differ"
        );
        println!("{dir}:");
        println!("  helm-render cold: {cold}");
        println!("  helm-render warm: {warm}");
        let Some(py) = &oracle else { continue };
        let run = run_oracle(py, &script, &chart, release, &values_file)?;
        oracle_rss = oracle_rss.max(run.maxrss_kib);
        println!("  oracle:           {}", run.summary);
        let ratio = |ours: &Summary| run.summary.p50.as_secs_f64() / ours.p50.as_secs_f64();
        println!(
            "  ratio of medians: warm {:.1}x faster (goal >= 10x), cold {:.1}x faster; identical manifest: {}",
            ratio(&warm),
            ratio(&cold),
            if run.manifest == manifest {
                "yes"
            } else {
                "NO"
            }
        );
    }
    if let Some(first) = first_render {
        println!(
            "first render in the process (thread start, function table, load, parse): {:.3}ms",
            first.as_secs_f64() * 1e3
        );
    }
    let ours_rss = benchmarks::peak_rss_bytes().map_or_else(
        || "unknown".to_string(),
        |b| format!("{:.1} MiB", b as f64 / 1048576.0),
    );
    println!("peak memory: helm-render process VmHWM {ours_rss}");
    if oracle.is_some() {
        println!(
            "peak memory: oracle python max RSS (getrusage ru_maxrss) {:.1} MiB",
            oracle_rss as f64 / 1024.0
        );
    }
    Ok(())
}

/// Renders `chart` WARMUP + OUR_RUNS times; the summary of the timed runs and the last manifest.
fn measure(
    renderer: &HelmRenderer,
    chart: &Path,
    opts: &RenderOptions,
) -> anyhow::Result<(Summary, String)> {
    let mut samples = Vec::with_capacity(OUR_RUNS);
    let mut last = RenderedRelease::default();
    for i in 0..OUR_RUNS + WARMUP {
        let start = Instant::now();
        let out = renderer.render(chart, opts)?;
        let took = start.elapsed();
        if i >= WARMUP {
            samples.push(took);
        }
        last = out;
    }
    let summary = Summary::of(&samples).ok_or_else(|| anyhow::anyhow!("no samples"))?;
    Ok((summary, last.manifest))
}

fn run_oracle(
    python: &str,
    script: &PathBuf,
    chart: &Path,
    release: &str,
    values_file: &Path,
) -> anyhow::Result<OracleRun> {
    let out = Command::new(python)
        .arg(script)
        .arg(chart)
        .args([ORACLE_RUNS.to_string(), WARMUP.to_string()])
        .args([release.to_string(), format!("d8-{release}")])
        .arg(values_file)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let samples: Vec<Duration> = report["samples_ns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_u64)
                .map(Duration::from_nanos)
                .collect()
        })
        .unwrap_or_default();
    Ok(OracleRun {
        summary: Summary::of(&samples).ok_or_else(|| anyhow::anyhow!("oracle gave no samples"))?,
        maxrss_kib: report["maxrss_kib"].as_u64().unwrap_or(0),
        manifest: report["manifest"].as_str().unwrap_or_default().to_string(),
    })
}
