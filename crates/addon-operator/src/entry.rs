//! The process: parse the command line, then render, talk to a running operator's debug socket,
//! or run `start` until SIGTERM/SIGINT.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use shell_operator::config::ProcessEnv;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// Runs the program with the process's arguments and environment.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Version) => {
            println!("{}", crate::version_line());
            Ok(())
        }
        Some(Command::Render(args)) => render(args),
        Some(Command::Module(cmd)) => {
            let (path, socket) = crate::client::module_path(cmd);
            client(path, socket)
        }
        Some(Command::Global(cmd)) => {
            let (path, socket) = crate::client::global_path(cmd);
            client(path, socket)
        }
        Some(Command::Debug(cmd)) => current_thread().and_then(|rt| {
            let mut stdout = std::io::stdout().lock();
            rt.block_on(debug_socket::run(
                cmd,
                Path::new(debug_socket::ADDON_OPERATOR_DEFAULT_SOCKET),
                &mut stdout,
            ))
            .map_err(anyhow::Error::from)
        }),
        Some(Command::Start(_)) | None => start(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn render(args: &crate::cli::RenderArgs) -> anyhow::Result<()> {
    let text = crate::render::run(args)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("write output")
}

fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("build tokio runtime")
}

fn client(path: String, socket: &debug_socket::SocketArgs) -> anyhow::Result<()> {
    let runtime = current_thread()?;
    let mut stdout = std::io::stdout().lock();
    runtime
        .block_on(crate::client::request(path, socket, &mut stdout))
        .map_err(anyhow::Error::from)
}

fn start(cli: &Cli) -> anyhow::Result<()> {
    let config = Config::resolve(cli.start_args(), &ProcessEnv)?;
    let log_level = shell_operator::logging::init(&config.log)?;
    shell_operator::logging::print_line(&crate::version_line());
    let result = shell_operator::entry::run_with_signals(|shutdown| async move {
        crate::app::start(config, shutdown, Some(log_level))
            .await
            .map_err(anyhow::Error::from)
    });
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "addon-operator failed");
    }
    result
}
