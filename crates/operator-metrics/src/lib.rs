//! The operator's own metrics for `/metrics`, named, typed and labelled as shell-operator names them.
//!
//! The binary builds one [`MetricsRegistry`], registers [`SelfMetrics`] into it with the configured
//! prefix, hands clones of the typed handles to the components that record, and serves
//! [`MetricsRegistry::encode`] on `/metrics`. Nothing here is global.
//!
//! ```
//! use std::time::Duration;
//! use operator_metrics::{HookRunLabels, HookRunOutcome, HookRunRecord, MetricsConfig, MetricsRegistry, SelfMetrics};
//!
//! let mut registry = MetricsRegistry::default();
//! let metrics = SelfMetrics::register(&mut registry, &MetricsConfig::default());
//! let labels = HookRunLabels::new("hook.sh", "kubernetes", "main");
//! metrics.hooks.hook_run(&labels, &HookRunRecord {
//!     duration: Duration::from_millis(30),
//!     user_cpu: Duration::from_millis(10),
//!     sys_cpu: Duration::from_millis(5),
//!     max_rss_bytes: 4096,
//!     outcome: HookRunOutcome::Success,
//! });
//! let text = registry.encode().unwrap_or_default();
//! assert!(text.contains("shell_operator_hook_run_success_total{hook=\"hook.sh\",binding=\"kubernetes\",queue=\"main\"} 1"));
//! ```

mod addon;
mod buckets;
mod common;
mod config;
mod exposition;
mod hook_run;
mod kube_client;
mod labels;
mod live_ticks;
mod process;

pub use addon::{
    ACTIVATION_OPERATOR_STARTUP, ACTIVATION_RELOAD_ALL_MODULES, AbsentResourceLabels,
    ActivationLabels, AddonMetrics, HelmOperation, HelmOperationLabels, ModuleActivationLabels,
    ModuleLabels,
};
pub use buckets::{
    ADDON_BUCKETS, HOOK_RUN_BUCKETS, KUBE_CLIENT_BUCKETS, KUBE_EVENT_BUCKETS, QUEUE_ACTION_BUCKETS,
};
pub use common::{CommonMetrics, LIVE_TICKS_INTERVAL, SelfMetrics};
pub use config::{DEFAULT_PREFIX, MetricsConfig};
pub use exposition::{CONTENT_TYPE, EncodeError, MetricsRegistry};
pub use hook_run::{HookRunMetrics, HookRunOutcome, HookRunRecord};
pub use kube_client::{KubeClientMetrics, url_template};
pub use labels::{
    BindingLabels, HookLabels, HookRunLabels, InformerLabels, KubeRequestLatencyLabels,
    KubeRequestResultLabels, QueueActionLabels, QueueLabels, WatchErrorLabels,
};
pub use live_ticks::run_live_ticks;
pub use process::ProcessCollector;
