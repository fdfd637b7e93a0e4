//! `cargo xtask bench kube`: the release `shell-operator` binary (its own process, so its RSS is
//! its own) watching 10,000 ConfigMaps of ~1 KB in the embedded API server (run in this process):
//! RSS with filter results only and with full objects, start to first Synchronization, event to
//! hook start at 100 events/s, and jaq against the `jq` binary on the same objects.
//!
//! `SHELL_OPERATOR_BIN` names the binary (`cargo xtask bench kube` builds it and sets it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use benchmarks::{Summary, process_rss_bytes};
use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams};
use kube::core::ObjectMeta;
use serde_json::Value;

const OBJECTS: usize = 10_000;
const EVENTS: usize = 1_000;
const EVENT_INTERVAL: Duration = Duration::from_millis(10);
const WATCHED: &str = "bench";
const EVENTS_NS: &str = "events";
const WAIT: Duration = Duration::from_secs(180);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let binary = PathBuf::from(
        std::env::var_os("SHELL_OPERATOR_BIN")
            .context("SHELL_OPERATOR_BIN must name the shell-operator binary")?,
    );
    println!("# bench kube");
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default()).await?;
    let client = cluster.client()?;
    for ns in [WATCHED, EVENTS_NS] {
        benchmarks::create_namespace(&client, ns).await?;
    }
    populate(&client).await?;
    let items = Api::<ConfigMap>::namespaced(client.clone(), WATCHED)
        .list(&ListParams::default())
        .await?
        .items;
    let objects: Vec<Value> = items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    let json_bytes: usize = objects
        .iter()
        .map(|o| serde_json::to_vec(o).map_or(0, |b| b.len()))
        .sum();
    println!(
        "{} ConfigMaps in namespace {WATCHED}: {:.1} MB of JSON ({} bytes each on average)",
        objects.len(),
        mb(json_bytes as u64),
        json_bytes / objects.len().max(1)
    );

    let kubeconfig = cluster.kubeconfig_path().to_path_buf();
    let lean = Scenario {
        keep_full_objects: false,
        latency: true,
    };
    let lean = lean.run(&binary, &kubeconfig, &client).await?;
    println!(
        "filter results only (jqFilter .metadata.labels, keepFullObjectsInMemory: false):\n  \
         start to first Synchronization run with {} objects: {:.2?} (goal < 2 s)\n  \
         RSS {:.1} MB, peak {:.1} MB (goal <= 40 MB)",
        lean.synchronized_objects,
        lean.start_to_sync,
        mb(lean.rss),
        mb(lean.peak_rss)
    );
    if let Some(latency) = lean.latency {
        println!(
            "  event to hook start, {EVENTS} creates at 100/s, measured from sending the create: \
             {latency} (goal p50 < 5 ms, p99 < 25 ms)"
        );
    }
    let full = Scenario {
        keep_full_objects: true,
        latency: false,
    };
    let full = full.run(&binary, &kubeconfig, &client).await?;
    let budget = 2 * json_bytes as u64 + 25 * 1024 * 1024;
    println!(
        "full objects (jqFilter .metadata.labels, keepFullObjectsInMemory: true):\n  \
         start to first Synchronization run with {} objects: {:.2?} (goal < 2 s)\n  \
         RSS {:.1} MB, peak {:.1} MB (goal <= 2 x JSON + 25 MB = {:.1} MB)",
        full.synchronized_objects,
        full.start_to_sync,
        mb(full.rss),
        mb(full.peak_rss),
        mb(budget)
    );
    drop(client);
    cluster.shutdown().await;
    jq_throughput(&objects)?;
    Ok(())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn config_map(ns: &str, name: String, idx: String) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(ns.to_string()),
            labels: Some(BTreeMap::from([
                ("bench".to_string(), "yes".to_string()),
                ("idx".to_string(), idx),
            ])),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([("payload".to_string(), "x".repeat(700))])),
        ..ConfigMap::default()
    }
}

