//! The fidelity suite of the embedded API server (issue 2): kube-rs clients and the real kubectl
//! drive it through discovery, CRUD, patches, apply, reads, watches, CRDs, lifecycle, admission
//! and conversion webhooks, and fault injection, asserting what clients depend on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod admission;
mod admission_failures;
mod binary;
mod builtin_fields;
mod common;
mod conversion;
mod crd;
mod crud;
mod faults;
mod field_validation;
mod kubectl;
mod kubectl_versions;
mod lifecycle;
mod reads;
mod watch;
mod webhooks;
