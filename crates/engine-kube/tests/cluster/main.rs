//! engine-kube against the embedded API server, driving a real hook-engine `Engine` with bash
//! hooks that copy `$BINDING_CONTEXT_PATH` into a directory, one file per run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail loudly"
)]

mod basics;
mod harness;
mod scenarios;
