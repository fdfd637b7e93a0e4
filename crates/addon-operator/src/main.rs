//! addon-operator: parse the command line and run the chosen subcommand.

use std::io::Write as _;
use std::process::ExitCode;

use addon_operator::cli::{Cli, Command};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("{}", addon_operator::version_line());
            ExitCode::SUCCESS
        }
        Command::Render(args) => match addon_operator::render::run(&args) {
            Ok(text) => {
                let mut out = std::io::stdout().lock();
                if out
                    .write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("Error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
