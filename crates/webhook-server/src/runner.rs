//! The hook runner the engine injects: it runs one hook binding with a review and returns the
//! bytes of the response file.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::conversion::ConversionStep;

/// Which hook and binding a webhook request goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindingRef {
    /// The hook name (its path relative to the hooks dir in shell-operator).
    pub hook: String,
    /// The binding name as written in the hook config.
    pub binding: String,
}

/// The hook ran and failed (non-zero exit, timeout, invalid output...).
#[derive(Debug, Clone, thiserror::Error)]
#[error("hook failed: {reason}")]
pub struct HookFailed {
    /// Why, for the log.
    pub reason: String,
}

/// Runs hooks for webhook requests, synchronously with the HTTP request.
///
/// `review` is `{"request": ...}` only (no `apiVersion`/`kind`), as upstream puts it in the
/// binding context (`BindingContext::validating`, `::mutating`, `::conversion`). The result is
/// the content of `$ADMISSION_RESPONSE_PATH` / `$CONVERSION_RESPONSE_PATH` after the run
/// (empty when the hook wrote nothing).
pub trait WebhookHookRunner: Send + Sync + 'static {
    /// Runs a validating or mutating binding.
    fn run_admission<'a>(
        &'a self,
        binding: &'a BindingRef,
        review: Arc<Value>,
    ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>>;

    /// Runs one conversion step (`step.rule` holds from/to versions as spelled in the config).
    fn run_conversion<'a>(
        &'a self,
        step: &'a ConversionStep,
        review: Arc<Value>,
    ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>>;
}
