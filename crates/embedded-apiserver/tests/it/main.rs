//! Integration tests: kube-rs clients and the real kubectl against the embedded API server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests fail loudly

mod admission;
mod admission_failures;
mod binary;
mod common;
mod conversion;
mod crd;
mod crud;
mod faults;
mod kubectl;
mod lifecycle;
mod reads;
mod watch;
mod webhooks;
