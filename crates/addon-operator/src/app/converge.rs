//! Deploying modules (upstream's ConvergeModules, the helm step of ModuleRun, ModuleDelete and
//! the purge after the first converge; no hooks yet): on every [`Event`], every enabled module
//! with a chart is rendered with its live values and its release brought up to date, and
//! modules no longer enabled are uninstalled. After the first converge in which every module
//! succeeded, releases of no enabled module are purged (except `HELM_IGNORE_RELEASE`) and the
//! operator is ready. A failing module is retried with backoff while the others go on. From
//! then on the resources monitor checks every release at an interval and runs a module whose
//! release is not `deployed` or misses an object (upstream's auto-heal).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use addon_releases::{ChartError, ChartRecord, Desired, Health, Outcome, ReleaseError, Releases};
use error_report::Report;
use operator_metrics::{
    ACTIVATION_OPERATOR_STARTUP, ACTIVATION_RELOAD_ALL_MODULES, AddonMetrics, HelmOperation,
};
use serde_json::Value;
use task_queue::RetryBackoff;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::live::{Live, RenderModuleError};
use crate::app::retries::{Retries, Step};
use crate::app::status::ConvergeStatus;
use crate::app::trigger::{Event, Events};

/// Why a module step failed.
#[derive(Debug, thiserror::Error)]
pub enum ModuleRunError {
    /// The chart did not render.
    #[error("module {module}: render")]
    Render {
        /// The module.
        module: String,
        /// The cause.
        #[source]
        source: RenderModuleError,
    },
    /// The chart files could not be read for the release record.
    #[error("module {module}: read chart")]
    Chart {
        /// The module.
        module: String,
        /// The cause.
        #[source]
        source: ChartError,
    },
    /// The release step failed.
    #[error("module {module}: helm")]
    Release {
        /// The module.
        module: String,
        /// The cause.
        #[source]
        source: ReleaseError,
    },
}

/// Why the loop woke up.
enum Wake {
    Event(Event),
    Retry,
    Monitor,
}

/// Settings of the converger.
#[derive(Debug, Clone)]
pub struct ConvergeConfig {
    /// A release the purge leaves alone (`HELM_IGNORE_RELEASE`).
    pub ignore_release: Option<String>,
    /// Delays between retries of a failing module.
    pub backoff: RetryBackoff,
    /// Interval of the resources monitor (plus up to 2/9 of it at random, so upstream's
    /// 4m30s gets its 0–60 s); `None` turns it off.
    pub monitor_interval: Option<Duration>,
}

/// Upstream's resources monitor interval (before its random 0–59 s).
pub const DEFAULT_MONITOR_INTERVAL: Duration = Duration::from_secs(270);

/// `interval` plus a random part of up to 2/9 of it.
fn with_jitter(interval: Duration) -> Duration {
    let bound = u64::try_from(interval.as_millis() * 2 / 9).unwrap_or(u64::MAX);
    interval + Duration::from_millis(task_queue::random_below(bound))
}

/// Keeps the releases in line with the enabled modules.
pub struct Converger {
    live: Arc<Live>,
    releases: Releases,
    config: ConvergeConfig,
    /// Enabled modules as of the last converge, in module order.
    enabled: Vec<String>,
    retries: Retries,
    /// The first converge finished with every module deployed, the purge ran.
    first_done: bool,
    /// Converges started so far; the first is `OperatorStartup`.
    converges: u64,
    metrics: AddonMetrics,
    status: Arc<ConvergeStatus>,
}

impl Converger {
    /// A converger over `live`, deploying through `releases`.
    /// Records into `metrics`; tells `status` how far the converges are.
    pub fn new(
        live: Arc<Live>,
        releases: Releases,
        config: ConvergeConfig,
        metrics: AddonMetrics,
        status: Arc<ConvergeStatus>,
    ) -> Converger {
        Converger {
            live,
            releases,
            config,
            enabled: Vec::new(),
            retries: Retries::default(),
            first_done: false,
            converges: 0,
            metrics,
            status,
        }
    }

