//! Releases against the embedded API server: install, no-op re-runs, upgrades with pruning,
//! auto-heal of absent objects, uninstall, pending revisions, releases written by Helm, and
//! (with `HELM_ORACLE_PYTHON`) real Helm reading and uninstalling our release.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail by panicking"
)]

use std::collections::BTreeMap;

use addon_releases::release::{CHECKSUM_VALUE, NewRevision};
use addon_releases::storage::to_secret;
use addon_releases::{
    ChartRecord, Desired, Health, Outcome, Release, Releases, ReleasesConfig, Status, UpgradeReason,
};
use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::{Map, Value, json};

const NS: &str = "default";

struct Env {
    cluster: EmbeddedCluster,
    client: kube::Client,
    releases: Releases,
}

async fn env() -> Env {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::plain_http())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    let releases = Releases::new(client.clone(), ReleasesConfig::new(NS));
    Env {
        cluster,
        client,
        releases,
    }
}

fn cm(name: &str, extra: &str) -> String {
    format!(
        "---\n# Source: m/templates/{name}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  \
         name: {name}\n  labels:\n    heritage: legacy\n{extra}data:\n  k: v\n"
    )
}

fn desired(manifest: String, values: Value) -> Desired {
    let Value::Object(values) = values else {
        panic!("values must be a map")
    };
    Desired {
        name: "m".into(),
        chart: ChartRecord::synthesized("m"),
        values,
        manifest,
        notes: None,
    }
}

impl Env {
    /// Releases that keep `history_max` revisions.
    fn keeping(&self, history_max: usize) -> Releases {
        let config = ReleasesConfig {
            history_max,
            ..ReleasesConfig::new(NS)
        };
        Releases::new(self.client.clone(), config)
    }

    fn configmaps(&self) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), NS)
    }

    fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), NS)
    }

    async fn secret_names(&self) -> Vec<String> {
        let list = self
            .secrets()
            .list(&ListParams::default().labels("owner=helm"))
            .await
            .unwrap();
        let mut names: Vec<String> = list
            .items
            .into_iter()
            .filter_map(|s| s.metadata.name)
            .collect();
        names.sort();
        names
    }

    async fn statuses(&self) -> Vec<(u64, Status)> {
        let history = self.releases.history("m").await.unwrap();
        history.iter().map(|r| (r.version(), r.status())).collect()
    }
}

#[tokio::test]
async fn install_creates_labelled_objects_and_revision_1() {
    let env = env().await;
    let manifest = format!("{}{}", cm("a", ""), cm("b", ""));
    let outcome = env
        .releases
        .run(&desired(manifest, json!({"x": 1})))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Deployed {
            version: 1,
            reason: UpgradeReason::NoRelease
        }
    );
    let a = env.configmaps().get("a").await.unwrap();
    let labels = a.metadata.labels.unwrap();
    assert_eq!(labels["heritage"], "addon-operator");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "Helm");
    let annotations = a.metadata.annotations.unwrap();
    assert_eq!(annotations["meta.helm.sh/release-name"], "m");
    assert_eq!(annotations["meta.helm.sh/release-namespace"], NS);
    env.configmaps().get("b").await.unwrap();

    let secret = env.secrets().get("sh.helm.release.v1.m.v1").await.unwrap();
    assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
    let labels = secret.metadata.labels.unwrap();
    for (k, v) in [
        ("name", "m"),
        ("owner", "helm"),
        ("status", "deployed"),
        ("version", "1"),
        (
            "maintenance.deckhouse.io/no-resource-reconciliation",
            "false",
        ),
    ] {
        assert_eq!(labels[k], v, "label {k}");
    }
    assert!(labels["modifiedAt"].parse::<i64>().is_ok());
    let checksum = &labels["moduleChecksum"];
    assert!(
        checksum.len() == 32 && checksum.chars().all(|c| c.is_ascii_hexdigit()),
        "{checksum}"
    );
    let rel = &env.releases.history("m").await.unwrap()[0];
    assert_eq!(rel.json()["config"], json!({"x": 1}));
    assert_eq!(rel.json()["info"]["description"], "Install complete");
    assert!(rel.manifest().contains("heritage: addon-operator"));
    assert_eq!(env.releases.list().await.unwrap(), ["m"]);
}

#[tokio::test]
async fn cluster_scoped_objects_ignore_a_namespace_in_the_chart() {
    let env = env().await;
    let ns = "---\n# Source: m/templates/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  \
              name: extra\n  namespace: default\n";
    env.releases
        .run(&desired(ns.to_owned(), json!({})))
        .await
        .unwrap();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(env.client.clone());
    namespaces.get("extra").await.unwrap();
    namespaces
        .delete("extra", &DeleteParams::default())
        .await
        .unwrap();
    let absent = match env.releases.health("m").await.unwrap() {
        Health::Absent(absent) => absent,
        other => panic!("{other:?}"),
    };
    assert_eq!(absent[0].to_string(), "/Namespace/extra");
}

