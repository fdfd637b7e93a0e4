//! [`Webhooks`]: starts the servers the hooks need, registers them in the cluster, reports where
//! they listen, and stops them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hook_engine::{DirectRuns, HookRegistry};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use webhook_server::admission::CONFIGURATION_ID;
use webhook_server::{
    AdmissionRegistration, ConversionRegistration, ServerHandle, WebhookHookRunner,
    register_admission, serve_admission, serve_conversion, spawn_crd_conversion,
};

use crate::config::{ServerRole, ServerSettings, WebhooksConfig};
use crate::error::WebhooksError;
use crate::plan::WebhookPlan;
use crate::runner::EngineHookRunner;

/// How long [`Webhooks::shutdown`] waits for open requests (their hooks) and registration tasks.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// Where one server is reached: the Service its configurations name and the bound address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// Which server.
    pub role: ServerRole,
    /// `--namespace`.
    pub namespace: String,
    /// `--validating-webhook-service-name` or `--conversion-webhook-service-name`.
    pub service_name: String,
    /// The address the server is bound to.
    pub addr: SocketAddr,
}

/// The running webhook servers (none, one or both) and the CRD registration tasks.
#[derive(Debug)]
pub struct Webhooks {
    config: WebhooksConfig,
    plan: WebhookPlan,
    admission: Option<Served>,
    conversion: Option<Served>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

/// A started server and the CA its registrations carry.
#[derive(Debug)]
struct Served {
    handle: ServerHandle,
    ca_bundle: Vec<u8>,
}

async fn read_ca(settings: &ServerSettings, role: ServerRole) -> Result<Vec<u8>, WebhooksError> {
    match &settings.ca {
        Some(path) => webhook_server::tls::read_pem_file(path)
            .await
            .map_err(|source| WebhooksError::ReadCa { role, source }),
        None => Ok(Vec::new()),
    }
}

impl Webhooks {
    /// Serves and registers: [`Webhooks::serve`] then [`Webhooks::register`]. With an embedded
    /// cluster, use [`Webhooks::start_routed`] so no request is made before its Service resolves.
    pub async fn start(
        config: WebhooksConfig,
        registry: &HookRegistry,
        direct_runs: DirectRuns,
        client: &kube::Client,
        shutdown: &CancellationToken,
    ) -> Result<Webhooks, WebhooksError> {
        Webhooks::start_routed(config, registry, direct_runs, client, shutdown, |_| {}).await
    }

    /// [`Webhooks::start`] that calls `route` with each served endpoint between serving and
    /// registering, e.g. `EmbeddedCluster::register_service`, so the first call the API server
    /// makes after registration already resolves.
    pub async fn start_routed(
        config: WebhooksConfig,
        registry: &HookRegistry,
        direct_runs: DirectRuns,
        client: &kube::Client,
        shutdown: &CancellationToken,
        mut route: impl FnMut(&ServiceEndpoint),
    ) -> Result<Webhooks, WebhooksError> {
        let webhooks = Webhooks::serve(config, registry, direct_runs, shutdown).await?;
        for endpoint in webhooks.endpoints() {
            route(&endpoint);
        }
        if let Err(err) = webhooks.register(client).await {
            webhooks.shutdown().await;
            return Err(err);
        }
        Ok(webhooks)
    }

    /// Starts the admission server if any hook has a validating or mutating binding, and the
    /// conversion server if any has a conversion binding. Both stop when `shutdown` is
    /// cancelled; [`Webhooks::shutdown`] waits for them.
    pub async fn serve(
        config: WebhooksConfig,
        registry: &HookRegistry,
        direct_runs: DirectRuns,
        shutdown: &CancellationToken,
    ) -> Result<Webhooks, WebhooksError> {
        let plan = WebhookPlan::from_registry(registry);
        let cancel = shutdown.child_token();
        let runner: Arc<dyn WebhookHookRunner> = Arc::new(EngineHookRunner::new(
            direct_runs,
            Arc::new(plan.bindings.clone()),
        ));
        let mut webhooks = Webhooks {
            admission: None,
            conversion: None,
            cancel,
            tracker: TaskTracker::new(),
            config,
            plan,
        };
        if webhooks.plan.has_admission() {
            match webhooks.serve_one(ServerRole::Admission, &runner).await {
                Ok(served) => webhooks.admission = Some(served),
                Err(err) => {
                    webhooks.shutdown().await;
                    return Err(err);
                }
            }
        }
        if webhooks.plan.has_conversion() {
            match webhooks.serve_one(ServerRole::Conversion, &runner).await {
                Ok(served) => webhooks.conversion = Some(served),
                Err(err) => {
                    webhooks.shutdown().await;
                    return Err(err);
                }
            }
        }
        Ok(webhooks)
    }

