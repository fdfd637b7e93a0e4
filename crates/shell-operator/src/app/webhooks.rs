//! The admission and conversion webhooks of the loaded hooks (`engine-webhooks`): started once
//! the engine is built, so requests run hooks from then on (upstream serves them even before the
//! `onStartup` hooks ran), and stopped after the engine.

use embedded_apiserver::EmbeddedCluster;
use engine_webhooks::{WebhookPlan, Webhooks, WebhooksConfig, WebhooksError};
use hook_engine::Engine;
use tokio_util::sync::CancellationToken;

use super::kube::KubeAccess;

/// Why the webhooks did not start.
#[derive(Debug, thiserror::Error)]
pub enum WebhooksStartError {
    /// Hooks have webhook bindings but there is no cluster to register them in.
    #[error("hooks have webhook bindings but no Kubernetes client is available: {0}")]
    NoClient(String),
    /// Serving or registering failed.
    #[error(transparent)]
    Webhooks(#[from] WebhooksError),
}

/// Starts the servers the hooks need and registers them; `None` when no hook has a validating,
/// mutating or conversion binding. With an embedded cluster, the Services named in the
/// registrations are routed to the bound servers before anything is registered, so
/// `kubectl apply` against it reaches the hooks.
pub(super) async fn start(
    config: &WebhooksConfig,
    engine: &Engine,
    access: &KubeAccess,
    cluster: Option<&EmbeddedCluster>,
    shutdown: &CancellationToken,
) -> Result<Option<Webhooks>, WebhooksStartError> {
    let plan = WebhookPlan::from_registry(engine.registry());
    if !plan.has_admission() && !plan.has_conversion() {
        return Ok(None);
    }
    let client = match access {
        KubeAccess::Connected { main, .. } => main,
        KubeAccess::Unavailable { reason } => {
            return Err(WebhooksStartError::NoClient(reason.clone()));
        }
    };
    let mut config = config.clone();
    if config.namespace.is_empty() {
        // `--namespace` unset: the Services live in the client's namespace (in-cluster, the
        // pod's own; from a kubeconfig, its context's).
        client.default_namespace().clone_into(&mut config.namespace);
    }
    let webhooks = Webhooks::start_routed(
        config,
        engine.registry(),
        engine.direct_runs(),
        client,
        shutdown,
        |endpoint| {
            if let Some(cluster) = cluster {
                cluster.register_service(
                    &endpoint.namespace,
                    &endpoint.service_name,
                    endpoint.addr,
                );
            }
        },
    )
    .await?;
    Ok(Some(webhooks))
}
