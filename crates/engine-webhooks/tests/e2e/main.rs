//! End to end: bash hooks loaded into a hook engine, served by the webhook servers and called by
//! the embedded API server on behalf of kubectl and kube-rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail loudly"
)]

mod admission;
mod conversion;
mod harness;
mod pki;
mod rotation;
mod startup;
