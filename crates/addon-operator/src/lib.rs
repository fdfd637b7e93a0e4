//! addon-operator: command line, supplied values and the `render` command
//!
//! The binary in `main.rs` only parses [`cli::Cli`] and dispatches; everything it runs lives here
//! so tests and later subcommands (`start`, `module ...`) reuse it.

pub mod cli;
pub mod render;
pub mod strvals;
pub mod values;

/// `addon-operator version` output.
pub fn version_line() -> String {
    format!("addon-operator {}", env!("CARGO_PKG_VERSION"))
}
