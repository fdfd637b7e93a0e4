//! Something that can be scraped: the self-metrics registry and the hook-metrics store.

use hook_metrics::HookMetricsStore;
use operator_metrics::MetricsRegistry;

/// Rendering a scrape failed.
#[derive(Debug, thiserror::Error)]
#[error("render metrics")]
pub struct RenderError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// A source of Prometheus text (format 0.0.4) for one endpoint.
pub trait TextExposition: Send + Sync {
    /// The whole exposition, rendered now.
    fn render(&self) -> Result<String, RenderError>;
}

impl TextExposition for MetricsRegistry {
    fn render(&self) -> Result<String, RenderError> {
        self.encode().map_err(|e| RenderError(Box::new(e)))
    }
}

impl TextExposition for HookMetricsStore {
    fn render(&self) -> Result<String, RenderError> {
        Ok(HookMetricsStore::render(self))
    }
}
