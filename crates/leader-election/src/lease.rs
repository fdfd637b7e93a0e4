//! One attempt to take or renew the Lease, and its release (client-go `tryAcquireOrRenew`).

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use tokio::time::Instant;

use crate::config::LeaderElectionConfig;

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// We hold the Lease now.
    Held,
    /// Another identity holds a Lease that has not expired.
    HeldBy(String),
    /// Someone wrote the Lease between our read and write; try again later.
    Conflict,
}

/// The last Lease spec seen and when it was first seen (client-go's `observedTime`).
#[derive(Debug, Default)]
pub(crate) struct Observed {
    spec: Option<LeaseSpec>,
    at: Option<Instant>,
}

impl Observed {
    /// The holder in the last observed spec, if any.
    pub(crate) fn holder(&self) -> Option<String> {
        self.spec
            .as_ref()
            .and_then(|s| s.holder_identity.clone())
            .filter(|h| !h.is_empty())
    }

    fn see(&mut self, spec: &LeaseSpec) {
        if self.spec.as_ref() != Some(spec) {
            self.spec = Some(spec.clone());
            self.at = Some(Instant::now());
        }
    }

    fn expired(&self, lease_seconds: i32) -> bool {
        let valid_for = std::time::Duration::from_secs(u64::try_from(lease_seconds).unwrap_or(0));
        self.at.is_none_or(|at| at + valid_for <= Instant::now())
    }
}

/// Reads, then creates or replaces the Lease with our identity (optimistic via resourceVersion).
pub(crate) async fn try_acquire_or_renew(
    api: &Api<Lease>,
    config: &LeaderElectionConfig,
    observed: &mut Observed,
) -> Result<Attempt, kube::Error> {
    let now = MicroTime(Timestamp::now());
    let lease_seconds = i32::try_from(config.lease_duration.as_secs()).unwrap_or(i32::MAX);
    let Some(mut lease) = api.get_opt(&config.lease_name).await? else {
        let spec = LeaseSpec {
            holder_identity: Some(config.identity.clone()),
            lease_duration_seconds: Some(lease_seconds),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: Some(0),
            ..LeaseSpec::default()
        };
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(config.lease_name.clone()),
                namespace: Some(config.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(spec.clone()),
        };
        return match api.create(&PostParams::default(), &lease).await {
            Ok(_) => {
                observed.see(&spec);
                Ok(Attempt::Held)
            }
            Err(kube::Error::Api(status)) if status.is_already_exists() || status.is_conflict() => {
                Ok(Attempt::Conflict)
            }
            Err(err) => Err(err),
        };
    };
    let old = lease.spec.clone().unwrap_or_default();
    observed.see(&old);
    let holder = old.holder_identity.clone().filter(|h| !h.is_empty());
    let ours = holder.as_deref() == Some(config.identity.as_str());
    if let Some(holder) = &holder
        && !ours
        && !observed.expired(old.lease_duration_seconds.unwrap_or(0))
    {
        return Ok(Attempt::HeldBy(holder.clone()));
    }
    let transitions = old.lease_transitions.unwrap_or(0);
    let spec = LeaseSpec {
        holder_identity: Some(config.identity.clone()),
        lease_duration_seconds: Some(lease_seconds),
        acquire_time: if ours {
            old.acquire_time.clone()
        } else {
            Some(now.clone())
        },
        renew_time: Some(now),
        lease_transitions: Some(if ours {
            transitions
        } else {
            transitions.saturating_add(1)
        }),
        ..old
    };
    lease.spec = Some(spec.clone());
    match api
        .replace(&config.lease_name, &PostParams::default(), &lease)
        .await
    {
        Ok(_) => {
            observed.see(&spec);
            Ok(Attempt::Held)
        }
        Err(kube::Error::Api(status)) if status.is_conflict() => Ok(Attempt::Conflict),
        Err(err) => Err(err),
    }
}

/// client-go `ReleaseOnCancel`: empty holder, 1 s lease, so others take over at once.
pub(crate) async fn release(
    api: &Api<Lease>,
    config: &LeaderElectionConfig,
) -> Result<bool, kube::Error> {
    let Some(mut lease) = api.get_opt(&config.lease_name).await? else {
        return Ok(false);
    };
    let old = lease.spec.clone().unwrap_or_default();
    if old.holder_identity.as_deref() != Some(config.identity.as_str()) {
        return Ok(false);
    }
    let now = MicroTime(Timestamp::now());
    lease.spec = Some(LeaseSpec {
        holder_identity: Some(String::new()),
        lease_duration_seconds: Some(1),
        acquire_time: Some(now.clone()),
        renew_time: Some(now),
        ..old
    });
    api.replace(&config.lease_name, &PostParams::default(), &lease)
        .await?;
    Ok(true)
}
