//! `cargo xtask bench apiserver`: the embedded API server's write throughput, watch fan-out delay
//! and memory per stored byte, measured in-process over plain HTTP (the server on a runtime of its
//! own) with raw HTTP/1.1, raw HTTP/2 and kube-rs clients.
//!
//! Arguments name the parts to run (`writes`, `fanout`, `fanout-raw`, `fanout-h2`, `memory`); none
//! runs `writes`, `fanout` and `memory`, the last in a fresh process of its own.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use benchmarks::{Summary, rss_bytes};
use bytes::Bytes;
use embedded_apiserver::{Commit, CommitObserver, EmbeddedCluster, EmbeddedConfig};
use futures::{StreamExt, TryStreamExt, stream};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use kube::core::ObjectMeta;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const WRITES: usize = 20_000;
const WRITE_CONCURRENCY: usize = 32;
const WATCHERS: usize = 200;
const FANOUT_WRITES: usize = 100;
const MEMORY_OBJECTS: usize = 100_000;
/// Worker threads of the server's own runtime (`BENCH_SERVER_THREADS`; 0 runs the server on the
/// bench's runtime, beside its clients).
const SERVER_THREADS: usize = 2;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let parts: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    println!("# bench apiserver");
    if wanted("writes") || wanted("fanout") || wanted("fanout-raw") || wanted("fanout-h2") {
        let commits = Arc::new(CommitTimes::default());
        let config = EmbeddedConfig {
            commit_observer: Some(commits.clone()),
            ..EmbeddedConfig::plain_http()
        };
        let server_threads: usize = std::env::var("BENCH_SERVER_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(SERVER_THREADS);
        if server_threads == 0 {
            println!(
                "server: on the bench's own runtime, sharing its two workers with the clients"
            );
        } else {
            println!(
                "server: on a runtime of its own with {server_threads} worker thread(s), as in a process of its own"
            );
        }
        let (kube_config, addr, server) = if server_threads == 0 {
            let cluster = EmbeddedCluster::start(config).await?;
            (
                cluster.kube_config().clone(),
                cluster.addr(),
                Server::Shared(cluster),
            )
        } else {
            let own = OwnRuntime::start(config, server_threads)?;
            (own.kube_config.clone(), own.addr, Server::Own(own))
        };
        let client = kube::Client::try_from(kube_config)?;
        if wanted("writes") {
            writes(&client).await?;
        }
        if wanted("fanout") || wanted("fanout-raw") || wanted("fanout-h2") {
            let named = |part: &str| parts.iter().any(|p| p == part);
            let rounds: &[Watchers] = if wanted("fanout") {
                &[
                    Watchers::Raw,
                    Watchers::H2 { connections: 1 },
                    Watchers::H2 { connections: 10 },
                    Watchers::KubeRs,
                ]
            } else if named("fanout-raw") {
                &[Watchers::Raw, Watchers::H2 { connections: 1 }]
            } else {
                &[Watchers::H2 { connections: 1 }]
            };
            fanout(&client, addr, &commits, rounds).await?;
        }
        drop(client);
        match server {
            Server::Shared(cluster) => cluster.shutdown().await,
            Server::Own(own) => own.stop(),
        }
    }
    if parts.is_empty() {
        // Measured in a process of its own: in this one, the heap the earlier parts freed would
        // take the new objects and hide their growth (0.99x instead of 1.49x).
        let status = tokio::process::Command::new(std::env::current_exe()?)
            .arg("memory")
            .status()
            .await?;
        anyhow::ensure!(status.success(), "the memory part failed: {status}");
    } else if wanted("memory") {
        memory().await?;
    }
    Ok(())
}

enum Server {
    Shared(EmbeddedCluster),
    Own(OwnRuntime),
}

