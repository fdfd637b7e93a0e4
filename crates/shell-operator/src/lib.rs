//! The shell-operator binary's library part: command line, configuration, logging and the `start`
//! command. `main.rs` only calls [`entry::main`].

pub mod app;
pub mod cli;
pub mod config;
pub mod entry;
pub mod logging;