async fn populate(client: &kube::Client) -> anyhow::Result<()> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), WATCHED);
    stream::iter(0..OBJECTS)
        .map(|i| {
            let api = api.clone();
            async move {
                let cm = config_map(WATCHED, format!("cm-{i:05}"), i.to_string());
                api.create(&PostParams::default(), &cm).await
            }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// One operator run.
struct Scenario {
    keep_full_objects: bool,
    latency: bool,
}

struct Measured {
    synchronized_objects: usize,
    start_to_sync: Duration,
    rss: u64,
    peak_rss: u64,
    latency: Option<Summary>,
}

impl Scenario {
    fn hook_config(&self) -> String {
        let watched = format!(
            r#"{{"name":"cms","kind":"ConfigMap","namespace":{{"nameSelector":{{"matchNames":["{WATCHED}"]}}}},
               "jqFilter":".metadata.labels","keepFullObjectsInMemory":{}}}"#,
            self.keep_full_objects
        );
        let events = format!(
            r#",{{"name":"events","kind":"ConfigMap","namespace":{{"nameSelector":{{"matchNames":["{EVENTS_NS}"]}}}},
               "jqFilter":".metadata.labels","keepFullObjectsInMemory":false}}"#
        );
        format!(
            r#"{{"configVersion":"v1","kubernetes":[{watched}{}]}}"#,
            if self.latency { events.as_str() } else { "" }
        )
    }

    fn write_hook(&self, dir: &Path) -> anyhow::Result<()> {
        // A no-op hook made of bash builtins only (no fork): `$EPOCHREALTIME` is its start time,
        // and the context is copied next to it for the bench to read afterwards.
        let script = format!(
            "#!/bin/bash\nt=$EPOCHREALTIME\nif [ \"$1\" = --config ]; then cat <<'EOF'\n{}\nEOF\nexit 0; fi\n\
             IFS= read -r -d '' ctx < \"$BINDING_CONTEXT_PATH\"\n\
             printf '%s\\n%s' \"$t\" \"$ctx\" > \"$OUT/run.$t\"\n",
            self.hook_config()
        );
        let path = dir.join("watch.sh");
        std::fs::write(&path, script)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(())
    }

    async fn run(
        &self,
        binary: &Path,
        kubeconfig: &Path,
        client: &kube::Client,
    ) -> anyhow::Result<Measured> {
        let dir = tempfile::tempdir()?;
        let hooks = dir.path().join("hooks");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&hooks)?;
        std::fs::create_dir_all(&out)?;
        self.write_hook(&hooks)?;
        let port = free_port()?;
        let started_at = SystemTime::now();
        let mut child = tokio::process::Command::new(binary)
            .arg("start")
            .arg("--hooks-dir")
            .arg(&hooks)
            .arg("--tmp-dir")
            .arg(dir.path().join("tmp"))
            .arg("--kube-config")
            .arg(kubeconfig)
            .args(["--listen-address", "127.0.0.1", "--listen-port"])
            .arg(port.to_string())
            .arg("--debug-unix-socket")
            .arg(dir.path().join("debug.socket"))
            .args(["--log-type", "json"])
            .env("OUT", &out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let pid = child.id().context("operator pid")?;
        let mut log = RunLog::new(&out);

        let sync = log.wait_for(|l| l.starts_with("sync cms ")).await?;
        let fields: Vec<&str> = sync.split_whitespace().collect();
        let synchronized_objects: usize = fields.get(2).and_then(|n| n.parse().ok()).unwrap_or(0);
        let sync_start = fields.get(3).and_then(|t| epoch(t)).context("sync time")?;
        let start_to_sync = sync_start
            .duration_since(started_at)
            .unwrap_or(Duration::ZERO);
        if self.latency {
            log.wait_for(|l| l.starts_with("sync events ")).await?;
        }
        // Let allocations from the initial list settle before reading RSS.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (rss, peak_rss) = process_rss_bytes(pid).context("operator RSS")?;

        let latency = if self.latency {
            Some(event_latency(client, &mut log).await?)
        } else {
            None
        };
        if let Err(e) = nix_term(pid) {
            eprintln!("SIGTERM: {e}");
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
        Ok(Measured {
            synchronized_objects,
            start_to_sync,
            rss,
            peak_rss,
            latency,
        })
    }
}

