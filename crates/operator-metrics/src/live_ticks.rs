//! The `live_ticks` loop: one tick at start, then one every 10 seconds until cancelled.

use tokio::time::{MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

use crate::common::{CommonMetrics, LIVE_TICKS_INTERVAL};

/// Ticks `live_ticks` now and every [`LIVE_TICKS_INTERVAL`] until `cancel` fires. The caller spawns
/// it on its own `TaskTracker` so shutdown waits for it.
pub async fn run_live_ticks(metrics: CommonMetrics, cancel: CancellationToken) {
    let mut ticker = interval(LIVE_TICKS_INTERVAL);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => metrics.live_tick(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::time::Duration;

    use super::*;
    use crate::{MetricsConfig, MetricsRegistry};

    fn ticks(registry: &MetricsRegistry) -> String {
        registry
            .encode()
            .unwrap()
            .lines()
            .find(|l| l.starts_with("shell_operator_live_ticks "))
            .unwrap_or_default()
            .to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_once_at_start_then_every_ten_seconds_until_cancelled() {
        let mut registry = MetricsRegistry::default();
        let common = CommonMetrics::register(&mut registry, &MetricsConfig::default());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run_live_ticks(common, cancel.clone()));

        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(ticks(&registry), "shell_operator_live_ticks 1");
        tokio::time::sleep(Duration::from_secs(25)).await;
        assert_eq!(ticks(&registry), "shell_operator_live_ticks 3");

        cancel.cancel();
        task.await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(ticks(&registry), "shell_operator_live_ticks 3");
    }
}
