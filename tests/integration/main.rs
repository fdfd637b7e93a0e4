//! The one integration test binary: the shell-operator program against the embedded API server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod examples;
mod ha;
mod negation;
mod operator;
mod webhooks;

/// The program under test, built from the same entry point as `shell-operator`.
const BIN: &str = env!("CARGO_BIN_EXE_shell-operator-e2e");
