//! Applies a successful run's `$KUBERNETES_PATCH_PATH` operations and `$METRICS_PATH` metrics.

use std::sync::Arc;

use futures::future::BoxFuture;
use hook_engine::{Hook, HookOutputSink, HookRun};
use hook_exec::HookRunOutput;
use hook_metrics::HookMetricsStore;
use object_patch::{ObjectPatcher, PatcherConfig};

/// The engine's [`HookOutputSink`]: object patches, then hook metrics. Any parse or apply error
/// fails the run, which the engine retries by re-running the hook (upstream behaviour).
///
/// Admission and conversion responses are not handled here (the webhook servers read them).
pub struct OutputApplier {
    patcher: ObjectPatcher,
    metrics: Arc<HookMetricsStore>,
}

impl std::fmt::Debug for OutputApplier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputApplier").finish_non_exhaustive()
    }
}

impl OutputApplier {
    /// Patches through `client` with default patcher settings; metrics go to `metrics`.
    pub fn new(client: kube::Client, metrics: Arc<HookMetricsStore>) -> Self {
        Self::with_patcher(
            ObjectPatcher::new(client, PatcherConfig::default()),
            metrics,
        )
    }

    /// With an explicitly configured patcher.
    pub fn with_patcher(patcher: ObjectPatcher, metrics: Arc<HookMetricsStore>) -> Self {
        Self { patcher, metrics }
    }

    async fn apply_outputs(&self, hook: &Hook, output: &HookRunOutput) -> Result<(), String> {
        let files = &output.files;
        // Parse both files first, in upstream's order (metrics, then patches), so a bad file
        // fails the run before anything is changed.
        let metrics = match non_blank(files.metrics.as_deref()) {
            Some(bytes) => Some(
                hook_metrics::parse_operations(bytes)
                    .map_err(|e| format!("got bad metrics: {e}"))?,
            ),
            None => None,
        };
        let operations = match non_blank(files.kubernetes_patch.as_deref()) {
            Some(bytes) => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|e| format!("kubernetes patch file is not UTF-8: {e}"))?;
                object_patch::parse_operations(text)
                    .map_err(|e| format!("parse kubernetes patch operations: {e}"))?
            }
            None => Vec::new(),
        };
        if !operations.is_empty() {
            self.patcher
                .apply_all(&operations)
                .await
                .map_err(|e| format!("apply kubernetes patch operations: {e}"))?;
        }
        if let Some(ops) = metrics {
            self.metrics
                .apply_for_hook(&hook.name, &ops)
                .map_err(|e| format!("apply hook metrics: {e}"))?;
        }
        Ok(())
    }
}

impl HookOutputSink for OutputApplier {
    fn apply<'a>(
        &'a self,
        hook: &'a Hook,
        _run: &'a HookRun,
        output: &'a HookRunOutput,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.apply_outputs(hook, output))
    }
}

fn non_blank(content: Option<&[u8]>) -> Option<&[u8]> {
    content.filter(|c| !c.iter().all(u8::is_ascii_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_only_files_count_as_not_written() {
        assert_eq!(non_blank(None), None);
        assert_eq!(non_blank(Some(b" \n\t")), None);
        assert_eq!(non_blank(Some(b"{}")), Some(&b"{}"[..]));
    }
}
