//! Integration tests against the embedded API server: reference scenarios 6–17 and lost-event recovery.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod faults;
mod scenarios;
mod support;
