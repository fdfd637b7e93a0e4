//! Leader-election settings: the Lease, the identity and client-go's three timings.

use std::time::Duration;

/// Env var that turns HA on for shell-operator (`--ha`).
pub const ENV_SHELL_OPERATOR_HA: &str = "SHELL_OPERATOR_HA";
/// Env var that turns HA on for addon-operator.
pub const ENV_ADDON_OPERATOR_HA: &str = "ADDON_OPERATOR_HA";
/// Default Lease name for shell-operator (`--ha-lease-name`).
pub const SHELL_OPERATOR_LEASE_NAME: &str = "shell-operator-leader-election";
/// The Lease name addon-operator uses.
pub const ADDON_OPERATOR_LEASE_NAME: &str = "addon-operator-leader-election";

/// How the elector takes and keeps the Lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderElectionConfig {
    /// Lease name.
    pub lease_name: String,
    /// Lease namespace.
    pub namespace: String,
    /// This replica's identity (pod name or hostname), written as `holderIdentity`.
    pub identity: String,
    /// How long non-leaders wait after the last observed change before taking over.
    pub lease_duration: Duration,
    /// How long the leader keeps retrying a failed renewal before it gives up leadership.
    pub renew_deadline: Duration,
    /// The pause between attempts.
    pub retry_period: Duration,
}

/// client-go's jitter factor for the acquire loop.
pub(crate) const JITTER_FACTOR: f64 = 1.2;

impl LeaderElectionConfig {
    /// client-go's usual timings: lease 15 s, renew deadline 10 s, retry 2 s.
    pub fn new(
        lease_name: impl Into<String>,
        namespace: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        LeaderElectionConfig {
            lease_name: lease_name.into(),
            namespace: namespace.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }

    /// The checks client-go's `NewLeaderElector` makes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.lease_name.is_empty() {
            return Err(ConfigError::EmptyLeaseName);
        }
        if self.namespace.is_empty() {
            return Err(ConfigError::EmptyNamespace);
        }
        if self.identity.is_empty() {
            return Err(ConfigError::EmptyIdentity);
        }
        if self.lease_duration < Duration::from_secs(1) {
            return Err(ConfigError::LeaseTooShort);
        }
        if self.lease_duration <= self.renew_deadline {
            return Err(ConfigError::LeaseNotLongerThanRenewDeadline);
        }
        if self.retry_period.is_zero()
            || self.renew_deadline.as_secs_f64() <= JITTER_FACTOR * self.retry_period.as_secs_f64()
        {
            return Err(ConfigError::RenewDeadlineTooShort);
        }
        Ok(())
    }
}

/// Pod name when known, else the hostname, as the identity.
pub fn identity(pod_name: Option<&str>, hostname: &str) -> String {
    pod_name
        .filter(|p| !p.is_empty())
        .unwrap_or(hostname)
        .to_owned()
}

/// A [`LeaderElectionConfig`] client-go would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No Lease name.
    #[error("lease name must not be empty")]
    EmptyLeaseName,
    /// No namespace.
    #[error("lease namespace must not be empty")]
    EmptyNamespace,
    /// No identity.
    #[error("identity must not be empty")]
    EmptyIdentity,
    /// The Lease is stored in whole seconds.
    #[error("lease duration must be at least 1s")]
    LeaseTooShort,
    /// The leader must give up before others may take over.
    #[error("lease duration must be greater than renew deadline")]
    LeaseNotLongerThanRenewDeadline,
    /// Retries must fit into the renew deadline.
    #[error("renew deadline must be greater than retry period * 1.2")]
    RenewDeadlineTooShort,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_client_go_and_are_valid() {
        let config = LeaderElectionConfig::new("l", "ns", "me");
        assert_eq!(config.lease_duration, Duration::from_secs(15));
        assert_eq!(config.renew_deadline, Duration::from_secs(10));
        assert_eq!(config.retry_period, Duration::from_secs(2));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn a_renew_deadline_as_long_as_the_lease_is_refused() {
        let mut config = LeaderElectionConfig::new("l", "ns", "me");
        config.renew_deadline = config.lease_duration;
        assert_eq!(
            config.validate(),
            Err(ConfigError::LeaseNotLongerThanRenewDeadline)
        );
        config.renew_deadline = Duration::from_secs(2);
        assert_eq!(config.validate(), Err(ConfigError::RenewDeadlineTooShort));
    }

    #[test]
    fn identity_prefers_the_pod_name() {
        assert_eq!(identity(Some("pod-1"), "host"), "pod-1");
        assert_eq!(identity(Some(""), "host"), "host");
        assert_eq!(identity(None, "host"), "host");
    }
}
