//! The ConfigMap with config values: read once at startup (an invalid one stops startup, as
//! upstream), then watched with a field selector on its name so every change is live. A missing
//! ConfigMap counts as empty; an invalid change is logged and the last good config stays.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use operator_metrics::AddonMetrics;
use tokio_util::sync::CancellationToken;

use crate::app::live::{Applied, ApplyError, ConfigChange, Live};
use crate::app::trigger::{self, Trigger};

/// Reads the ConfigMap now; `None` data when it does not exist.
pub async fn read_initial(
    api: &Api<ConfigMap>,
    name: &str,
) -> Result<BTreeMap<String, String>, kube::Error> {
    Ok(api
        .get_opt(name)
        .await?
        .and_then(|cm| cm.data)
        .unwrap_or_default())
}

/// Applies every change of the ConfigMap `name` to `live` until `cancel`; a change whose
/// enabled modules were calculated asks `trigger` for a converge.
pub async fn watch(
    api: Api<ConfigMap>,
    name: String,
    live: Arc<Live>,
    trigger: Trigger,
    metrics: AddonMetrics,
    cancel: CancellationToken,
) {
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = watcher::watcher(api, config).default_backoff();
    let mut stream = std::pin::pin!(stream);
    // Whether the ConfigMap showed up in the current (re)list.
    let mut listed = false;
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => return,
            event = stream.next() => event,
        };
        let data = match event {
            None => return,
            Some(Err(e)) => {
                tracing::warn!(configmap = name, error = %error_report::Report(&e), "watch ConfigMap failed, retrying");
                continue;
            }
            Some(Ok(Event::Init)) => {
                listed = false;
                continue;
            }
            Some(Ok(Event::InitApply(cm))) => {
                listed = true;
                cm.data.unwrap_or_default()
            }
            Some(Ok(Event::InitDone)) if listed => continue,
            Some(Ok(Event::InitDone | Event::Delete(_))) => BTreeMap::new(),
            Some(Ok(Event::Apply(cm))) => cm.data.unwrap_or_default(),
        };
        let Some(Applied::Changed(change)) = apply(&live, &name, &data, &metrics) else {
            continue;
        };
        let before = live.enabled_modules();
        if !recalculate(&live, &metrics, &cancel).await {
            continue;
        }
        let after = live.enabled_modules();
        match route(&change, &before, &after) {
            Some(event) => {
                tracing::info!(?event, "config values changed, queueing");
                trigger.send(event);
            }
            None => tracing::info!(
                modules = ?change.modules,
                "config values of disabled modules changed, nothing to run"
            ),
        }
    }
}

/// What a change makes the converger do (reference §4.5): a `global` change or another set
/// of enabled modules converges all modules; a section change runs only those of its
/// modules that are enabled; a disabled module's section only changes its values.
pub fn route(change: &ConfigChange, before: &[String], after: &[String]) -> Option<trigger::Event> {
    if change.global || before != after {
        return Some(trigger::Event::Converge);
    }
    let modules: BTreeSet<String> = change
        .modules
        .iter()
        .filter(|m| after.contains(m))
        .cloned()
        .collect();
    (!modules.is_empty()).then_some(trigger::Event::RunModules(modules))
}

fn apply(
    live: &Live,
    name: &str,
    data: &BTreeMap<String, String>,
    metrics: &AddonMetrics,
) -> Option<Applied> {
    match live.apply(data) {
        Ok(applied) => {
            if applied != Applied::Unchanged {
                tracing::info!(configmap = name, "config values changed");
            }
            Some(applied)
        }
        Err(e @ (ApplyError::ConfigMap(_) | ApplyError::Values(_))) => {
            metrics.config_values_error();
            tracing::error!(
                configmap = name,
                error = %error_report::Report(&e),
                "ConfigMap is invalid, the last good config values stay in effect"
            );
            None
        }
    }
}

/// Recomputes the enabled modules after a change; a failing script keeps the previous list
/// (and gives `false`).
pub async fn recalculate(live: &Live, metrics: &AddonMetrics, cancel: &CancellationToken) -> bool {
    match live.recalculate_enabled(cancel).await {
        Ok(enabled) => {
            tracing::info!(?enabled, "enabled modules calculated");
            true
        }
        Err(e) => {
            metrics.modules_discover_error();
            tracing::error!(
                error = %error_report::Report(&e),
                "enabled modules calculation failed, the previous list stays in effect"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::trigger::Event;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn sections(modules: &[&str]) -> ConfigChange {
        ConfigChange {
            modules: modules.iter().map(|s| (*s).to_owned()).collect(),
            ..ConfigChange::default()
        }
    }

    #[test]
    fn a_global_change_or_another_enabled_set_converges_all_modules() {
        let both = names(&["a", "b"]);
        let global = ConfigChange {
            global: true,
            ..ConfigChange::default()
        };
        assert_eq!(route(&global, &both, &both), Some(Event::Converge));
        let flags = ConfigChange {
            flags: true,
            ..ConfigChange::default()
        };
        assert_eq!(route(&flags, &both, &names(&["a"])), Some(Event::Converge));
        assert_eq!(
            route(&sections(&["a"]), &names(&["a"]), &both),
            Some(Event::Converge)
        );
    }

    #[test]
    fn a_section_change_runs_only_its_enabled_module() {
        let enabled = names(&["a", "b"]);
        assert_eq!(
            route(&sections(&["a", "c"]), &enabled, &enabled),
            Some(Event::RunModules(BTreeSet::from(["a".to_owned()])))
        );
    }

    #[test]
    fn a_disabled_module_section_or_an_unchanged_enabled_set_runs_nothing() {
        let enabled = names(&["a"]);
        assert_eq!(route(&sections(&["c"]), &enabled, &enabled), None);
        let flags = ConfigChange {
            flags: true,
            ..ConfigChange::default()
        };
        assert_eq!(route(&flags, &enabled, &enabled), None);
    }
}
