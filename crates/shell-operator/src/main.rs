//! shell-operator: parse the command line, set up logging, run `start` until SIGTERM/SIGINT.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use shell_operator::app::{self, StartContext};
use shell_operator::cli::{Cli, Command};
use shell_operator::config::{Config, ProcessEnv};
use shell_operator::logging;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Version) => {
            println!("{}", app::version_line());
            println!("{}", app::JQ_LINE);
            ExitCode::SUCCESS
        }
        Some(Command::DebugOptions) => {
            println!("{DEBUG_OPTIONS}");
            ExitCode::SUCCESS
        }
        Some(Command::Start(_)) | None => match start(&cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "shell-operator failed");
                eprintln!("Error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

const DEBUG_OPTIONS: &str = "\
Debug flags of `shell-operator start`:
  --debug-unix-socket=PATH   [env DEBUG_UNIX_SOCKET] path to the debug unix socket
  --debug-http-addr=ADDR     [env DEBUG_HTTP_SERVER_ADDR] serve the debug routes over TCP too
  --debug-keep-tmp-files     [env DEBUG_KEEP_TMP_FILES] keep the temporary files of hook runs
  --debug-kubernetes-api     [env DEBUG_KUBERNETES_API] log Kubernetes client requests";

fn start(cli: &Cli) -> anyhow::Result<()> {
    let config = Config::resolve(cli.start_args(), &ProcessEnv)?;
    logging::init(&config.log).context("install logger")?;
    logging::print_line(&app::version_line());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("build tokio runtime")?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(wait_for_signal(shutdown.clone()));
        let ctx = StartContext {
            env: std::env::vars_os().collect(),
            shutdown: shutdown.clone(),
        };
        let result = app::start(config, ctx).await;
        signals.abort();
        result.map_err(anyhow::Error::from)
    })
}

/// Cancels `shutdown` on the first SIGTERM or SIGINT.
async fn wait_for_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop with SIGKILL");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutdown requested");
    shutdown.cancel();
}