    async fn serve_one(
        &self,
        role: ServerRole,
        runner: &Arc<dyn WebhookHookRunner>,
    ) -> Result<Served, WebhooksError> {
        let settings = match role {
            ServerRole::Admission => &self.config.admission.server,
            ServerRole::Conversion => &self.config.conversion.server,
        };
        let ca_bundle = read_ca(settings, role).await?;
        let server = settings
            .server_config(role, self.config.cert_reload_interval)
            .await?;
        let runner = Arc::clone(runner);
        let handle = match role {
            ServerRole::Admission => {
                serve_admission(&server, self.plan.routes.clone(), runner, &self.cancel).await
            }
            ServerRole::Conversion => {
                serve_conversion(&server, self.plan.graph.clone(), runner, &self.cancel).await
            }
        }
        .map_err(|source| WebhooksError::Serve { role, source })?;
        tracing::info!(%role, addr = %handle.local_addr(), service = %settings.service_name, "webhook server listens");
        Ok(Served { handle, ca_bundle })
    }

    /// Creates or updates the `<configuration-name>-hooks` Validating/MutatingWebhookConfiguration
    /// (one webhook per binding; a kind without bindings is left alone) and starts patching the
    /// `spec.conversion` of every CRD with conversion hooks. CRD patches run in the background,
    /// retrying while a CRD is missing, so they never hold up startup.
    pub async fn register(&self, client: &kube::Client) -> Result<(), WebhooksError> {
        if let Some(served) = &self.admission {
            let admission = &self.config.admission;
            let registration = AdmissionRegistration {
                configuration_name: format!("{}-{CONFIGURATION_ID}", admission.configuration_name),
                namespace: self.config.namespace.clone(),
                service_name: admission.server.service_name.clone(),
                service_port: None,
                ca_bundle: served.ca_bundle.clone(),
                annotations: admission.annotations.clone(),
            };
            register_admission(
                client,
                &registration,
                &self.plan.validating,
                &self.plan.mutating,
            )
            .await
            .map_err(WebhooksError::RegisterAdmission)?;
            tracing::info!(
                configuration = %registration.configuration_name,
                validating = self.plan.validating.len(),
                mutating = self.plan.mutating.len(),
                "admission webhooks registered"
            );
        }
        if let Some(served) = &self.conversion {
            let conversion = &self.config.conversion;
            let registration = ConversionRegistration {
                namespace: self.config.namespace.clone(),
                service_name: conversion.server.service_name.clone(),
                service_port: None,
                ca_bundle: served.ca_bundle.clone(),
                retry_delay: conversion.retry_delay,
                max_retry_delay: conversion.max_retry_delay,
            };
            spawn_crd_conversion(
                client,
                &registration,
                self.plan.crd_names.iter().cloned(),
                &self.tracker,
                &self.cancel,
            );
        }
        Ok(())
    }

    /// The admission server's address, when it runs.
    pub fn admission_addr(&self) -> Option<SocketAddr> {
        self.admission.as_ref().map(|s| s.handle.local_addr())
    }

    /// The conversion server's address, when it runs.
    pub fn conversion_addr(&self) -> Option<SocketAddr> {
        self.conversion.as_ref().map(|s| s.handle.local_addr())
    }

    /// The Services the registrations name, with the addresses that serve them (for
    /// `EmbeddedCluster::register_service`).
    pub fn endpoints(&self) -> Vec<ServiceEndpoint> {
        let endpoint = |role, settings: &ServerSettings, addr| ServiceEndpoint {
            role,
            namespace: self.config.namespace.clone(),
            service_name: settings.service_name.clone(),
            addr,
        };
        let admission = self
            .admission_addr()
            .map(|addr| endpoint(ServerRole::Admission, &self.config.admission.server, addr));
        let conversion = self
            .conversion_addr()
            .map(|addr| endpoint(ServerRole::Conversion, &self.config.conversion.server, addr));
        admission.into_iter().chain(conversion).collect()
    }

    /// What was collected from the hooks.
    pub fn plan(&self) -> &WebhookPlan {
        &self.plan
    }

    /// Stops accepting, lets open requests finish (their hooks run to the end or are killed
    /// by the engine's shutdown) and stops the CRD registration, waiting at most
    /// [`SHUTDOWN_DEADLINE`].
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        let servers = self
            .admission
            .into_iter()
            .chain(self.conversion)
            .map(|served| served.handle.shutdown());
        let stopping = async {
            futures::future::join_all(servers).await;
            self.tracker.wait().await;
        };
        if tokio::time::timeout(SHUTDOWN_DEADLINE, stopping)
            .await
            .is_err()
        {
            tracing::warn!(
                deadline = ?SHUTDOWN_DEADLINE,
                "webhook servers did not stop in time"
            );
        }
    }
}
