//! The kubectl versions the issue promises (1.27–1.33) against the embedded server: apply,
//! strategic merge patch, scale, server-side apply, label selectors, CRDs and custom resources,
//! misspelled fields under each `--validate` mode, each with its own cluster and discovery cache.
//!
//! The project's machine image ships them as `/usr/lib/google-cloud-sdk/bin/kubectl.1.NN` (the
//! Google Cloud SDK's `kubectl` package); `KUBECTL_VERSIONS_DIR` points elsewhere. A missing
//! binary fails the test: these are the versions users run.

use std::path::PathBuf;

use crate::builtin_fields::misspelled_fields;
use crate::kubectl::{
    Kubectl, apply_twice_then_patch_and_scale, crds_and_custom_resources,
    server_side_apply_and_label_selectors,
};

const DEFAULT_DIR: &str = "/usr/lib/google-cloud-sdk/bin";

async fn kubectl_1(minor: u32) -> Kubectl {
    let dir = std::env::var_os("KUBECTL_VERSIONS_DIR")
        .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from);
    let binary = dir.join(format!("kubectl.1.{minor}"));
    assert!(
        binary.is_file(),
        "{} is missing: install kubectl 1.{minor} there or set KUBECTL_VERSIONS_DIR",
        binary.display()
    );
    let k = Kubectl::with_binary(binary).await;
    let version = k.ok(&["version", "-o", "json"]).await;
    let version: serde_json::Value = serde_json::from_str(&version).unwrap();
    assert_eq!(
        version["clientVersion"]["minor"],
        minor.to_string(),
        "{version}"
    );
    assert!(version["serverVersion"].is_object(), "{version}");
    k
}

async fn workflows(minor: u32) {
    let k = kubectl_1(minor).await;
    apply_twice_then_patch_and_scale(&k).await;
    server_side_apply_and_label_selectors(&k).await;
    crds_and_custom_resources(&k).await;
    misspelled_fields(&k).await;
}

#[tokio::test]
async fn kubectl_1_27() {
    workflows(27).await;
}

#[tokio::test]
async fn kubectl_1_28() {
    workflows(28).await;
}

#[tokio::test]
async fn kubectl_1_29() {
    workflows(29).await;
}

#[tokio::test]
async fn kubectl_1_30() {
    workflows(30).await;
}

#[tokio::test]
async fn kubectl_1_31() {
    workflows(31).await;
}

#[tokio::test]
async fn kubectl_1_32() {
    workflows(32).await;
}

#[tokio::test]
async fn kubectl_1_33() {
    workflows(33).await;
}
