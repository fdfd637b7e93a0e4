//! The election loop: acquire, renew until cancelled or lost, release on shutdown.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::{Api, Client};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, JITTER_FACTOR, LeaderElectionConfig};
use crate::lease::{Attempt, Observed, release, try_acquire_or_renew};

/// How [`LeaderElector::run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Cancelled; the Lease was released if we held it.
    Cancelled,
    /// We were the leader and lost the Lease: stop running hooks and exit.
    Lost,
}

/// Takes and keeps a `coordination.k8s.io/v1` Lease; leadership is published on a watch channel.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaderElectionConfig,
    leading: watch::Sender<bool>,
    leader: watch::Sender<Option<String>>,
}

impl std::fmt::Debug for LeaderElector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LeaderElector {
    /// An elector for `config` using `client`; refuses timings client-go would refuse.
    pub fn new(client: Client, config: LeaderElectionConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(LeaderElector {
            api: Api::namespaced(client, &config.namespace),
            config,
            leading: watch::Sender::new(false),
            leader: watch::Sender::new(None),
        })
    }

    /// `true` while this replica is the leader; flips to `false` the moment leadership ends.
    pub fn leading(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// The holder last seen in the Lease (for proxying `/readyz` to the leader).
    pub fn leader(&self) -> watch::Receiver<Option<String>> {
        self.leader.subscribe()
    }

    /// Runs the election until `cancel` (then releases the Lease) or until leadership is lost.
    pub async fn run(self, cancel: CancellationToken) -> Outcome {
        let mut observed = Observed::default();
        let cfg = &self.config;
        // Acquire.
        loop {
            match self.attempt(&mut observed, cfg.renew_deadline).await {
                Some(Attempt::Held) => break,
                Some(Attempt::HeldBy(holder)) => {
                    tracing::debug!(lease = %cfg.lease_name, holder = %holder, "lease is held by another replica");
                }
                Some(Attempt::Conflict) | None => {}
            }
            tokio::select! {
                () = cancel.cancelled() => return Outcome::Cancelled,
                () = tokio::time::sleep(jittered(cfg.retry_period)) => {}
            }
        }
        tracing::info!(lease = %cfg.lease_name, identity = %cfg.identity, "successfully acquired lease");
        self.leading.send_replace(true);
        // Renew.
        let mut last_renew = Instant::now();
        loop {
            tokio::select! {
                () = cancel.cancelled() => {
                    self.leading.send_replace(false);
                    self.release().await;
                    return Outcome::Cancelled;
                }
                () = tokio::time::sleep(cfg.retry_period) => {}
            }
            let remaining = cfg.renew_deadline.saturating_sub(last_renew.elapsed());
            match self.attempt(&mut observed, remaining).await {
                Some(Attempt::Held) => last_renew = Instant::now(),
                Some(Attempt::HeldBy(holder)) => {
                    tracing::warn!(lease = %cfg.lease_name, holder = %holder, "lease was taken by another replica");
                    return self.lost();
                }
                Some(Attempt::Conflict) | None => {}
            }
            if last_renew.elapsed() >= cfg.renew_deadline {
                tracing::warn!(lease = %cfg.lease_name, "failed to renew lease within the renew deadline");
                return self.lost();
            }
        }
    }

    fn lost(&self) -> Outcome {
        self.leading.send_replace(false);
        tracing::info!(lease = %self.config.lease_name, identity = %self.config.identity, "leader lost");
        Outcome::Lost
    }

    /// One bounded attempt; errors are logged and count as a failed attempt.
    async fn attempt(&self, observed: &mut Observed, limit: Duration) -> Option<Attempt> {
        let result = tokio::time::timeout(
            limit,
            try_acquire_or_renew(&self.api, &self.config, observed),
        )
        .await;
        self.leader.send_if_modified(|current| {
            let holder = observed.holder();
            let changed = *current != holder;
            *current = holder;
            changed
        });
        match result {
            Ok(Ok(attempt)) => Some(attempt),
            Ok(Err(err)) => {
                tracing::warn!(lease = %self.config.lease_name, error = %error_report::Report(&err), "error acquiring or renewing lease");
                None
            }
            Err(_) => {
                tracing::warn!(lease = %self.config.lease_name, "acquiring or renewing lease timed out");
                None
            }
        }
    }

    async fn release(&self) {
        match tokio::time::timeout(self.config.renew_deadline, release(&self.api, &self.config))
            .await
        {
            Ok(Ok(true)) => tracing::info!(lease = %self.config.lease_name, "released lease"),
            Ok(Ok(false)) => {}
            Ok(Err(err)) => {
                tracing::warn!(lease = %self.config.lease_name, error = %error_report::Report(&err), "failed to release lease")
            }
            Err(_) => tracing::warn!(lease = %self.config.lease_name, "releasing lease timed out"),
        }
    }
}

/// `period` plus up to `JITTER_FACTOR * period`, as client-go's `wait.Jitter`.
fn jittered(period: Duration) -> Duration {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    let unit = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    period + period.mul_f64(unit * JITTER_FACTOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_client_go_bounds() {
        let period = Duration::from_secs(2);
        for _ in 0..100 {
            let d = jittered(period);
            assert!(
                d >= period && d <= period.mul_f64(1.0 + JITTER_FACTOR),
                "{d:?}"
            );
        }
    }
}
