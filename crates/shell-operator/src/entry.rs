//! The process: parse the command line (kingpin's `--no-<flag>` included), then print the
//! version, run a debug-socket client command, or run `start` until SIGTERM/SIGINT.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::app::{self, StartContext};
use crate::cli::{Cli, Command};
use crate::config::{Config, ProcessEnv};
use crate::logging;

/// How long leftover tasks may take to stop once `start` returned.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(5);

/// Runs the program with the process's arguments and environment.
pub fn main() -> ExitCode {
    let cli = match Cli::parse_with_negations(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
        Some(Command::Debug(command)) => match debug_client(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Start(_)) | None => match start(&cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let report = error_report::Report(&*e);
                tracing::error!(error = %report, "shell-operator failed");
                eprintln!("Error: {report}");
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

/// `queue list`, `hook snapshot`, `config set`, `raw`, ...: one request to the debug socket.
fn debug_client(command: &debug_socket::DebugCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("build tokio runtime")?;
    let mut stdout = std::io::stdout().lock();
    runtime
        .block_on(debug_socket::run(
            command,
            Path::new(debug_socket::DEFAULT_SOCKET),
            &mut stdout,
        ))
        .map_err(anyhow::Error::from)
}

fn start(cli: &Cli) -> anyhow::Result<()> {
    let config = Config::resolve(cli.start_args(), &ProcessEnv)?;
    let log_level = logging::init(&config.log)?;
    logging::print_line(&app::version_line());
    run_with_signals(|shutdown| async move {
        let ctx = StartContext {
            env: std::env::vars_os().collect(),
            shutdown,
            log_level: Some(log_level),
        };
        app::start(config, ctx).await.map_err(anyhow::Error::from)
    })
}

/// Runs `operator(shutdown)` on a multi-thread runtime: the first SIGTERM or SIGINT cancels
/// `shutdown`, the second returns at once (dropping every task, and with them the running hooks'
/// process groups); leftover tasks get [`RUNTIME_SHUTDOWN`] to stop. addon-operator runs the same
/// way.
pub fn run_with_signals<F, Fut>(operator: F) -> anyhow::Result<()>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("build tokio runtime")?;
    let result = runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let force = CancellationToken::new();
        let signals = tokio::spawn(wait_for_signals(shutdown.clone(), force.clone()));
        let result = tokio::select! {
            result = operator(shutdown) => result,
            () = force.cancelled() => Err(anyhow::anyhow!("stopped at once by a second signal")),
        };
        signals.abort();
        result
    });
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    result
}

/// Cancels `shutdown` on the first SIGTERM or SIGINT, and `force` on the second.
async fn wait_for_signals(shutdown: CancellationToken, force: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop with SIGKILL");
        return;
    };
    let mut next = async || {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    };
    let name = next().await;
    tracing::info!(signal = name, "shutdown requested");
    shutdown.cancel();
    let name = next().await;
    tracing::warn!(signal = name, "second signal: stopping at once");
    force.cancel();
}