#[tokio::test]
async fn an_unchanged_rerun_adds_no_revision() {
    let env = env().await;
    let d = desired(cm("a", ""), json!({}));
    env.releases.run(&d).await.unwrap();
    let outcome = env.releases.run(&d).await.unwrap();
    assert_eq!(outcome, Outcome::Unchanged { version: 1 });
    assert_eq!(env.secret_names().await, ["sh.helm.release.v1.m.v1"]);
}

#[tokio::test]
async fn a_changed_manifest_makes_v2_supersedes_v1_and_prunes_removed_objects() {
    let env = env().await;
    let kept = "  annotations:\n    helm.sh/resource-policy: keep\n";
    let first = format!("{}{}{}", cm("a", ""), cm("b", ""), cm("kept", kept));
    env.releases
        .run(&desired(first, json!({"v": 1})))
        .await
        .unwrap();
    let outcome = env
        .releases
        .run(&desired(cm("a", ""), json!({"v": 2})))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Deployed {
            version: 2,
            reason: UpgradeReason::Checksum
        }
    );
    assert_eq!(
        env.statuses().await,
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
    assert!(env.configmaps().get_opt("b").await.unwrap().is_none());
    assert!(env.configmaps().get_opt("kept").await.unwrap().is_some());
    assert!(env.configmaps().get_opt("a").await.unwrap().is_some());
}

