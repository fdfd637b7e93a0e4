//! Fault injection through the library handle and the admin endpoint.

use std::time::Duration;

use crate::common::{api_error, plain_cluster, raw};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use kube::api::ListParams;

#[tokio::test]
async fn failures_hit_only_the_chosen_resource_for_n_requests() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    c.faults().fail_next("configmaps", None, 2, 500);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let secrets: Api<Secret> = Api::namespaced(client, "default");
    secrets.list(&ListParams::default()).await.unwrap();
    assert_eq!(
        api_error(cms.list(&ListParams::default()).await.unwrap_err()).0,
        500
    );
    assert_eq!(
        api_error(cms.list(&ListParams::default()).await.unwrap_err()).0,
        500
    );
    cms.list(&ListParams::default()).await.unwrap();
}

#[tokio::test]
async fn admin_endpoint_injects_failures() {
    let c = plain_cluster().await;
    let (code, _) = raw(
        &c,
        "POST",
        "/_embedded/faults",
        "application/json",
        br#"{"action":"failNext","resource":"secrets","count":1,"code":500}"#,
    )
    .await;
    assert_eq!(code, 200);
    let secrets: Api<Secret> = Api::namespaced(c.client().unwrap(), "default");
    assert_eq!(
        api_error(secrets.list(&ListParams::default()).await.unwrap_err()).0,
        500
    );
    secrets.list(&ListParams::default()).await.unwrap();
    let (code, _) = raw(
        &c,
        "POST",
        "/_embedded/faults",
        "application/json",
        br#"{"action":"explode"}"#,
    )
    .await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn latency_delays_requests() {
    let c = plain_cluster().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    c.faults().set_latency(Duration::from_millis(300));
    // With the latency in place the request cannot finish within 100ms.
    let slow =
        tokio::time::timeout(Duration::from_millis(100), cms.list(&ListParams::default())).await;
    assert!(slow.is_err());
    c.faults().clear();
    cms.list(&ListParams::default()).await.unwrap();
}
