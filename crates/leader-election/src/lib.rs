//! Lease-based leader election for `--ha` (`SHELL_OPERATOR_HA`, `ADDON_OPERATOR_HA`).
//!
//! Semantics follow client-go's `leaderelection` with `ReleaseOnCancel`, except that a leader
//! that sees another identity holding the Lease gives up at once instead of retrying until
//! its renew deadline, so two replicas never run hooks together longer than one retry period.
//!
//! ```no_run
//! # async fn demo(client: kube::Client) -> Result<(), leader_election::ConfigError> {
//! use leader_election::{LeaderElectionConfig, LeaderElector, Outcome, identity};
//! let id = identity(std::env::var("POD_NAME").ok().as_deref(), "my-host");
//! let elector = LeaderElector::new(client, LeaderElectionConfig::new("shell-operator-leader-election", "default", id))?;
//! let mut leading = elector.leading();
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let election = tokio::spawn(elector.run(cancel.clone()));
//! leading.wait_for(|l| *l).await.ok();
//! // ... start hooks; when `leading` turns false or the election returns Outcome::Lost, stop and exit.
//! # drop(election); Ok(()) }
//! ```

mod config;
mod elector;
mod lease;

pub use config::{
    ADDON_OPERATOR_LEASE_NAME, ConfigError, ENV_ADDON_OPERATOR_HA, ENV_SHELL_OPERATOR_HA,
    LeaderElectionConfig, SHELL_OPERATOR_LEASE_NAME, identity,
};
pub use elector::{LeaderElector, Outcome};
