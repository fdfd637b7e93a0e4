//! Two electors against the embedded API server: one leader, handover on crash and release,
//! and loss when another identity takes the Lease.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::PostParams;
use leader_election::{LeaderElectionConfig, LeaderElector, Outcome};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const LEASE: &str = "test-leader-election";

struct Replica {
    leading: watch::Receiver<bool>,
    cancel: CancellationToken,
    task: JoinHandle<Outcome>,
}

fn config(identity: &str, lease_duration: Duration) -> LeaderElectionConfig {
    let mut config = LeaderElectionConfig::new(LEASE, "default", identity);
    config.lease_duration = lease_duration;
    config.renew_deadline = Duration::from_secs(1);
    config.retry_period = Duration::from_millis(200);
    config
}

fn replica(cluster: &EmbeddedCluster, identity: &str, lease_duration: Duration) -> Replica {
    let elector =
        LeaderElector::new(cluster.client().unwrap(), config(identity, lease_duration)).unwrap();
    let leading = elector.leading();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(elector.run(cancel.clone()));
    Replica {
        leading,
        cancel,
        task,
    }
}

async fn wait_leading(replica: &mut Replica, within: Duration) {
    tokio::time::timeout(within, replica.leading.wait_for(|l| *l))
        .await
        .expect("did not become leader in time")
        .unwrap();
}

async fn first_leader(a: &mut Replica, b: &mut Replica) -> bool {
    tokio::time::timeout(Duration::from_secs(10), async {
        tokio::select! {
            r = a.leading.wait_for(|l| *l) => { r.unwrap(); true }
            r = b.leading.wait_for(|l| *l) => { r.unwrap(); false }
        }
    })
    .await
    .expect("nobody became leader")
}

async fn lease(cluster: &EmbeddedCluster) -> Lease {
    Api::<Lease>::namespaced(cluster.client().unwrap(), "default")
        .get(LEASE)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_electors_elect_exactly_one_leader() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let mut a = replica(&cluster, "a", Duration::from_secs(2));
    let mut b = replica(&cluster, "b", Duration::from_secs(2));
    let a_leads = first_leader(&mut a, &mut b).await;
    // Several renew periods later leadership has not moved or doubled.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(*a.leading.borrow(), a_leads);
    assert_eq!(*b.leading.borrow(), !a_leads);
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(
        spec.holder_identity.as_deref(),
        Some(if a_leads { "a" } else { "b" })
    );
    assert_eq!(spec.lease_duration_seconds, Some(2));
    a.cancel.cancel();
    b.cancel.cancel();
    assert_eq!(a.task.await.unwrap(), Outcome::Cancelled);
    assert_eq!(b.task.await.unwrap(), Outcome::Cancelled);
}

#[tokio::test]
async fn a_killed_leader_is_replaced_within_the_lease_duration() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let mut a = replica(&cluster, "a", Duration::from_secs(2));
    wait_leading(&mut a, Duration::from_secs(5)).await;
    let mut b = replica(&cluster, "b", Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!*b.leading.borrow(), "b must not lead while a renews");
    // A crash: the task dies without releasing the Lease.
    a.task.abort();
    // Lease 2 s plus up to one jittered retry; generous for a loaded CI box.
    wait_leading(&mut b, Duration::from_secs(6)).await;
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("b"));
    assert_eq!(spec.lease_transitions, Some(1));
    b.cancel.cancel();
    b.task.await.unwrap();
}

#[tokio::test]
async fn release_on_shutdown_hands_over_without_waiting_for_expiry() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    // A 30 s lease: without the release b would wait at least 30 s.
    let mut a = replica(&cluster, "a", Duration::from_secs(30));
    wait_leading(&mut a, Duration::from_secs(5)).await;
    let mut b = replica(&cluster, "b", Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.cancel.cancel();
    assert_eq!(a.task.await.unwrap(), Outcome::Cancelled);
    assert!(!*a.leading.borrow());
    wait_leading(&mut b, Duration::from_secs(10)).await;
    assert_eq!(
        lease(&cluster)
            .await
            .spec
            .unwrap()
            .holder_identity
            .as_deref(),
        Some("b")
    );
    b.cancel.cancel();
    b.task.await.unwrap();
}

#[tokio::test]
async fn released_lease_has_no_holder_and_a_one_second_duration() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let mut a = replica(&cluster, "a", Duration::from_secs(2));
    wait_leading(&mut a, Duration::from_secs(5)).await;
    a.cancel.cancel();
    a.task.await.unwrap();
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some(""));
    assert_eq!(spec.lease_duration_seconds, Some(1));
}

#[tokio::test]
async fn a_stolen_lease_makes_the_leader_signal_loss() {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap();
    let mut a = replica(&cluster, "a", Duration::from_secs(2));
    wait_leading(&mut a, Duration::from_secs(5)).await;
    let api = Api::<Lease>::namespaced(cluster.client().unwrap(), "default");
    // Retry on conflict: a renews concurrently.
    loop {
        let mut lease = api.get(LEASE).await.unwrap();
        let spec = lease.spec.as_mut().unwrap();
        spec.holder_identity = Some("intruder".into());
        spec.lease_duration_seconds = Some(60);
        match api.replace(LEASE, &PostParams::default(), &lease).await {
            Ok(_) => break,
            Err(kube::Error::Api(s)) if s.is_conflict() => continue,
            Err(e) => panic!("steal lease: {e}"),
        }
    }
    let outcome = tokio::time::timeout(Duration::from_secs(5), &mut a.task)
        .await
        .expect("loss not signalled")
        .unwrap();
    assert_eq!(outcome, Outcome::Lost);
    assert!(!*a.leading.borrow());
    // The intruder's Lease is left alone.
    assert_eq!(
        lease(&cluster)
            .await
            .spec
            .unwrap()
            .holder_identity
            .as_deref(),
        Some("intruder")
    );
}
