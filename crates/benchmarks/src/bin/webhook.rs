//! `cargo xtask bench webhook`: what the admission path adds to a hook's own run time.
//!
//! A no-op validating hook (`/bin/sh`, writes `{"allowed":true}`) is loaded through `--config`
//! into a hook engine and served by `engine-webhooks` on 127.0.0.1; the embedded API server (in
//! this process, TLS) calls it for ConfigMaps labelled `bench: hooked`. Interleaved, per sample:
//! - an AdmissionReview POSTed straight to the admission server (kept-alive HTTPS connection);
//! - a ConfigMap create through the API server that the webhook does not match;
//! - a ConfigMap create that it matches (the API server opens a fresh TLS connection per call);
//! - the same hook run in process through `DirectRuns::run` (no HTTP, no TLS);
//! - a bare spawn+wait of the hook script (`tokio::process`, output piped).
//!
//! The hook process's own wall time (from started to exited, as hook-exec reports it to the
//! engine) is subtracted from each sample that ran it; the fork/exec itself therefore counts as
//! overhead. The bare spawn gives the other reading: round trip minus a whole spawn+wait.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use benchmarks::Summary;
use binding_context::BindingContext;
use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use engine_webhooks::{Webhooks, WebhooksConfig};
use hook_engine::clock::SystemClock;
use hook_engine::{
    BindingType, DirectRun, Engine, EngineConfig, Extensions, HookRun, LoadOptions, RunObserver,
    RunReport, RunnerConfig, load_hooks,
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const RUNS: usize = 300;
const WARMUP: usize = 20;
const NAMESPACE: &str = "bench";
const SERVICE: &str = "bench-webhook";
const WEBHOOK_PATH: &str = "/hooks/noop-bench-example-com";

const HOOK: &str = r#"#!/bin/sh
if [ "$1" = "--config" ]; then
cat <<'CONFIG'
configVersion: v1
kubernetesValidating:
- name: noop.bench.example.com
  labelSelector:
    matchLabels: {bench: hooked}
  rules:
  - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}
CONFIG
exit 0
fi
echo '{"allowed":true}' > "$VALIDATING_RESPONSE_PATH"
"#;

/// Keeps the wall time of the latest hook run (requests are sequential, so it is the one the
/// last request caused).
#[derive(Default)]
struct LastRun(Mutex<Option<Duration>>);

impl RunObserver for LastRun {
    fn run_finished(&self, _run: &HookRun, _queue: &str, report: &RunReport) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(report.duration);
    }
}