/// The cluster on a runtime of its own threads, as a server in another process would be.
struct OwnRuntime {
    kube_config: kube::Config,
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl OwnRuntime {
    fn start(config: EmbeddedConfig, workers: usize) -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("srv")
            .enable_all()
            .build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                match EmbeddedCluster::start(config).await {
                    Ok(cluster) => {
                        let _ = ready_tx.send(Ok((cluster.kube_config().clone(), cluster.addr())));
                        let _ = stop_rx.await;
                        cluster.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        });
        let (kube_config, addr) = ready_rx.recv()??;
        Ok(Self {
            kube_config,
            addr,
            stop,
            thread,
        })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
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
    /// Plain watch streams multiplexed over `connections` HTTP/2 connections (h2c), as client-go
    /// connects: one connection per client process, every informer a stream on it.
    H2 { connections: usize },
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
    rounds: &[Watchers],
) -> anyhow::Result<()> {
    benchmarks::create_namespace(client, "fanout").await?;
    for (round, watchers) in rounds.iter().copied().enumerate() {
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
    let stop = CancellationToken::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let mut watchers = tokio::task::JoinSet::new();
    let mut h2 = Vec::new();
    let mut h2_drivers = tokio::task::JoinSet::new();
    if let Watchers::H2 { connections } = kind {
        for _ in 0..connections {
            h2.push(h2_connection(addr, &mut h2_drivers).await?);
        }
    }
    for i in 0..WATCHERS {
        let log = DeliveryLog::new(seen.clone(), stop.clone());
        match kind {
            Watchers::KubeRs => {
                let stream = api.watch(&WatchParams::default(), "0").await?.boxed();
                watchers.spawn(read_kube_watch(stream, log));
            }
            Watchers::Raw => {
                let stream = raw_watch(addr).await?;
                watchers.spawn(read_raw_watch(stream, log));
            }
            Watchers::H2 { .. } => {
                let connections = h2.len();
                let body = h2_watch(&mut h2[i % connections], addr).await?;
                watchers.spawn(read_h2_watch(body, log));
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Watches from resourceVersion 0 replay what earlier rounds created: count only this round.
    let floor = commits.latest();
    let replayed = seen.load(Ordering::Relaxed);
    let mut sent = BTreeMap::new();
    let mut round_trips = Vec::with_capacity(FANOUT_WRITES);
    let cpu_before = benchmarks::cpu_time();
    for i in 0..FANOUT_WRITES {
        let name = format!("fan-{round}-{i:04}");
        let cm = config_map("fanout", name.clone(), "x");
        let at = Instant::now();
        sent.insert(name, at);
        api.create(&PostParams::default(), &cm).await?;
        round_trips.push(at.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected = replayed + WATCHERS * FANOUT_WRITES;
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu = benchmarks::cpu_time()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b));
    stop.cancel();
    let mut from_commit = Vec::with_capacity(WATCHERS * FANOUT_WRITES);
    let mut from_send = Vec::with_capacity(WATCHERS * FANOUT_WRITES);
    let mut per_event: HashMap<u64, Vec<Duration>> = HashMap::new();
    while let Some(joined) = watchers.join_next().await {
        for (name, rv, at) in joined? {
            if rv <= floor {
                continue;
            }
            if let Some(committed) = commits.get(rv) {
                let delay = at.saturating_duration_since(committed);
                from_commit.push(delay);
                per_event.entry(rv).or_default().push(delay);
            }
            if let Some(sent) = name.and_then(|n| sent.get(&n).copied()) {
                from_send.push(at.saturating_duration_since(sent));
            }
        }
    }
    let commit = Summary::of(&from_commit).ok_or_else(|| anyhow::anyhow!("no watch events"))?;
    let rtt = Summary::of(&round_trips).ok_or_else(|| anyhow::anyhow!("no creates"))?;
    h2_drivers.abort_all();
    let who = match kind {
        Watchers::Raw => "raw HTTP/1.1 watchers (a connection each)".to_owned(),
        Watchers::H2 { connections } => {
            format!("raw HTTP/2 watchers (streams over {connections} connection(s))")
        }
        Watchers::KubeRs => {
            "kube-rs watchers (HTTP/1.1, typed decoding in the same process)".to_owned()
        }
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
    if let Some(cpu) = cpu {
        println!(
            "  CPU of the process (server and watchers) per delivery: {:.1} µs",
            cpu.as_secs_f64() * 1e6 / from_commit.len().max(1) as f64
        );
    }
    let (mut first, mut last) = (Vec::new(), Vec::new());
    for delays in per_event.values_mut() {
        delays.sort();
        first.push(delays[0]);
        last.push(delays[delays.len() - 1]);
    }
    if let (Some(f), Some(l)) = (Summary::of(&first), Summary::of(&last)) {
        println!("  first watcher per event: {f}\n  last watcher per event: {l}");
    }
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

/// What one watcher saw: its deliveries, kept in the watcher until the round ends so that
/// timing them costs no cross-task wake-up, and a shared count the round polls.
struct DeliveryLog {
    deliveries: Vec<Delivery>,
    seen: Arc<AtomicUsize>,
    stop: CancellationToken,
}

impl DeliveryLog {
    fn new(seen: Arc<AtomicUsize>, stop: CancellationToken) -> Self {
        Self {
            deliveries: Vec::with_capacity(FANOUT_WRITES * 2),
            seen,
            stop,
        }
    }

    fn push(&mut self, delivery: Delivery) {
        self.deliveries.push(delivery);
        self.seen.fetch_add(1, Ordering::Relaxed);
    }
}

/// An HTTP/2 (prior knowledge) connection; its driver runs on `drivers`.
async fn h2_connection(
    addr: SocketAddr,
    drivers: &mut tokio::task::JoinSet<()>,
) -> anyhow::Result<hyper::client::conn::http2::SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await?;
    drivers.spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

/// Opens a watch stream on an HTTP/2 connection.
async fn h2_watch(
    send: &mut hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
) -> anyhow::Result<hyper::body::Incoming> {
    send.ready().await?;
    let request = hyper::Request::get(format!(
        "http://{addr}/api/v1/namespaces/fanout/configmaps?watch=true&resourceVersion=0"
    ))
    .header("accept", "application/json")
    .body(Empty::new())?;
    let response = send.send_request(request).await?;
    anyhow::ensure!(
        response.status().is_success(),
        "watch: {}",
        response.status()
    );
    Ok(response.into_body())
}

/// Reads the event lines of an HTTP/2 watch stream until the round stops.
async fn read_h2_watch(mut body: hyper::body::Incoming, mut log: DeliveryLog) -> Vec<Delivery> {
    let stopped = log.stop.clone().cancelled_owned();
    tokio::pin!(stopped);
    let mut pending = Vec::with_capacity(4096);
    loop {
        let frame = tokio::select! {
            biased;
            () = &mut stopped => break,
            frame = body.frame() => frame,
        };
        let Some(Ok(frame)) = frame else { break };
        let Some(data) = frame.data_ref() else {
            continue;
        };
        let now = Instant::now();
        pending.extend_from_slice(data);
        while let Some(end) = memchr::memchr(b'\n', &pending) {
            if let Some(rv) = resource_version(&pending[..end]) {
                log.push((None, rv, now));
            }
            pending.drain(..=end);
        }
    }
    log.deliveries
}

/// The `metadata.resourceVersion` of an event line, found as text.
fn resource_version(line: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"resourceVersion\":\"";
    let at = memchr::memmem::find(line, KEY)?;
    Some(
        line[at + KEY.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |rv, b| rv * 10 + u64::from(b - b'0')),
    )
}

/// Decodes ADDED events with kube-rs until the round stops.
async fn read_kube_watch(
    mut stream: futures::stream::BoxStream<'static, kube::Result<WatchEvent<ConfigMap>>>,
    mut log: DeliveryLog,
) -> Vec<Delivery> {
    let stopped = log.stop.clone().cancelled_owned();
    tokio::pin!(stopped);
    loop {
        let event = tokio::select! {
            biased;
            () = &mut stopped => break,
            event = stream.next() => event,
        };
        match event {
            Some(Ok(WatchEvent::Added(cm))) => {
                let now = Instant::now();
                let meta = cm.metadata;
                if let Some(rv) = meta.resource_version.and_then(|rv| rv.parse().ok()) {
                    log.push((meta.name, rv, now));
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    log.deliveries
}

/// Reads event lines (the chunk-size lines in between carry no resourceVersion) and logs the
/// resourceVersion of each with its arrival instant, until the round stops.
async fn read_raw_watch(mut reader: BufReader<TcpStream>, mut log: DeliveryLog) -> Vec<Delivery> {
    let stopped = log.stop.clone().cancelled_owned();
    tokio::pin!(stopped);
    let mut line = Vec::with_capacity(2048);
    loop {
        line.clear();
        let read = tokio::select! {
            biased;
            () = &mut stopped => break,
            read = reader.read_until(b'\n', &mut line) => read,
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let now = Instant::now();
        if let Some(rv) = resource_version(&line) {
            log.push((None, rv, now));
        }
    }
    log.deliveries
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