#[tokio::test]
async fn a_deleted_object_makes_an_upgrade_that_recreates_it() {
    let env = env().await;
    let d = desired(format!("{}{}", cm("a", ""), cm("b", "")), json!({}));
    env.releases.run(&d).await.unwrap();
    env.configmaps()
        .delete("b", &DeleteParams::default())
        .await
        .unwrap();
    let Health::Absent(absent) = env.releases.health("m").await.unwrap() else {
        panic!("b is absent")
    };
    assert_eq!(absent[0].to_string(), "default/ConfigMap/b");
    let outcome = env.releases.run(&d).await.unwrap();
    let Outcome::Deployed {
        version: 2,
        reason: UpgradeReason::Absent(key),
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(key.to_string(), "default/ConfigMap/b");
    env.configmaps().get("b").await.unwrap();
    assert_eq!(env.releases.health("m").await.unwrap(), Health::Healthy);
    assert_eq!(env.releases.health("x").await.unwrap(), Health::NoRelease);
}

#[tokio::test]
async fn uninstall_removes_objects_and_revisions_but_keeps_kept_objects() {
    let env = env().await;
    let kept = "  annotations:\n    helm.sh/resource-policy: keep\n";
    let d = desired(format!("{}{}", cm("a", ""), cm("kept", kept)), json!({}));
    env.releases.run(&d).await.unwrap();
    env.releases
        .run(&desired(cm("a", ""), json!({"v": 2})))
        .await
        .unwrap();
    assert!(env.releases.uninstall("m").await.unwrap());
    assert!(env.configmaps().get_opt("a").await.unwrap().is_none());
    assert!(env.configmaps().get_opt("kept").await.unwrap().is_some());
    assert!(env.secret_names().await.is_empty());
    assert!(!env.releases.uninstall("m").await.unwrap());
    assert!(env.releases.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_pending_revision_is_deleted_before_deciding() {
    let env = env().await;
    let d = desired(cm("a", ""), json!({}));
    env.releases.run(&d).await.unwrap();
    let chart = ChartRecord::synthesized("m");
    let config = Map::new();
    let pending = Release::new(
        &NewRevision {
            name: "m",
            version: 2,
            namespace: NS,
            chart: &chart,
            config: &config,
            manifest: "",
            notes: None,
            first_deployed: None,
            labels: BTreeMap::new(),
        },
        Status::PendingUpgrade,
        "Preparing upgrade",
    );
    env.secrets()
        .create(&PostParams::default(), &to_secret(&pending).unwrap())
        .await
        .unwrap();
    assert_eq!(
        env.releases.health("m").await.unwrap(),
        Health::NotDeployed(Status::PendingUpgrade)
    );
    assert_eq!(
        env.releases.run(&d).await.unwrap(),
        Outcome::Unchanged { version: 1 }
    );
    assert_eq!(env.secret_names().await, ["sh.helm.release.v1.m.v1"]);
}

#[tokio::test]
async fn the_history_is_capped() {
    let env = env().await;
    let releases = env.keeping(2);
    for v in 0..4 {
        releases
            .run(&desired(
                cm("a", &format!("  annotations: {{v: '{v}'}}\n")),
                json!({}),
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        env.secret_names().await,
        ["sh.helm.release.v1.m.v3", "sh.helm.release.v1.m.v4"]
    );
}

#[tokio::test]
async fn failed_upgrades_are_capped_too_and_the_deployed_revision_stays() {
    let env = env().await;
    let releases = env.keeping(3);
    releases
        .run(&desired(cm("a", ""), json!({})))
        .await
        .unwrap();
    let broken = cm("b", "  namespace: missing\n");
    for _ in 0..4 {
        let err = releases
            .run(&desired(broken.clone(), json!({})))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("missing/ConfigMap/b"), "{err}");
    }
    assert_eq!(
        env.secret_names().await,
        [
            "sh.helm.release.v1.m.v1",
            "sh.helm.release.v1.m.v4",
            "sh.helm.release.v1.m.v5"
        ]
    );
    assert_eq!(
        env.statuses().await,
        [
            (1, Status::Deployed),
            (4, Status::Failed),
            (5, Status::Failed)
        ]
    );
}

#[tokio::test]
async fn the_old_checksum_value_counts_when_the_label_is_missing() {
    let env = env().await;
    let d = desired(cm("a", ""), json!({}));
    env.releases.run(&d).await.unwrap();
    // Rewrite v1 as the old helm3 binary client left it: checksum in the values, no label.
    let mut v1 = env.releases.history("m").await.unwrap().remove(0);
    let checksum = v1.labels.remove("moduleChecksum").unwrap();
    let mut raw = v1.json().clone();
    raw["config"][CHECKSUM_VALUE] = checksum.into();
    let old = Release::from_json(raw, v1.labels.clone());
    env.secrets()
        .replace(
            "sh.helm.release.v1.m.v1",
            &PostParams::default(),
            &to_secret(&old).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        env.releases.run(&d).await.unwrap(),
        Outcome::Unchanged { version: 1 }
    );
}

#[tokio::test]
async fn a_release_secret_written_by_helm_is_read_and_upgraded() {
    let env = env().await;
    let fixture: Secret =
        serde_json::from_str(include_str!("fixtures/helm-v4-release-secret.json")).unwrap();
    env.secrets()
        .create(&PostParams::default(), &fixture)
        .await
        .unwrap();
    let history = env.releases.history("demo").await.unwrap();
    assert_eq!(history.len(), 1);
    let v1 = &history[0];
    assert_eq!(
        (v1.name(), v1.version(), v1.status()),
        ("demo", 1, Status::Deployed)
    );
    assert_eq!((v1.chart_name(), v1.chart_version()), ("demo", "0.1.0"));
    assert_eq!(v1.namespace(), "default");
    assert!(v1.manifest().contains("name: demo-cm"), "{}", v1.manifest());
    assert_eq!(v1.checksum(), None);
    assert!(v1.labels.is_empty(), "{:?}", v1.labels);
    assert_eq!(env.releases.list().await.unwrap(), ["demo"]);

    // Taking it over: no checksum recorded, so the first run upgrades.
    let mut d = desired(cm("demo-cm", ""), json!({"x": 2}));
    d.name = "demo".into();
    let outcome = env.releases.run(&d).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Deployed {
            version: 2,
            reason: UpgradeReason::Checksum
        }
    );
    let history = env.releases.history("demo").await.unwrap();
    assert_eq!(history[0].status(), Status::Superseded);
    assert_eq!(
        history[0].json()["apply_method"],
        "ssa",
        "Helm v4's fields stay"
    );
    assert_eq!(history[1].status(), Status::Deployed);
    assert!(env.releases.uninstall("demo").await.unwrap());
    assert!(env.configmaps().get_opt("demo-cm").await.unwrap().is_none());
}

/// Real Helm (`helm-python-sdk`, Helm v4) lists our release, prints its manifest and history,
/// and uninstalls it.
#[tokio::test]
async fn helm_lists_reads_and_uninstalls_our_release() {
    let Ok(python) = std::env::var("HELM_ORACLE_PYTHON") else {
        eprintln!("SKIPPED helm_lists_our_release: HELM_ORACLE_PYTHON is not set");
        return;
    };
    let env = env().await;
    env.releases
        .run(&desired(cm("a", ""), json!({"v": 1})))
        .await
        .unwrap();
    env.releases
        .run(&desired(
            format!("{}{}", cm("a", ""), cm("b", "")),
            json!({"v": 2}),
        ))
        .await
        .unwrap();
    let script = r#"
import json, sys
import helm_python as helm
helm.disable_logging()
with helm.Config(kubeconfig_path=sys.argv[1], namespace="default") as cfg:
    listed = [(r["name"], r["revision"], r["status"], r["chart_name"], r["chart_version"]) for r in cfg.list()]
    history = [(r["revision"], r["status"]) for r in cfg.history("m")]
    manifest = cfg.status("m")["manifest"]
    cfg.uninstall("m")
    print(json.dumps({"list": listed, "history": history, "manifest": manifest}))
"#;
    let stored = env.releases.history("m").await.unwrap()[1]
        .manifest()
        .to_owned();
    let out = tokio::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(env.cluster.kubeconfig_path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["list"], json!([["m", 2, "deployed", "m", "0.2.0"]]));
    assert_eq!(got["history"], json!([[1, "superseded"], [2, "deployed"]]));
    let manifest = got["manifest"].as_str().unwrap();
    assert_eq!(manifest, stored);
    assert!(
        manifest.contains("# Source: m/templates/b.yaml"),
        "{manifest}"
    );
    assert!(env.releases.history("m").await.unwrap().is_empty());
    assert!(env.configmaps().get_opt("a").await.unwrap().is_none());
    assert!(env.configmaps().get_opt("b").await.unwrap().is_none());
}
