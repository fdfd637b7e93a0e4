//! The ConfigMap with config values: read once at startup (an invalid one stops startup, as
//! upstream), then watched with a field selector on its name so every change is live. A missing
//! ConfigMap counts as empty; an invalid change is logged and the last good config stays.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use operator_metrics::AddonMetrics;
use tokio_util::sync::CancellationToken;

use crate::app::converge::{self, Trigger};
use crate::app::live::{Applied, ApplyError, Live};

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
        if apply(&live, &name, &data, &metrics) == Some(Applied::Changed)
            && recalculate(&live, &metrics, &cancel).await
        {
            trigger.send(converge::Event::Converge);
        }
    }
}

fn apply(
    live: &Live,
    name: &str,
    data: &BTreeMap<String, String>,
    metrics: &AddonMetrics,
) -> Option<Applied> {
    match live.apply(data) {
        Ok(applied) => {
            if applied == Applied::Changed {
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
