//! `cargo xtask bench apiserver`: the embedded API server's write throughput, watch fan-out delay
//! and memory per stored byte, measured in-process over plain HTTP with kube-rs clients.
//!
//! Arguments name the parts to run (`writes`, `fanout`, `memory`); none runs all three.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use benchmarks::{Summary, rss_bytes};
use embedded_apiserver::{Commit, CommitObserver, EmbeddedCluster, EmbeddedConfig};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use kube::core::ObjectMeta;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const WRITES: usize = 20_000;
const WRITE_CONCURRENCY: usize = 32;
const WATCHERS: usize = 200;
const FANOUT_WRITES: usize = 100;
const MEMORY_OBJECTS: usize = 100_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let parts: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    println!("# bench apiserver");
    if wanted("writes") || wanted("fanout") {
        let commits = Arc::new(CommitTimes::default());
        let cluster = EmbeddedCluster::start(EmbeddedConfig {
            commit_observer: Some(commits.clone()),
            ..EmbeddedConfig::plain_http()
        })
        .await?;
        let client = cluster.client()?;
        if wanted("writes") {
            writes(&client).await?;
        }
        if wanted("fanout") {
            fanout(&client, cluster.addr(), &commits).await?;
        }
        drop(client);
        cluster.shutdown().await;
    }
    if wanted("memory") {
        memory().await?;
    }
    Ok(())
}

/// The commit instant of every resourceVersion of the fan-out namespace.
#[derive(Debug, Default)]
struct CommitTimes(Mutex<HashMap<u64, Instant>>);

impl CommitObserver for CommitTimes {
    fn committed(&self, commit: &Commit<'_>) {
        if commit.namespace == "fanout" {
            let now = Instant::now();
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(commit.resource_version, now);
        }
    }
}

impl CommitTimes {
    fn get(&self, rv: u64) -> Option<Instant> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&rv)
            .copied()
    }

    /// The newest resourceVersion committed so far (0 before any).
    fn latest(&self) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .max()
            .copied()
            .unwrap_or(0)
    }
}

fn config_map(ns: &str, name: String, payload: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(ns.to_string()),
            labels: Some(BTreeMap::from([("bench".to_string(), "yes".to_string())])),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            "payload".to_string(),
            payload.to_string(),
        )])),
        ..ConfigMap::default()
    }
}

async fn create_many(
    api: &Api<ConfigMap>,
    ns: &str,
    count: usize,
    payload: &str,
) -> anyhow::Result<usize> {
    let stored = stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            let cm = config_map(ns, format!("cm-{i:06}"), payload);
            async move {
                let created = api.create(&PostParams::default(), &cm).await?;
                anyhow::Ok(serde_json::to_vec(&created)?.len())
            }
        })
        .buffer_unordered(WRITE_CONCURRENCY)
        .try_fold(0usize, |acc, n| async move { Ok(acc + n) })
        .await?;
    Ok(stored)
}

/// Creates of ~1 KB ConfigMaps from 32 concurrent clients.
async fn writes(client: &kube::Client) -> anyhow::Result<()> {
    benchmarks::create_namespace(client, "writes").await?;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "writes");
    let payload = "x".repeat(900);
    let start = Instant::now();
    create_many(&api, "writes", WRITES, &payload).await?;
    let elapsed = start.elapsed();
    println!(
        "writes: {WRITES} creates of ~1 KB ConfigMaps, {WRITE_CONCURRENCY} concurrent: {:.0} writes/s ({:.2?}) (goal >= 5000/s)",
        WRITES as f64 / elapsed.as_secs_f64(),
        elapsed
    );
    Ok(())
}

/// Who watches in the fan-out bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watchers {
    /// kube-rs `Api::watch`, decoding every event into a typed `ConfigMap`: the server's delay
    /// plus the clients' own decoding, all on the same two cores.
    KubeRs,
    /// Plain HTTP/1.1 streams that read each event line and take its resourceVersion: the
    /// server's own fan-out with the least client work beside it.
    Raw,
}

/// A delivery: the object's name (kube-rs watchers only), its resourceVersion and when it
/// arrived.
type Delivery = (Option<String>, u64, Instant);

/// 200 watchers on one namespace and 100 sequential creates, once with kube-rs watchers and
/// once with raw HTTP watchers. Each delivery is timed from the create's commit (the instant the
/// server's commit observer saw its resourceVersion) and, for kube-rs watchers, also from just
/// before the request was sent. Watchers only take a timestamp and pass it on, so the measuring
/// does not queue behind a shared lock.
async fn fanout(
    client: &kube::Client,
    addr: SocketAddr,
    commits: &CommitTimes,
) -> anyhow::Result<()> {
    benchmarks::create_namespace(client, "fanout").await?;
    for (round, watchers) in [Watchers::Raw, Watchers::KubeRs].into_iter().enumerate() {
        fanout_round(client, addr, commits, watchers, round).await?;
    }
    Ok(())
}