impl LastRun {
    fn take(&self) -> anyhow::Result<Duration> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .context("the request did not run the hook")
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("# bench webhook");
    let dir = tempfile::tempdir()?;
    let certs = Certs::write(dir.path())?;
    let hooks_dir = dir.path().join("hooks");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&hooks_dir)?;
    std::fs::create_dir_all(&tmp)?;
    let hook = hooks_dir.join("noop.sh");
    std::fs::write(&hook, HOOK)?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;

    let shutdown = CancellationToken::new();
    let env = vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())];
    let options = LoadOptions {
        env: env.clone(),
        ..LoadOptions::default()
    };
    let registry = load_hooks(&hooks_dir, &options, &shutdown).await?;
    let last_run = Arc::new(LastRun::default());
    let engine = Engine::new(
        registry,
        EngineConfig {
            runner: RunnerConfig {
                tmp_dir: tmp.clone(),
                env,
                tmp_files: hook_exec::TmpFiles::Remove,
                default_timeout: Some(Duration::from_secs(10)),
                log_proxy: hook_exec::LogProxy::PlainLines,
            },
            queues: task_queue::QueueSetConfig::default(),
            shutdown_grace_period: Duration::from_secs(5),
        },
        Extensions {
            observer: last_run.clone(),
            ..Extensions::default()
        },
        Arc::new(SystemClock),
    );

    let cluster = EmbeddedCluster::start(EmbeddedConfig::default()).await?;
    let client = cluster.client()?;
    let mut config = WebhooksConfig {
        namespace: NAMESPACE.to_owned(),
        ..WebhooksConfig::default()
    };
    let server = &mut config.admission.server;
    server.service_name = SERVICE.to_owned();
    server.server_cert = certs.cert.clone();
    server.server_key = certs.key.clone();
    server.ca = Some(certs.ca.clone());
    server.listen_address = "127.0.0.1".to_owned();
    server.listen_port = 0;
    let webhooks = Webhooks::start_routed(
        config,
        engine.registry(),
        engine.direct_runs(),
        &client,
        &shutdown,
        |endpoint| {
            cluster.register_service(&endpoint.namespace, &endpoint.service_name, endpoint.addr);
        },
    )
    .await?;
    let addr = webhooks
        .admission_addr()
        .context("the admission server runs")?;
    let runs = engine.direct_runs();
    let engine_task = tokio::spawn(engine.run(shutdown.clone()));

    let direct = DirectClient::new(&certs, addr)?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut direct_total = Vec::with_capacity(RUNS);
    let mut direct_overhead = Vec::with_capacity(RUNS);
    let mut plain_create = Vec::with_capacity(RUNS);
    let mut hooked_create = Vec::with_capacity(RUNS);
    let mut hooked_overhead = Vec::with_capacity(RUNS);
    let mut hook_runs = Vec::with_capacity(2 * RUNS);
    let mut bare = Vec::with_capacity(RUNS);
    let mut in_process = Vec::with_capacity(RUNS);
    let response = tmp.join("bare-response.json");
    for i in 0..WARMUP + RUNS {
        let bare_spawn = bare_spawn(&hook, &response).await?;

        let start = Instant::now();
        let output = runs.run(direct_run(i)).await?;
        let engine_run = start.elapsed();
        anyhow::ensure!(
            output
                .files
                .admission_response
                .is_some_and(|r| !r.is_empty()),
            "the in-process run wrote no response"
        );
        last_run.take()?;

        let start = Instant::now();
        direct.review(i).await?;
        let total = start.elapsed();
        let hook_direct = last_run.take()?;

        let start = Instant::now();
        cms.create(
            &PostParams::default(),
            &config_map(&format!("plain-{i}"), "plain")?,
        )
        .await?;
        let plain = start.elapsed();
        anyhow::ensure!(
            last_run.take().is_err(),
            "the unmatched create ran the hook"
        );

        let start = Instant::now();
        cms.create(
            &PostParams::default(),
            &config_map(&format!("hooked-{i}"), "hooked")?,
        )
        .await?;
        let hooked = start.elapsed();
        let hook_api = last_run.take()?;

        if i >= WARMUP {
            direct_total.push(total);
            direct_overhead.push(total.saturating_sub(hook_direct));
            plain_create.push(plain);
            hooked_create.push(hooked);
            hooked_overhead.push(hooked.saturating_sub(hook_api));
            hook_runs.push(hook_direct);
            hook_runs.push(hook_api);
            bare.push(bare_spawn);
            in_process.push(engine_run);
        }
    }

    let summary = |samples: &[Duration]| Summary::of(samples).context("no samples");
    let hook_runs = summary(&hook_runs)?;
    let bare = summary(&bare)?;
    println!(
        "no-op validating hook, {RUNS} samples after {WARMUP} warm-up, interleaved; the hook process itself:"
    );
    println!("  hook run (started to exited, engine report): {hook_runs}");
    println!("  bare spawn+wait of the same script:          {bare}");
    println!(
        "  engine direct run (DirectRuns::run, no HTTP): {}",
        summary(&in_process)?
    );
    let total = summary(&direct_total)?;
    println!("direct: AdmissionReview POSTed to the admission server (kept-alive HTTPS):");
    println!("  round trip:                                 {total}");
    println!(
        "  overhead (round trip - hook run):           {}",
        summary(&direct_overhead)?
    );
    println!(
        "  overhead (p50 round trip - p50 bare spawn): {}",
        signed(total.p50, bare.p50)
    );
    let plain = summary(&plain_create)?;
    let hooked = summary(&hooked_create)?;
    let overhead = summary(&hooked_overhead)?;
    println!("through the embedded API server (kube-rs create of a ~100 B ConfigMap):");
    println!("  create, webhook not matched:                    {plain}");
    println!("  create, webhook matched:                        {hooked}");
    println!("  overhead (matched create - hook run):           {overhead}");
    println!(
        "  overhead (p50 matched create - p50 bare spawn): {}",
        signed(hooked.p50, bare.p50)
    );
    println!(
        "  added by the webhook beyond the create itself (p50 overhead - p50 unmatched create): {}",
        signed(overhead.p50, plain.p50)
    );

    shutdown.cancel();
    webhooks.shutdown().await;
    engine_task.await?;
    cluster.shutdown().await;
    Ok(())
}

