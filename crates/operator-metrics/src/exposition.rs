//! The registry the owner builds, and its Prometheus text (0.0.4) encoding with upstream counter names.
//!
//! prometheus-client always writes counters as `<name>_total`. Upstream has counters whose names do
//! not end in `_total` (`live_ticks`, addon-operator's `convergence_seconds`); they are registered
//! through [`MetricsRegistry::register_counter_without_total`] and written under their exact name.

use std::collections::BTreeSet;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::{Metric, Registry};

/// `Content-Type` of what [`MetricsRegistry::encode`] returns (the format Go's promhttp serves).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The text encoder failed; only a broken metric implementation can cause this.
#[derive(Debug, thiserror::Error)]
#[error("encode metrics as prometheus text")]
pub struct EncodeError(#[source] std::fmt::Error);

/// A prometheus-client [`Registry`] plus the few counter names upstream exposes without `_total`.
#[derive(Debug, Default)]
pub struct MetricsRegistry {
    registry: Registry,
    /// Encoded names (`<name>_total`) to write back as `<name>`.
    untotalled: BTreeSet<String>,
}

impl MetricsRegistry {
    /// The underlying registry, for metrics registered by other components (addon-operator).
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Registers any metric under `name`; counters get `_total` appended by the encoder, so pass
    /// `hook_run_errors` for `hook_run_errors_total`.
    pub fn register(&mut self, name: &str, help: &str, metric: impl Metric) {
        self.registry.register(name, help, metric);
    }

    /// Registers a collector that writes its metrics on each scrape (see [`crate::ProcessCollector`]).
    pub fn register_collector(
        &mut self,
        collector: Box<dyn prometheus_client::collector::Collector>,
    ) {
        self.registry.register_collector(collector);
    }

    /// Registers a counter that must be exposed as exactly `name`, with no `_total` suffix.
    pub fn register_counter_without_total(&mut self, name: &str, help: &str, metric: impl Metric) {
        self.registry.register(name, help, metric);
        self.untotalled.insert(format!("{name}_total"));
    }

    /// Encodes every registered metric in the Prometheus text format 0.0.4.
    pub fn encode(&self) -> Result<String, EncodeError> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry).map_err(EncodeError)?;
        if self.untotalled.is_empty() {
            return Ok(text);
        }
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            out.push_str(&self.strip_total(line));
        }
        Ok(out)
    }

    /// Rewrites one line if its metric name is one of the untotalled counters.
    fn strip_total<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        let (head, rest) = match line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or_else(|| line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)))
        {
            Some(split) => split,
            None => ("", line),
        };
        let name_end = rest.find(['{', ' ']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if self.untotalled.contains(name) {
            let bare = &name[..name.len() - "_total".len()];
            std::borrow::Cow::Owned(format!("{head}{bare}{}", &rest[name_end..]))
        } else {
            std::borrow::Cow::Borrowed(line)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use prometheus_client::metrics::counter::Counter;

    use super::*;

    #[test]
    fn counter_registered_without_total_keeps_its_exact_name_in_all_three_lines() {
        let mut registry = MetricsRegistry::default();
        let ticks: Counter = Counter::default();
        registry.register_counter_without_total("op_live_ticks", "ticks", ticks.clone());
        ticks.inc_by(3);
        let text = registry.encode().unwrap();
        assert_eq!(
            text,
            "# HELP op_live_ticks ticks.\n# TYPE op_live_ticks counter\nop_live_ticks 3\n"
        );
    }

    #[test]
    fn ordinary_counters_keep_the_total_suffix() {
        let mut registry = MetricsRegistry::default();
        let ticks: Counter = Counter::default();
        let errors: Counter = Counter::default();
        registry.register_counter_without_total("op_live_ticks", "ticks", ticks);
        registry.register("op_errors", "errors", errors);
        let text = registry.encode().unwrap();
        assert!(
            text.contains("# TYPE op_errors_total counter\nop_errors_total 0\n"),
            "{text}"
        );
        assert!(text.contains("op_live_ticks 0\n"), "{text}");
    }
}
