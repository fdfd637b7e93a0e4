//! Admission and conversion webhooks of the hook engine: the glue between the loaded hooks
//! (`hook-engine`) and the HTTPS servers and registrations of `webhook-server`.
//!
//! From the [`HookRegistry`](hook_engine::HookRegistry), [`WebhookPlan`] collects the
//! validating and mutating bindings (routes `/hooks/<SafeURLString(name)>` and one webhook per
//! binding in the `<configuration-name>-hooks` configurations) and the conversion rules (one
//! graph per CRD). [`Webhooks`] starts the servers the hooks need, registers them, and runs each
//! request's hook synchronously through [`DirectRuns`](hook_engine::DirectRuns) with
//! [`EngineHookRunner`]: outside the queues, behind the hook's rate limiter, with a
//! Validating/Mutating/Conversion binding context.
//!
//! Wiring in the operator, after the engine is built and before it runs:
//!
//! ```no_run
//! # async fn demo(
//! #     engine: &hook_engine::Engine,
//! #     client: kube::Client,
//! #     cluster: Option<&embedded_apiserver::EmbeddedCluster>,
//! #     shutdown: tokio_util::sync::CancellationToken,
//! # ) -> Result<(), engine_webhooks::WebhooksError> {
//! use engine_webhooks::{Webhooks, WebhooksConfig};
//!
//! let mut config = WebhooksConfig::default(); // then one field per flag
//! config.namespace = "shell-operator".to_owned();
//! let (registry, runs) = (engine.registry(), engine.direct_runs());
//! let webhooks = match cluster {
//!     // A real cluster reaches the servers through the Services.
//!     None => Webhooks::start(config, registry, runs, &client, &shutdown).await?,
//!     // `--embedded-cluster`: route the Services to the bound addresses before registering,
//!     // so the first call after registration already resolves.
//!     Some(cluster) => {
//!         Webhooks::start_routed(config, registry, runs, &client, &shutdown, |endpoint| {
//!             cluster.register_service(&endpoint.namespace, &endpoint.service_name, endpoint.addr);
//!         })
//!         .await?
//!     }
//! };
//! // ... run the engine until `shutdown` is cancelled, then:
//! webhooks.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod plan;
mod runner;
mod webhooks;

pub use config::{
    AdmissionSettings, ConversionSettings, ServerRole, ServerSettings, WebhooksConfig,
};
pub use error::WebhooksError;
pub use plan::{AdmissionTarget, BindingTable, SkippedWebhook, WebhookPlan};
pub use runner::EngineHookRunner;
pub use webhooks::{SHUTDOWN_DEADLINE, ServiceEndpoint, Webhooks};