async fn fanout_round(
    client: &kube::Client,
    addr: SocketAddr,
    commits: &CommitTimes,
    kind: Watchers,
    round: usize,
) -> anyhow::Result<()> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "fanout");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
    let mut watchers = tokio::task::JoinSet::new();
    for _ in 0..WATCHERS {
        let tx = tx.clone();
        match kind {
            Watchers::KubeRs => {
                let mut stream = api.watch(&WatchParams::default(), "0").await?.boxed();
                watchers.spawn(async move {
                    while let Some(Ok(event)) = stream.next().await {
                        if let WatchEvent::Added(cm) = event {
                            let now = Instant::now();
                            let meta = cm.metadata;
                            let rv = meta.resource_version.and_then(|rv| rv.parse().ok());
                            if let Some(rv) = rv {
                                let _ = tx.send((meta.name, rv, now));
                            }
                        }
                    }
                });
            }
            Watchers::Raw => {
                let stream = raw_watch(addr).await?;
                watchers.spawn(read_raw_watch(stream, tx));
            }
        }
    }
    drop(tx);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Watches from resourceVersion 0 replay what earlier rounds created: count only this round.
    let floor = commits.latest();
    let mut sent = BTreeMap::new();
    let mut round_trips = Vec::with_capacity(FANOUT_WRITES);
    for i in 0..FANOUT_WRITES {
        let name = format!("fan-{round}-{i:04}");
        let cm = config_map("fanout", name.clone(), "x");
        let at = Instant::now();
        sent.insert(name, at);
        api.create(&PostParams::default(), &cm).await?;
        round_trips.push(at.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut from_commit = Vec::with_capacity(WATCHERS * FANOUT_WRITES);
    let mut from_send = Vec::with_capacity(WATCHERS * FANOUT_WRITES);
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    while from_commit.len() < WATCHERS * FANOUT_WRITES {
        tokio::select! {
            Some((name, rv, at)) = rx.recv() => {
                if rv <= floor {
                    continue;
                }
                if let Some(committed) = commits.get(rv) {
                    from_commit.push(at.saturating_duration_since(committed));
                }
                if let Some(sent) = name.and_then(|n| sent.get(&n).copied()) {
                    from_send.push(at.saturating_duration_since(sent));
                }
            }
            () = &mut deadline => break,
        }
    }
    watchers.abort_all();
    let commit = Summary::of(&from_commit).ok_or_else(|| anyhow::anyhow!("no watch events"))?;
    let rtt = Summary::of(&round_trips).ok_or_else(|| anyhow::anyhow!("no creates"))?;
    let who = match kind {
        Watchers::Raw => "raw HTTP watchers",
        Watchers::KubeRs => "kube-rs watchers (typed decoding in the same process)",
    };
    println!(
        "watch fan-out, {WATCHERS} {who} x {FANOUT_WRITES} creates, delay from the commit to delivery at each watcher: {commit} (goal p50 < 2 ms; {} of {} deliveries seen)",
        from_commit.len(),
        WATCHERS * FANOUT_WRITES
    );
    if let Some(send) = Summary::of(&from_send) {
        println!("  from sending the create (for reference): {send}");
    }
    println!("  the create's own round trip: {rtt}");
    Ok(())
}

/// Opens `GET .../configmaps?watch=true` on a plain connection and reads past the headers.
async fn raw_watch(addr: SocketAddr) -> anyhow::Result<BufReader<TcpStream>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET /api/v1/namespaces/fanout/configmaps?watch=true&resourceVersion=0 HTTP/1.1\r\n\
         Host: {addr}\r\nAccept: application/json\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            anyhow::bail!("watch closed before its headers ended");
        }
        if line == b"\r\n" {
            return Ok(reader);
        }
    }
}

/// Reads event lines (the chunk-size lines in between carry no resourceVersion) and sends the
/// resourceVersion of each with its arrival instant.
async fn read_raw_watch(
    mut reader: BufReader<TcpStream>,
    tx: tokio::sync::mpsc::UnboundedSender<Delivery>,
) {
    const KEY: &[u8] = b"\"resourceVersion\":\"";
    let mut line = Vec::with_capacity(2048);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let now = Instant::now();
        let Some(at) = line.windows(KEY.len()).position(|w| w == KEY) else {
            continue;
        };
        let digits = line[at + KEY.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |rv, b| rv * 10 + u64::from(b - b'0'));
        let _ = tx.send((None, digits, now));
    }
}

/// RSS growth for 100,000 ~1 KB ConfigMaps against the JSON bytes the server returned for them.
async fn memory() -> anyhow::Result<()> {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::plain_http()).await?;
    let client = cluster.client()?;
    benchmarks::create_namespace(&client, "memory").await?;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "memory");
    let payload = "y".repeat(900);
    let before = rss_bytes().unwrap_or(0);
    let stored = create_many(&api, "memory", MEMORY_OBJECTS, &payload).await?;
    // let transient client buffers go before reading RSS
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes().unwrap_or(0);
    let growth = after.saturating_sub(before);
    println!(
        "memory: {MEMORY_OBJECTS} ConfigMaps, {:.1} MB of JSON stored, RSS grew {:.1} MB: {:.2}x (goal <= 2x; RSS includes the in-process client)",
        stored as f64 / 1e6,
        growth as f64 / 1e6,
        growth as f64 / stored as f64
    );
    drop(client);
    cluster.shutdown().await;
    Ok(())
}
