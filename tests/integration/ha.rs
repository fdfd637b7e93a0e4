//! `--ha`: two operators against one cluster. Exactly one runs hooks and is ready; killing it
//! hands over within the lease duration; a replica that loses the Lease stops with an error.

use std::path::Path;
use std::time::{Duration, Instant};

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use integration_tests::{Operator, OperatorSpec, kubectl, wait_until, write_hook};

use crate::BIN;

const LEASE_DURATION: Duration = Duration::from_secs(3);

/// Records every run (onStartup, then every second) with the replica's identity.
const HOOK: &str = r#"if [[ "$1" == "--config" ]]; then cat <<'CONFIG'
configVersion: v1
onStartup: 1
schedule:
- name: tick
  crontab: "* * * * * *"
CONFIG
exit 0; fi
echo "$POD_NAME" >> "$RECORD_DIR/runs""#;

fn replica(hooks: &Path, kubeconfig: &Path, identity: &str) -> Operator {
    OperatorSpec::new(BIN, hooks)
        .env("POD_NAME", identity)
        .args(["--ha", "--ha-renew-deadline=2s", "--ha-retry-period=500ms"])
        .args([format!("--ha-lease-duration={}s", LEASE_DURATION.as_secs())])
        .args(["--kube-config".as_ref(), kubeconfig.as_os_str()])
        .start()
}

#[test]
fn only_the_lease_holder_runs_hooks_and_a_killed_leader_is_replaced() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cluster = runtime
        .block_on(EmbeddedCluster::start(EmbeddedConfig::default()))
        .unwrap();
    let kubeconfig = cluster.kubeconfig_path().to_owned();
    let hooks = tempfile::tempdir().unwrap();
    write_hook(hooks.path(), "tick.sh", HOOK);
    let a = replica(hooks.path(), &kubeconfig, "replica-a");
    let b = replica(hooks.path(), &kubeconfig, "replica-b");

    wait_until(
        "one replica to run hooks a few times",
        || a.recorded("runs").len() >= 3 || b.recorded("runs").len() >= 3,
        || format!("a:\n{}\nb:\n{}", a.logs(), b.logs()),
    );
    let a_leads = !a.recorded("runs").is_empty();
    let (leader, mut follower, follower_id) = if a_leads {
        (a, b, "replica-b")
    } else {
        (b, a, "replica-a")
    };
    assert!(follower.recorded("runs").is_empty(), "{}", follower.logs());
    let (status, body) = follower.http_get("/readyz");
    assert_eq!((status, body.trim()), (503, "not the leader"));
    wait_until(
        "the leader to be ready",
        || leader.http_get("/readyz").0 == 200,
        || leader.logs(),
    );

    // A crashed leader does not release the Lease: the follower takes over once it expires.
    leader.signal("KILL");
    let killed = Instant::now();
    follower.wait_for("the follower to run hooks", |op| {
        !op.recorded("runs").is_empty()
    });
    assert!(
        killed.elapsed() < LEASE_DURATION + Duration::from_secs(10),
        "handover took {:?}",
        killed.elapsed()
    );
    assert!(follower.recorded("runs").iter().all(|id| id == follower_id));

    // Another identity takes the Lease: the replica stops with an error so that it restarts.
    kubectl(
        &kubeconfig,
        &[
            "patch",
            "lease",
            "shell-operator-leader-election",
            "--type=merge",
            "-p",
            r#"{"spec":{"holderIdentity":"intruder"}}"#,
        ],
    );
    let status = follower.wait_exit();
    assert!(!status.success(), "{}", follower.logs());
    assert!(
        follower.logs().contains("the lease was lost"),
        "{}",
        follower.logs()
    );
    runtime.block_on(cluster.shutdown());
}
