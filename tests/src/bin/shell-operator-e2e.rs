//! The shell-operator program for the integration tests: the same entry point as
//! `crates/shell-operator/src/main.rs`, built in this package so tests can start it by path.

fn main() -> std::process::ExitCode {
    shell_operator::entry::main()
}
