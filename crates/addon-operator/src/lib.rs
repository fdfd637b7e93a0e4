//! addon-operator: command line, `start` (modules, ConfigMap, debug socket), the debug client
//! commands and the `render` command
//!
//! The binary in `main.rs` only calls [`entry::main`]; everything it runs lives here so tests
//! reuse it.

pub mod app;
pub mod cli;
pub mod client;
pub mod config;
pub mod entry;
pub mod render;
pub mod strvals;
pub mod values;

/// `addon-operator version` output.
pub fn version_line() -> String {
    format!("addon-operator {}", env!("CARGO_PKG_VERSION"))
}