    /// The `activation` label of module runs: `OperatorStartup` until the first converge is
    /// done (its retries included), then empty, as upstream HEAD labels them.
    fn activation(&self) -> &'static str {
        if self.first_done {
            ""
        } else {
            ACTIVATION_OPERATOR_STARTUP
        }
    }

    /// Handles events and retries until `cancel` or until every [`crate::app::trigger::Trigger`] is dropped. A step
    /// that has started finishes before the loop looks at `cancel` again.
    pub async fn run(mut self, mut events: Events, cancel: CancellationToken) {
        // The monitor starts after the first converge.
        let mut next_monitor: Option<Instant> = None;
        loop {
            let next_retry = self.retries.next();
            let retry_at = next_retry.unwrap_or_else(Instant::now);
            let monitor_at = next_monitor.unwrap_or_else(Instant::now);
            let wake = tokio::select! {
                () = cancel.cancelled() => return,
                event = events.recv() => match event {
                    Some(event) => Wake::Event(event),
                    None => return,
                },
                () = tokio::time::sleep_until(retry_at), if next_retry.is_some() => Wake::Retry,
                () = tokio::time::sleep_until(monitor_at), if next_monitor.is_some() => Wake::Monitor,
            };
            match wake {
                Wake::Event(Event::Converge) => self.converge(&cancel).await,
                Wake::Event(Event::RunModules(modules)) => {
                    self.run_modules(&modules, &cancel).await;
                }
                Wake::Retry => self.retry_due(&cancel).await,
                Wake::Monitor => {
                    self.monitor(&cancel).await;
                    next_monitor = self
                        .config
                        .monitor_interval
                        .map(|i| Instant::now() + with_jitter(i));
                }
            }
            if !self.first_done && self.retries.is_empty() && !cancel.is_cancelled() {
                self.purge().await;
                self.first_done = true;
                self.status.first_done();
                tracing::info!("first converge done, addon-operator is ready");
                next_monitor = self
                    .config
                    .monitor_interval
                    .map(|i| Instant::now() + with_jitter(i));
            }
            self.status.set_tasks(self.retries.len());
        }
    }

    /// The resources monitor's tick: a module whose release is not `deployed` or misses an
    /// object is run again (unless a retry of it is already scheduled).
    async fn monitor(&mut self, cancel: &CancellationToken) {
        for module in self.enabled.clone() {
            if cancel.is_cancelled() {
                return;
            }
            if self.retries.contains(&module) {
                continue;
            }
            match self.releases.health(&module).await {
                Ok(Health::Healthy | Health::NoRelease) => {}
                Ok(Health::NotDeployed(status)) => {
                    self.metrics.release_redeployed(&module);
                    tracing::warn!(module, %status, "release is not deployed, running the module");
                    self.step(&module, Step::Run).await;
                }
                Ok(Health::Absent(objects)) => {
                    let absent: Vec<String> = objects.iter().map(ToString::to_string).collect();
                    for resource in &absent {
                        self.metrics.absent_resource(&module, resource);
                    }
                    tracing::warn!(
                        module,
                        ?absent,
                        "absent resources detected, running the module"
                    );
                    self.step(&module, Step::Run).await;
                }
                Err(e) => {
                    tracing::warn!(module, error = %Report(&e), "resources monitor check failed");
                }
            }
        }
    }

    /// Uninstalls modules no longer enabled (in reverse order), then runs every enabled one.
    async fn converge(&mut self, cancel: &CancellationToken) {
        let started = Instant::now();
        let activation = if self.converges == 0 {
            ACTIVATION_OPERATOR_STARTUP
        } else {
            ACTIVATION_RELOAD_ALL_MODULES
        };
        self.converges += 1;
        self.status.first_started();
        let enabled = self.live.enabled_modules();
        let ordered: Vec<String> = self.live.read(|set| {
            let mut modules: Vec<_> = set
                .modules()
                .iter()
                .filter(|m| enabled.contains(&m.name))
                .map(|m| (m.order, m.name.clone()))
                .collect();
            modules.sort();
            modules.into_iter().map(|(_, name)| name).collect()
        });
        let disabled: Vec<String> = self
            .enabled
            .iter()
            .rev()
            .filter(|m| !ordered.contains(m))
            .cloned()
            .collect();
        self.enabled = ordered.clone();
        let steps: Vec<(String, Step)> = disabled
            .into_iter()
            .map(|m| (m, Step::Delete))
            .chain(ordered.into_iter().map(|m| (m, Step::Run)))
            .collect();
        for (done, (module, step)) in steps.iter().enumerate() {
            if cancel.is_cancelled() {
                return;
            }
            self.status.set_tasks(steps.len() - done);
            self.step(module, *step).await;
        }
        self.metrics.convergence(activation, started.elapsed());
    }

    /// Runs these modules alone, in module order; a module no longer enabled is skipped (upstream:
    /// a ModuleRun of a disabled module is a no-op).
    async fn run_modules(&mut self, modules: &BTreeSet<String>, cancel: &CancellationToken) {
        for module in self.enabled.clone() {
            if cancel.is_cancelled() {
                return;
            }
            if modules.contains(&module) {
                self.step(&module, Step::Run).await;
            }
        }
    }

    async fn retry_due(&mut self, cancel: &CancellationToken) {
        for (module, step) in self.retries.due(Instant::now()) {
            if cancel.is_cancelled() {
                return;
            }
            let still_wanted = match step {
                Step::Run => self.enabled.contains(&module),
                Step::Delete => !self.enabled.contains(&module),
            };
            if still_wanted {
                self.step(&module, step).await;
            } else {
                self.retries.succeed(&module);
            }
        }
    }

    async fn step(&mut self, module: &str, step: Step) {
        let activation = self.activation();
        let started = Instant::now();
        let result = match step {
            Step::Run => self.module_run(module, activation).await,
            Step::Delete => self.module_delete(module).await,
        };
        if step == Step::Run {
            self.metrics
                .module_run(module, activation, started.elapsed());
        }
        match result {
            Ok(()) => self.retries.succeed(module),
            Err(e) => {
                match step {
                    Step::Run => self.metrics.module_run_error(module),
                    Step::Delete => self.metrics.module_delete_error(module),
                }
                let delay = self
                    .retries
                    .fail(module, step, Instant::now(), &self.config.backoff);
                tracing::error!(
                    module,
                    ?step,
                    retry_in = ?delay,
                    error = %Report(&e),
                    "module step failed, will retry"
                );
            }
        }
    }

    /// ModuleRun of an enabled module: beforeHelm hooks (not yet), the helm step, afterHelm
    /// hooks (not yet); `activation` labels its metrics.
    pub async fn module_run(&self, module: &str, activation: &str) -> Result<(), ModuleRunError> {
        let started = Instant::now();
        let result = self.helm_step(module, activation).await;
        // Modules without a chart have no helm step to measure, as upstream.
        if !matches!(result, Ok(None)) {
            self.metrics
                .module_helm(module, activation, started.elapsed());
        }
        if let Some(outcome) = result? {
            match outcome {
                Outcome::Deployed { version, reason } => {
                    tracing::info!(module, version, ?reason, "module release deployed");
                }
                Outcome::Unchanged { version } => {
                    tracing::debug!(module, version, "module release unchanged");
                }
            }
        }
        Ok(())
    }

    /// The helm step: render with the live values, then bring the release up to date; `None`
    /// for a module without a chart.
    async fn helm_step(
        &self,
        module: &str,
        activation: &str,
    ) -> Result<Option<Outcome>, ModuleRunError> {
        let started = Instant::now();
        let rendered =
            self.live
                .render_release(module)
                .await
                .map_err(|source| ModuleRunError::Render {
                    module: module.to_owned(),
                    source,
                })?;
        let Some(rendered) = rendered else {
            return Ok(None);
        };
        self.metrics.helm_operation(
            module,
            activation,
            HelmOperation::Template,
            started.elapsed(),
        );
        let path = self
            .live
            .read(|set| set.module(module).map(|m| m.path.clone()))
            .ok_or_else(|| ModuleRunError::Render {
                module: module.to_owned(),
                source: RenderModuleError::NotFound,
            })?;
        let name = module.to_owned();
        let chart = tokio::task::spawn_blocking(move || ChartRecord::load(&path, &name))
            .await
            .map_err(|e| ModuleRunError::Render {
                module: module.to_owned(),
                source: RenderModuleError::Task(e.to_string()),
            })?
            .map_err(|source| ModuleRunError::Chart {
                module: module.to_owned(),
                source,
            })?;
        let values = match rendered.values {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let desired = Desired {
            name: module.to_owned(),
            chart,
            values,
            manifest: rendered.release.manifest,
            notes: rendered.release.notes,
        };
        let (result, timings) = self.releases.run_timed(&desired).await;
        self.metrics.helm_operation(
            module,
            activation,
            HelmOperation::CheckUpgrade,
            timings.check_upgrade,
        );
        if let Some(upgrade) = timings.upgrade {
            self.metrics
                .helm_operation(module, activation, HelmOperation::Upgrade, upgrade);
        }
        let outcome = result.map_err(|source| ModuleRunError::Release {
            module: module.to_owned(),
            source,
        })?;
        Ok(Some(outcome))
    }

    /// ModuleDelete: beforeDeleteHelm hooks (not yet), uninstall, afterDeleteHelm hooks (not
    /// yet).
    pub async fn module_delete(&self, module: &str) -> Result<(), ModuleRunError> {
        let existed =
            self.releases
                .uninstall(module)
                .await
                .map_err(|source| ModuleRunError::Release {
                    module: module.to_owned(),
                    source,
                })?;
        if existed {
            tracing::info!(module, "module disabled, release uninstalled");
        }
        Ok(())
    }

    /// Uninstalls releases that are not enabled modules; failures are only logged, as upstream.
    async fn purge(&self) {
        let names = match self.releases.list().await {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!(error = %Report(&e), "list releases for the purge failed");
                return;
            }
        };
        for name in names {
            if self.enabled.contains(&name) || self.config.ignore_release.as_ref() == Some(&name) {
                continue;
            }
            tracing::info!(release = name, "purging a release of no enabled module");
            if let Err(e) = self.releases.uninstall(&name).await {
                tracing::warn!(release = name, error = %Report(&e), "purge failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monitor_interval_gets_up_to_a_minute_at_upstreams_interval() {
        for _ in 0..20 {
            let d = with_jitter(DEFAULT_MONITOR_INTERVAL);
            assert!(
                d >= DEFAULT_MONITOR_INTERVAL && d < Duration::from_secs(330),
                "{d:?}"
            );
        }
        assert_eq!(with_jitter(Duration::ZERO), Duration::ZERO);
    }
}
