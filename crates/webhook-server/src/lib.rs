//! Admission and conversion webhook servers of shell-operator: the HTTPS servers (with
//! certificates reloaded from disk), the reply rules for hook response files, the conversion
//! chains, and the registration of webhook configurations and CRD conversion settings.
//!
//! The hook run itself is injected through [`WebhookHookRunner`], so this crate knows nothing
//! of queues or processes.

pub mod admission;
pub mod conversion;
mod error;
pub mod registration;
mod runner;
pub mod server;
pub mod tls;

pub use admission::{AdmissionRoute, AdmissionRoutes, WebhookKind};
pub use conversion::{ConversionGraph, ConversionStep};
pub use error::WebhookError;
pub use registration::{
    AdmissionRegistration, ConversionRegistration, register_admission, spawn_crd_conversion,
};
pub use runner::{BindingRef, HookFailed, WebhookHookRunner};
pub use server::{
    AdmissionServerConfig, ConversionServerConfig, ServerHandle, TlsFiles, WebhookServerConfig,
    serve_admission, serve_conversion,
};
pub use tls::ReloadingCert;
