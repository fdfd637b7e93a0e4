//! Leader election with `--ha`: hooks run only while this replica holds the Lease. Waiting for the
//! Lease keeps `/readyz` at 503 `not the leader`; losing it stops the operator with an error (the
//! pod restarts and queues for the Lease again); a normal shutdown releases it after the hooks
//! stopped.

use std::time::Duration;

use leader_election::{LeaderElectionConfig, LeaderElector, Outcome};
use operator_http::Readiness;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::HaConfig;

/// Why leader election could not start.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// `--ha` needs a cluster to hold the Lease in.
    #[error("leader election needs a kubernetes client: {0}")]
    NoClient(String),
    /// The timings or names are refused.
    #[error("leader election config")]
    Config(#[source] leader_election::ConfigError),
}

/// A running election.
#[derive(Debug)]
pub struct Election {
    leading: watch::Receiver<bool>,
    task: JoinHandle<Outcome>,
    cancel: CancellationToken,
    readiness: Readiness,
}

/// How waiting for the Lease ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquired {
    /// This replica leads now.
    Leader,
    /// Shutdown was requested first.
    Shutdown,
}

impl Election {
    /// Starts campaigning for the Lease of `config` through `client`.
    pub fn start(
        config: &HaConfig,
        client: kube::Client,
        readiness: Readiness,
    ) -> Result<Self, HaError> {
        let namespace = config
            .namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_owned());
        let identity = config.identity.clone().unwrap_or_else(hostname);
        let mut election = LeaderElectionConfig::new(&config.lease_name, namespace, identity);
        election.lease_duration = config.lease_duration;
        election.renew_deadline = config.renew_deadline;
        election.retry_period = config.retry_period;
        tracing::info!(
            lease = %election.lease_name,
            namespace = %election.namespace,
            identity = %election.identity,
            "leader election: waiting for the lease"
        );
        let elector = LeaderElector::new(client, election).map_err(HaError::Config)?;
        let leading = elector.leading();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(elector.run(cancel.clone()));
        Ok(Self {
            leading,
            task,
            cancel,
            readiness,
        })
    }

    /// Waits until this replica leads, or `shutdown` fires.
    pub async fn acquired(&mut self, shutdown: &CancellationToken) -> Acquired {
        tokio::select! {
            result = self.leading.wait_for(|leading| *leading) => {
                if result.is_ok() {
                    self.readiness.became_leader();
                    Acquired::Leader
                } else {
                    // The elector ended without leading: only cancellation does that.
                    Acquired::Shutdown
                }
            }
            () = shutdown.cancelled() => Acquired::Shutdown,
        }
    }

    /// Resolves when leadership is lost (never while it is held).
    pub async fn lost(&mut self) {
        let _ = self.leading.wait_for(|leading| !*leading).await;
        self.readiness.lost_leadership();
    }

    /// Releases the Lease (when held) and waits for the elector to end, at most `limit`.
    pub async fn release(self, limit: Duration) {
        self.readiness.lost_leadership();
        self.cancel.cancel();
        match tokio::time::timeout(limit, self.task).await {
            Ok(Ok(outcome)) => tracing::debug!(?outcome, "leader election stopped"),
            Ok(Err(e)) => tracing::error!(error = %e, "leader election task failed"),
            Err(_) => tracing::warn!("leader election did not stop in time"),
        }
    }
}

/// The hostname, as identity when `POD_NAME` is not set.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "shell-operator".to_owned())
}