fn config_map(name: &str, label: &str) -> anyhow::Result<ConfigMap> {
    Ok(serde_json::from_value(json!({
        "metadata": { "name": name, "labels": { "bench": label } },
        "data": { "key": "value" },
    }))?)
}

/// The run a Validating request makes, without the HTTP server.
fn direct_run(i: usize) -> DirectRun {
    let review = json!({ "request": { "uid": format!("in-process-{i}"), "operation": "CREATE" } });
    DirectRun {
        hook: "noop.sh".to_owned(),
        binding: "noop.bench.example.com".to_owned(),
        binding_type: BindingType::Validating,
        contexts: vec![BindingContext::validating(
            "noop.bench.example.com",
            Arc::new(review),
        )],
    }
}

/// Spawns the hook script as the engine would run it (no arguments, response path set, output
/// piped) and waits for it.
async fn bare_spawn(hook: &Path, response: &Path) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let status = tokio::process::Command::new(hook)
        .env("VALIDATING_RESPONSE_PATH", response)
        .stdin(std::process::Stdio::null())
        .output()
        .await?
        .status;
    let took = start.elapsed();
    anyhow::ensure!(status.success(), "the hook failed when spawned directly");
    Ok(took)
}

/// `a - b` in milliseconds, which may be negative.
fn signed(a: Duration, b: Duration) -> String {
    let ms = (a.as_secs_f64() - b.as_secs_f64()) * 1000.0;
    format!("{ms:.3}ms")
}

/// A CA and a serving certificate for the Service's DNS name, on disk.
struct Certs {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    ca_pem: String,
}

impl Certs {
    fn write(dir: &Path) -> anyhow::Result<Certs> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate()?;
        let cert = CertificateParams::new(vec![host()])?.signed_by(&key, &issuer)?;
        let certs = Certs {
            ca: dir.join("ca.crt"),
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
            ca_pem: ca.pem(),
        };
        std::fs::write(&certs.ca, &certs.ca_pem)?;
        std::fs::write(&certs.cert, cert.pem())?;
        std::fs::write(&certs.key, key.serialize_pem())?;
        Ok(certs)
    }
}

/// The DNS name the API server uses for the Service.
fn host() -> String {
    format!("{SERVICE}.{NAMESPACE}.svc")
}

/// Posts AdmissionReviews to the admission server over one kept-alive connection.
struct DirectClient {
    client: reqwest::Client,
    url: String,
}

impl DirectClient {
    fn new(certs: &Certs, addr: SocketAddr) -> anyhow::Result<DirectClient> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(certs.ca_pem.as_bytes())?)
            .resolve(&host(), addr)
            .build()?;
        Ok(DirectClient {
            client,
            url: format!("https://{}:{}{WEBHOOK_PATH}", host(), addr.port()),
        })
    }

    async fn review(&self, i: usize) -> anyhow::Result<()> {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": format!("bench-{i}"),
                "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
                "resource": {"group": "", "version": "v1", "resource": "configmaps"},
                "name": format!("direct-{i}"),
                "namespace": "default",
                "operation": "CREATE",
                "userInfo": {"username": "bench"},
                "object": {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": format!("direct-{i}"), "labels": {"bench": "hooked"}},
                           "data": {"key": "value"}},
                "dryRun": false,
            }
        });
        let reply: Value = self
            .client
            .post(&self.url)
            .json(&review)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(
            reply["response"]["allowed"] == true,
            "the webhook did not allow the review: {reply}"
        );
        Ok(())
    }
}
