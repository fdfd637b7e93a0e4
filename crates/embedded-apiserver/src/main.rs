//! `embedded-apiserver`: serves the embedded Kubernetes API until SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig, Transport};

/// An embedded Kubernetes API server that kubectl and kube-rs can talk to.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Where to write the kubeconfig (default: a temporary file).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    plain_http: bool,
    /// Number of change events kept for watches resuming from old resourceVersions.
    #[arg(long, default_value_t = 10_000)]
    watch_history: usize,
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = EmbeddedConfig {
        listen: args.listen,
        transport: if args.plain_http {
            Transport::PlainHttp
        } else {
            Transport::Tls
        },
        watch_history: args.watch_history,
        kubeconfig_path: args.kubeconfig,
        ..EmbeddedConfig::default()
    };
    let cluster = EmbeddedCluster::start(config)
        .await
        .context("starting the embedded api server")?;
    println!("{}", cluster.base_url());
    println!("kubeconfig: {}", cluster.kubeconfig_path().display());
    wait_for_signal().await?;
    cluster.shutdown().await;
    Ok(())
}
