//! The `embedded-apiserver` program: parse the command line, serve until SIGTERM or SIGINT. It
//! lives in the library so the integration test package can build the very same program.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::{EmbeddedCluster, EmbeddedConfig, ServiceRef, Transport};
use anyhow::Context as _;
use clap::Parser;

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
    /// Where a Service named by webhook configurations is reached:
    /// `namespace/name[:port]=host:port` (repeatable).
    #[arg(long = "webhook-service", value_parser = parse_service_route)]
    webhook_services: Vec<(ServiceRef, SocketAddr)>,
}

/// Parses `namespace/name[:port]=host:port`.
fn parse_service_route(text: &str) -> Result<(ServiceRef, SocketAddr), String> {
    let usage = || format!("{text:?}: expected namespace/name[:port]=host:port");
    let (service, addr) = text.split_once('=').ok_or_else(usage)?;
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{}: {e}", usage()))?;
    let (namespace, name) = service.split_once('/').ok_or_else(usage)?;
    let (name, port) = match name.split_once(':') {
        Some((name, port)) => (name, Some(port.parse::<u16>().map_err(|_| usage())?)),
        None => (name, None),
    };
    if namespace.is_empty() || name.is_empty() {
        return Err(usage());
    }
    let service = ServiceRef::new(namespace, name);
    Ok((port.map_or(service.clone(), |p| service.with_port(p)), addr))
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

/// Runs the program with the process's arguments until SIGTERM or SIGINT.
pub fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()
        .context("starting the tokio runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
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
        webhook_services: args.webhook_services.into_iter().collect(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_routes_parse_with_and_without_a_port() {
        let (service, addr) = parse_service_route("ns/hooks=127.0.0.1:9680").unwrap();
        assert_eq!(service, ServiceRef::new("ns", "hooks"));
        assert_eq!(addr, SocketAddr::from(([127, 0, 0, 1], 9680)));
        let (service, _) = parse_service_route("ns/hooks:443=127.0.0.1:9680").unwrap();
        assert_eq!(service, ServiceRef::new("ns", "hooks").with_port(443));
        assert!(parse_service_route("hooks=127.0.0.1:1").is_err());
        assert!(parse_service_route("ns/hooks").is_err());
    }
}