/// Creates ConfigMaps in the events namespace at 100/s and pairs each with the start of the hook
/// run that got its event.
async fn event_latency(client: &kube::Client, log: &mut RunLog) -> anyhow::Result<Summary> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), EVENTS_NS);
    let mut sent = Vec::with_capacity(EVENTS);
    let mut ticker = tokio::time::interval(EVENT_INTERVAL);
    for i in 0..EVENTS {
        ticker.tick().await;
        sent.push(SystemTime::now());
        let cm = config_map(EVENTS_NS, format!("ev-{i:05}"), i.to_string());
        api.create(&PostParams::default(), &cm).await?;
    }
    let deadline = Instant::now() + WAIT;
    loop {
        log.refresh();
        let mut started: BTreeMap<usize, SystemTime> = BTreeMap::new();
        for line in &log.lines {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let ["event", "events", idx, t] = f.as_slice()
                && let (Ok(idx), Some(t)) = (idx.parse::<usize>(), epoch(t))
            {
                started.entry(idx).or_insert(t);
            }
        }
        if started.len() >= EVENTS {
            let samples: Vec<Duration> = started
                .iter()
                .filter_map(|(idx, t)| t.duration_since(*sent.get(*idx)?).ok())
                .collect();
            return Summary::of(&samples).context("no latency samples");
        }
        if Instant::now() > deadline {
            bail!("only {} of {EVENTS} events reached the hook", started.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the hook saw, one line per context: `sync <binding> <objects> <start>` or
/// `event <binding> <idx label> <start>`, read from the `run.<start>` files the hook writes.
struct RunLog {
    dir: PathBuf,
    seen: std::collections::HashSet<PathBuf>,
    lines: Vec<String>,
}

impl RunLog {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            seen: std::collections::HashSet::new(),
            lines: Vec::new(),
        }
    }

    /// Reads the run files written since the last call.
    fn refresh(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_run = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("run."));
            if !is_run || self.seen.contains(&path) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Some((t, json)) = text.split_once('\n') else {
                continue;
            };
            // A file still being written does not parse yet; it is read again next time.
            let Ok(Value::Array(contexts)) = serde_json::from_str::<Value>(json) else {
                continue;
            };
            self.seen.insert(path);
            for c in contexts {
                let binding = c["binding"].as_str().unwrap_or_default();
                let line = if c["type"] == "Synchronization" {
                    let n = c["objects"].as_array().map_or(0, Vec::len);
                    format!("sync {binding} {n} {t}")
                } else {
                    let idx = c["filterResult"]["idx"].as_str().unwrap_or_default();
                    format!("event {binding} {idx} {t}")
                };
                self.lines.push(line);
            }
        }
    }

    async fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            self.refresh();
            if let Some(line) = self.lines.iter().find(|l| pred(l)) {
                return Ok(line.clone());
            }
            if Instant::now() > deadline {
                bail!(
                    "the hook did not report in time; seen so far: {:?}",
                    self.lines
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Parses bash's `$EPOCHREALTIME` (`seconds.microseconds`).
fn epoch(text: &str) -> Option<SystemTime> {
    let (secs, micros) = text.split_once(['.', ','])?;
    let secs: u64 = secs.parse().ok()?;
    let micros: u64 = micros.parse().ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn nix_term(pid: u32) -> std::io::Result<()> {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("kill exited {status}")))
    }
}

/// jaq (through `jq-filter`, as the operator runs it) against the `jq` binary, `.metadata.labels`
/// over the same objects.
fn jq_throughput(objects: &[Value]) -> anyhow::Result<()> {
    let filter = jq_filter::JqFilter::compile(".metadata.labels")?;
    let lines: Vec<Vec<u8>> = objects
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<_, _>>()?;
    let mut best_parsed = Duration::MAX;
    let mut best_bytes = Duration::MAX;
    let mut ours = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        ours = objects
            .iter()
            .map(|o| filter.run(o))
            .collect::<Result<Vec<_>, _>>()?;
        best_parsed = best_parsed.min(started.elapsed());
        let started = Instant::now();
        for line in &lines {
            let value: Value = serde_json::from_slice(line)?;
            filter.run(&value)?;
        }
        best_bytes = best_bytes.min(started.elapsed());
    }
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("objects.json");
    std::fs::write(&input, lines.join(&b'\n'))?;
    let mut best_jq = Duration::MAX;
    let mut jq_out = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let output = std::process::Command::new("jq")
            .args(["-c", ".metadata.labels"])
            .arg(&input)
            .output()
            .context("run jq")?;
        best_jq = best_jq.min(started.elapsed());
        if !output.status.success() {
            bail!("jq failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        jq_out = output.stdout;
    }
    let theirs: Vec<Value> = jq_out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(serde_json::from_slice)
        .collect::<Result<_, _>>()?;
    let same = theirs.len() == ours.len()
        && theirs
            .iter()
            .zip(&ours)
            .all(|(t, o)| o.len() == 1 && o[0] == *t);
    println!(
        "jq filter .metadata.labels over {} objects (best of 3):\n  \
         jaq on parsed objects (as the operator runs it): {:.2?} ({:.0} objects/s)\n  \
         jaq including JSON parsing: {:.2?}\n  \
         jq {} binary, one process over the same objects as a JSON stream: {:.2?}\n  \
         ratio jq / jaq: {:.1}x on parsed objects, {:.1}x including parsing; identical output: {same}",
        objects.len(),
        best_parsed,
        objects.len() as f64 / best_parsed.as_secs_f64(),
        best_bytes,
        jq_version(),
        best_jq,
        best_jq.as_secs_f64() / best_parsed.as_secs_f64(),
        best_jq.as_secs_f64() / best_bytes.as_secs_f64(),
    );
    Ok(())
}

fn jq_version() -> String {
    std::process::Command::new("jq")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
